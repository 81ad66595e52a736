/**
 * Runs tasks with the same key one after the other, tasks with different keys side by side.
 * Two copies of a command for one order reaching this process together (a redelivery racing a
 * slow first delivery) would otherwise both ask the provider before either commits its inbox
 * row; queued, the second finds the first's inbox row and stops there.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>()

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve()
    const result = previous.then(task, task)
    const tail = result.catch(() => undefined)
    this.tails.set(key, tail)
    void tail.then(() => {
      // The last one out removes the key, so the map holds only orders in progress.
      if (this.tails.get(key) === tail) this.tails.delete(key)
    })
    return result
  }

  /** Keys with a task queued or running. */
  get size(): number {
    return this.tails.size
  }
}
