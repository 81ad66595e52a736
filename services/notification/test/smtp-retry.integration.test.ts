import { randomUUID } from 'node:crypto'
import t from 'tap'
import { OrderConfirmed, OrderCreated } from '@orderflow/contracts'
import { startSmtpCatcher } from '@orderflow/testing/smtp'
import { eventOf, eventually, notificationTestbed, orderCreated, settled, storedNotifications } from './testbed.js'

const smtp = await startSmtpCatcher(t)
const tb = await notificationTestbed(t, { SMTP_URL: smtp.url })
await tb.startWorkers()

t.test('a mail the server refuses is stored FAILED, retried with backoff, and sent once', async (t) => {
  const orderId = randomUUID()
  smtp.refuseNext(2)
  await tb.publish(OrderCreated, orderCreated(orderId))
  const confirmed = eventOf(OrderConfirmed, orderId)
  await tb.publish(OrderConfirmed, confirmed)

  const failed = await eventually(async () => {
    const [n] = await storedNotifications(tb.orm, orderId)
    return n?.status === 'FAILED' ? n : undefined
  }, 'the FAILED notification')
  t.match(failed, { kind: 'ORDER_CONFIRMED', last_error: /busy, try again later/ })

  await eventually(async () => (smtp.mails.length > 0 ? true : undefined), 'the mail')
  await settled(tb)
  t.equal(smtp.attempts(), 3, 'two refusals, then accepted')
  t.equal(smtp.mails.length, 1, 'one mail arrived')
  t.match(await storedNotifications(tb.orm, orderId), [{ status: 'SENT', attempts: 3, last_error: null }])
  const ids = new Set(smtp.mails.map((m) => m.headers.get('message-id')))
  t.equal(ids.size, 1)

  // The same event once more after it was sent: nothing is sent again.
  await tb.bus.js.publish(tb.topology.subject(OrderConfirmed.subject), JSON.stringify(confirmed), { msgID: randomUUID() })
  await settled(tb)
  t.equal(smtp.attempts(), 3, 'no new SMTP attempt')
  t.match(await storedNotifications(tb.orm, orderId), [{ status: 'SENT', attempts: 3 }])
})

t.test('the retried mail is the stored one, not re-rendered: every attempt carries its Message-ID', async (t) => {
  const orderId = randomUUID()
  await tb.publish(OrderCreated, orderCreated(orderId))
  await settled(tb)
  smtp.refuseNext(1)
  const before = smtp.attempts()
  await tb.publish(OrderConfirmed, eventOf(OrderConfirmed, orderId))
  await eventually(async () => (smtp.mails.some((m) => m.headers.get('subject')?.includes(orderId)) ? true : undefined), 'the mail')
  await settled(tb)
  t.equal(smtp.attempts() - before, 2)
  const [stored] = await storedNotifications(tb.orm, orderId)
  t.match(stored, { status: 'SENT', attempts: 2 })
  const refused = smtp.refused.filter((m) => m.headers.get('subject')?.includes(orderId))
  t.equal(refused.length, 1)
  t.equal(refused[0]?.headers.get('message-id'), stored?.message_id, 'the refused attempt carried the same Message-ID')
  t.equal(smtp.mails.at(-1)?.headers.get('message-id'), stored?.message_id)
})
