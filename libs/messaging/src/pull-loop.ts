import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream'
import type { Logger } from 'pino'

export interface PullLoopOptions {
  readonly consumer: Consumer
  /** Tasks (calls of `process`) running at once; never exceeded. */
  readonly concurrency: number
  /**
   * Most messages one task takes. With 1 every message is a task of its own; with more, messages
   * that arrive while every task slot is busy wait and are taken together by the next free slot.
   */
  readonly maxBatch: number
  /** How long one pull request waits for messages (at least 1 000). */
  readonly expiresMs: number
  readonly logger: Logger
  /** Settles every message it is given (ack, nak or term); expected not to throw. */
  readonly process: (msgs: readonly JsMsg[]) => Promise<void>
}

export interface PullLoop {
  /** Messages received and not settled yet: waiting for a task slot or being handled. */
  inFlight(): number
  /** Stops pulling and resolves once every message already received has been settled. */
  stop(): Promise<void>
}

/**
 * Pulls with `fetch` sized to the free room rather than with `consume()`. `consume()` keeps a
 * buffer of pre-fetched messages topped up; a buffered message's ack_wait is already running
 * while it waits for a busy handler, so a slow batch would be redelivered to another replica
 * before it was even started. Here messages are only requested while there is room for them:
 * at most `concurrency × maxBatch` are held, and a message waits for a slot only as long as one
 * task takes (a short transaction), never for a whole pre-fetched buffer.
 *
 * Batching is what lets a busy consumer keep up: every transaction has a fixed cost (begin,
 * commit, round trips), and while the slots are busy the backlog gathers into the next task, so
 * the cost is shared by more messages exactly when the consumer is behind. A quiet consumer
 * still handles each message on its own, as soon as it arrives.
 */
export function startPullLoop(opts: PullLoopOptions): PullLoop {
  const capacity = opts.concurrency * opts.maxBatch
  const waiting: JsMsg[] = []
  const running = new Set<Promise<void>>()
  let held = 0
  let pumpScheduled = false
  let stopping = false
  let fetched: ConsumerMessages | undefined
  let wake: (() => void) | undefined

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })

  const startTask = (msgs: JsMsg[]) => {
    const task = opts
      .process(msgs)
      .catch((err: unknown) => {
        opts.logger.error({ err, seqs: msgs.map((m) => m.seq) }, 'message processing failed unexpectedly; redelivered after ack_wait')
      })
      .finally(() => {
        held -= msgs.length
        running.delete(task)
        pump()
      })
    running.add(task)
  }

  const pump = () => {
    while (running.size < opts.concurrency && waiting.length > 0) startTask(waiting.splice(0, opts.maxBatch))
  }

  const receive = (msg: JsMsg) => {
    held++
    waiting.push(msg)
    if (opts.maxBatch === 1) return pump()
    // Messages of one network read arrive in one turn of the event loop: start the task after
    // it, so they are handled together rather than one by one.
    if (!pumpScheduled) {
      pumpScheduled = true
      setImmediate(() => {
        pumpScheduled = false
        pump()
      })
    }
  }

  const roomFreed = () => (running.size > 0 ? Promise.race(running) : new Promise<void>((resolve) => setImmediate(resolve)))

  const loop = async () => {
    let failures = 0
    while (!stopping) {
      const free = capacity - held
      if (free <= 0) {
        await roomFreed()
        continue
      }
      try {
        fetched = await opts.consumer.fetch({ max_messages: free, expires: opts.expiresMs })
        if (stopping) void fetched.close()
        // Messages received before a close are still yielded: they are processed, not dropped.
        for await (const msg of fetched) receive(msg)
        failures = 0
      } catch (err) {
        if (stopping) break
        failures++
        const delay = Math.min(250 * 2 ** Math.min(failures, 7), 15_000)
        opts.logger.warn({ err, retryInMs: delay }, 'pulling messages failed; retrying')
        await pause(delay)
      } finally {
        fetched = undefined
      }
    }
  }
  const done = loop()

  return {
    inFlight: () => held,
    async stop() {
      stopping = true
      wake?.()
      await fetched?.close()
      await done
      while (held > 0) {
        pump()
        await roomFreed()
      }
    },
  }
}
