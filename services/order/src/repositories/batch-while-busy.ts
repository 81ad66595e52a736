export interface BatchWhileBusyOptions<T, R> {
  /** Writes run at once at most; keep it below the connection pool so reads still get one. */
  slots: number
  /** Items one write takes at most. */
  maxBatch: number
  /** Stores the items together, all of them or none; returns each item's result, in order. */
  write: (items: readonly T[]) => Promise<readonly R[]>
  /**
   * Whether a failed batch may have failed for one item's sake (a value the database refused)
   * rather than for all (the database unreachable). Only then is each item written again alone.
   */
  mayBeOneItem: (error: unknown) => boolean
  /** Told the size of every write it starts, retries included: for a metric. */
  onWrite?: (items: number) => void
}

interface Waiting<T, R> {
  item: T
  resolve: (result: R) => void
  reject: (error: unknown) => void
}

/**
 * Groups writes only when the database is behind: an item that finds a free slot is written
 * alone, at once, so a quiet service answers as fast as before; items that arrive while every
 * slot is busy wait together and the next free slot writes them in one go. The busier the
 * database, the larger the batches and the fewer the commits per item — the same rule as the
 * consumers' batches. A batch refused for what may be one item's data is written again item by
 * item, within its slot, so one bad item fails only its own caller.
 */
export function batchWhileBusy<T, R>(opts: BatchWhileBusyOptions<T, R>): (item: T) => Promise<R> {
  const waiting: Waiting<T, R>[] = []
  let busy = 0

  const write = (items: readonly T[]) => {
    opts.onWrite?.(items.length)
    return opts.write(items)
  }
  const wrongCount = (items: number, results: number) => new Error(`a write of ${items === 1 ? 'one item' : `${items} items`} returned ${results} results`)
  const settle = (w: Waiting<T, R>, results: readonly R[]) => (results.length === 1 ? w.resolve(results[0] as R) : w.reject(wrongCount(1, results.length)))
  const writeBatch = async (batch: Waiting<T, R>[]) => {
    try {
      const results = await write(batch.map((w) => w.item))
      if (results.length !== batch.length) throw wrongCount(batch.length, results.length)
      batch.forEach((w, i) => w.resolve(results[i] as R))
    } catch (error) {
      if (batch.length === 1 || !opts.mayBeOneItem(error)) return batch.forEach((w) => w.reject(error))
      for (const w of batch) {
        await write([w.item]).then(
          (results) => settle(w, results),
          (itemError: unknown) => w.reject(itemError),
        )
      }
    }
  }
  const pump = () => {
    while (busy < opts.slots && waiting.length > 0) {
      busy++
      void writeBatch(waiting.splice(0, opts.maxBatch)).finally(() => {
        busy--
        pump()
      })
    }
  }
  return (item) =>
    new Promise<R>((resolve, reject) => {
      waiting.push({ item, resolve, reject })
      pump()
    })
}
