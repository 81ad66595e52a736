import { randomUUID } from 'node:crypto'
import { headers as natsHeaders } from '@nats-io/transport-node'
import type { Platform } from './platform.js'

/** Marks a copy, so the duplicator does not copy its own copies. */
const COPY_HEADER = 'Orderflow-Test-Copy'

export interface Duplicator {
  /** How many messages were published a second time. */
  copies(): number
  stop(): Promise<void>
}

/**
 * Publishes every command and event of the platform's namespace a second time, with the same
 * body (so the same event id) and a fresh `Nats-Msg-Id`: JetStream's duplicate window does not
 * catch the copy, exactly as with a redelivery after a lost ack or a publisher that retried past
 * the window. Consumers must give each message one effect however often it arrives.
 */
export function startDuplicator(p: Platform): Duplicator {
  const { nc, js } = p.tb.order.bus
  const deadLetterPrefix = `${p.topology.deadLetters.subjectPrefix}.`
  const sub = nc.subscribe(`${p.namespace}.>`)
  let copies = 0
  const pending = new Set<Promise<unknown>>()
  void (async () => {
    for await (const msg of sub) {
      if (msg.headers?.get(COPY_HEADER) || msg.subject.startsWith(deadLetterPrefix)) continue
      const h = natsHeaders()
      for (const [key, values] of msg.headers ?? []) {
        if (key.toLowerCase() === 'nats-msg-id') continue
        for (const v of values) h.append(key, v)
      }
      h.set(COPY_HEADER, '1')
      const published = js.publish(msg.subject, msg.data, { headers: h, msgID: randomUUID() }).then(
        () => void (copies += 1),
        () => undefined, // a stream deleted at teardown; nothing to copy into
      )
      pending.add(published)
      void published.finally(() => pending.delete(published))
    }
  })()
  return {
    copies: () => copies,
    async stop() {
      sub.unsubscribe()
      await Promise.all(pending)
    },
  }
}
