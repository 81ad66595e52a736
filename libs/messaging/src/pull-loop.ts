import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream'
import type { Logger } from 'pino'

export interface PullLoopOptions {
  readonly consumer: Consumer
  /** Messages processed at once; never exceeded. */
  readonly concurrency: number
  /** How long one pull request waits for messages (at least 1 000). */
  readonly expiresMs: number
  readonly logger: Logger
  /** Settles the message (ack, nak or term); expected not to throw. */
  readonly process: (msg: JsMsg) => Promise<void>
}

export interface PullLoop {
  /** Handlers running now. */
  inFlight(): number
  /** Stops pulling and resolves once every handler already started has finished. */
  stop(): Promise<void>
}

/**
 * Pulls with `fetch` sized to the free handler slots rather than with `consume()`. `consume()`
 * keeps a buffer of pre-fetched messages topped up; a buffered message's ack_wait is already
 * running while it waits for a busy handler, so a slow batch would be redelivered to another
 * replica before it was even started. Here a message is only requested when a handler is free
 * to take it, so in-flight messages never exceed `concurrency` and none waits in a buffer.
 */
export function startPullLoop(opts: PullLoopOptions): PullLoop {
  const running = new Set<Promise<void>>()
  let stopping = false
  let batch: ConsumerMessages | undefined
  let wake: (() => void) | undefined

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })

  const dispatch = (msg: JsMsg) => {
    const p = opts.process(msg).catch((err: unknown) => {
      opts.logger.error({ err, seq: msg.seq }, 'message processing failed unexpectedly; it will be redelivered after ack_wait')
    })
    running.add(p)
    void p.finally(() => running.delete(p))
  }

  const loop = async () => {
    let failures = 0
    while (!stopping) {
      const free = opts.concurrency - running.size
      if (free <= 0) {
        await Promise.race(running)
        continue
      }
      try {
        batch = await opts.consumer.fetch({ max_messages: free, expires: opts.expiresMs })
        if (stopping) void batch.close()
        // Messages received before a close are still yielded: they are processed, not dropped.
        for await (const msg of batch) dispatch(msg)
        failures = 0
      } catch (err) {
        if (stopping) break
        failures++
        const delay = Math.min(250 * 2 ** Math.min(failures, 7), 15_000)
        opts.logger.warn({ err, retryInMs: delay }, 'pulling messages failed; retrying')
        await pause(delay)
      } finally {
        batch = undefined
      }
    }
  }
  const done = loop()

  return {
    inFlight: () => running.size,
    async stop() {
      stopping = true
      wake?.()
      await batch?.close()
      await done
      await Promise.allSettled([...running])
    },
  }
}
