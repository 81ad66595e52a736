import { randomUUID } from 'node:crypto'
import { jetstream } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { CapturePayment, makeEvent, ReserveStock } from '@orderflow/contracts'

/** A poison message as published: the dead letter it must become is found by its stream and sequence. */
export interface InjectedPoison {
  what: string
  subject: string
  stream: string
  seq: number
}

/**
 * Publishes two messages no retry can make right, on command subjects the services consume (the
 * run's namespace is the default one, so the contracts' subjects are the real ones): bytes that are
 * not JSON on inventory's reserve command, and a well-formed envelope whose data breaks its schema
 * on payment's capture command. Each must land in the dead letters, once, and nothing else may.
 */
export async function injectPoison(natsUrl: string): Promise<InjectedPoison[]> {
  const nc = await connect({ servers: natsUrl, name: 'orderflow-chaos-poison', timeout: 5_000, maxReconnectAttempts: 0 })
  try {
    const js = jetstream(nc, { timeout: 5_000 })
    const garbage = Buffer.concat([Buffer.from('{"specversion":"1.0","id":'), Buffer.from([0xff, 0xfe, 0x00, 0x7f])])
    const badData = makeEvent(CapturePayment, { source: 'orderflow/chaos', subject: 'chaos-poison', data: { orderId: 'not-an-order-id' } })
    const messages = [
      { what: 'bytes that are not JSON', subject: ReserveStock.subject, body: garbage, msgID: randomUUID() },
      { what: 'an envelope whose data breaks its schema', subject: CapturePayment.subject, body: JSON.stringify(badData), msgID: badData.id },
    ]
    const injected: InjectedPoison[] = []
    for (const m of messages) {
      const ack = await js.publish(m.subject, m.body, { msgID: m.msgID })
      injected.push({ what: m.what, subject: m.subject, stream: ack.stream, seq: ack.seq })
    }
    return injected
  } finally {
    await nc.close()
  }
}
