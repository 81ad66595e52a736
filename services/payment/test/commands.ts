import { randomUUID } from 'node:crypto'
import { makeEvent, type CloudEvent, type MessageDefinition } from '@orderflow/contracts'
import { createPublisher } from '@orderflow/messaging'
import { eventually, type PaymentTestbed } from './testbed.js'

/** Sends payment commands into the testbed's namespace as the saga would, and waits for them. */
export function commands(tb: PaymentTestbed) {
  const publisher = createPublisher(tb.ctx.bus)
  const consumerInfo = (durable: string) => tb.ctx.bus.jsm.consumers.info(tb.topology.stream('PAYMENTS'), durable)
  return {
    command: (def: MessageDefinition, orderId: string, extra: Record<string, unknown> = {}): CloudEvent =>
      makeEvent(def, { source: 'orderflow/test', subject: orderId, data: { orderId, ...extra } }),
    send: async (def: MessageDefinition, event: CloudEvent): Promise<void> => {
      await publisher.publish(event, { subject: tb.topology.subject(def.subject) })
    },
    /** The same event again under another Nats-Msg-Id, as a redelivery or a replay arrives. */
    sendCopy: async (def: MessageDefinition, event: CloudEvent): Promise<void> => {
      await tb.ctx.bus.js.publish(tb.topology.subject(def.subject), JSON.stringify(event), { msgID: randomUUID() })
    },
    /** Waits until the consumer has settled everything it was sent. */
    drained: async (durable: string, timeoutMs = 10_000): Promise<void> => {
      await eventually(
        async () => {
          const info = await consumerInfo(durable)
          return info.num_pending === 0 && info.num_ack_pending === 0 && info.delivered.stream_seq > 0 ? true : undefined
        },
        `${durable} drained`,
        timeoutMs,
      )
    },
  }
}
