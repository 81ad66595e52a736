import { randomUUID } from 'node:crypto'
import t from 'tap'
import {
  OrderCancelled,
  OrderCancelRefused,
  OrderConfirmed,
  OrderCreated,
  OrderFailed,
  OrderProgressed,
  ShipmentCancelled,
  ShipmentDelivered,
  ShipmentPicking,
  ShipmentShipped,
} from '@orderflow/contracts'
import { startSmtpCatcher } from '@orderflow/testing/smtp'
import { eventOf, eventually, notificationTestbed, orderCreated, settled, storedNotifications } from './testbed.js'

const smtp = await startSmtpCatcher(t)
const tb = await notificationTestbed(t, { SMTP_URL: smtp.url, MAIL_FROM: 'Orderflow Test <shop@example.test>' })
await tb.startWorkers()

const mailsFor = (orderId: string) => smtp.mails.filter((m) => m.headers.get('subject')?.includes(orderId))
const untilMails = (orderId: string, n: number) =>
  eventually(async () => (mailsFor(orderId).length >= n ? mailsFor(orderId) : undefined), `${n} mails for ${orderId}`)

t.test('order.created then order.confirmed: one mail to the customer, stored SENT', async (t) => {
  const orderId = randomUUID()
  await tb.publish(OrderCreated, orderCreated(orderId, 'grace@example.com'))
  await tb.publish(OrderConfirmed, eventOf(OrderConfirmed, orderId))
  const [mail] = await untilMails(orderId, 1)
  t.same(mail?.to, ['grace@example.com'])
  t.equal(mail?.from, 'shop@example.test')
  t.equal(mail?.headers.get('subject'), `Your order ${orderId} is confirmed`)
  t.match(mail?.headers.get('content-type'), /^multipart\/alternative/, 'plain text and HTML')
  t.match(mail?.body, new RegExp(`Order: ${orderId}`))
  t.match(mail?.body, /Status: CONFIRMED/)
  t.match(mail?.body, /<html>/)

  await settled(tb)
  const [stored] = await storedNotifications(tb.orm, orderId)
  t.match(stored, { kind: 'ORDER_CONFIRMED', status: 'SENT', attempts: 1, recipient: 'grace@example.com', last_error: null })
  t.equal(mail?.headers.get('message-id'), stored?.message_id, 'the stored Message-ID is the one sent')
  t.match(stored?.message_id, /@example\.test>$/, "the Message-ID is in the sender's domain")
})

t.test('failed, cancelled, shipped and delivered each send their mail with their facts', async (t) => {
  const failed = randomUUID()
  const shipped = randomUUID()
  const cancelled = randomUUID()
  for (const id of [failed, shipped, cancelled]) await tb.publish(OrderCreated, orderCreated(id))
  await tb.publish(OrderFailed, eventOf(OrderFailed, failed, { reason: 'OUT_OF_STOCK', message: 'SKU-1 is out of stock (2 requested, 0 available)' }))
  await tb.publish(OrderCancelled, eventOf(OrderCancelled, cancelled, { reason: 'changed my mind' }))
  const parcel = { shipmentId: randomUUID(), carrier: 'DHL', trackingNumber: 'DHL000123456789012' }
  await tb.publish(ShipmentShipped, eventOf(ShipmentShipped, shipped, parcel))
  await untilMails(shipped, 1)
  await tb.publish(ShipmentDelivered, eventOf(ShipmentDelivered, shipped, parcel))

  const [failure] = await untilMails(failed, 1)
  t.match(failure?.headers.get('subject'), /could not complete/)
  t.match(failure?.body, /Reason: SKU-1 is out of stock \(2 requested, 0 available\)/)
  t.match(failure?.body, /Status: FAILED/)

  const [cancel] = await untilMails(cancelled, 1)
  t.match(cancel?.body, /Reason: changed my mind/)
  t.match(cancel?.body, /Status: CANCELLED/)

  const [ship, delivery] = await untilMails(shipped, 2)
  t.match(ship?.headers.get('subject'), /has shipped/)
  t.match(ship?.body, /Tracking number: DHL000123456789012/)
  t.match(ship?.body, /Carrier: DHL/)
  t.match(delivery?.headers.get('subject'), /has been delivered/)
  t.match(delivery?.body, /Status: DELIVERED/)
  await settled(tb)
  t.same((await storedNotifications(tb.orm, shipped)).map((n) => [n.kind, n.status]), [
    ['SHIPMENT_SHIPPED', 'SENT'],
    ['SHIPMENT_DELIVERED', 'SENT'],
  ])
})

t.test('events the customer is not told about send nothing, store nothing and are acknowledged, not dead-lettered', async (t) => {
  const orderId = randomUUID()
  await tb.publish(OrderCreated, orderCreated(orderId))
  // The order service no longer publishes the saga's steps or refusals there; should one come, it is acknowledged.
  const quiet = [
    [OrderProgressed, eventOf(OrderProgressed, orderId, { step: 'STOCK_RESERVED' })],
    [OrderCancelRefused, eventOf(OrderCancelRefused, orderId, { message: 'already shipped' })],
    [ShipmentPicking, eventOf(ShipmentPicking, orderId, { shipmentId: randomUUID() })],
    [ShipmentCancelled, eventOf(ShipmentCancelled, orderId)],
  ] as const
  for (const [def, event] of quiet) await tb.publish(def, event)
  await settled(tb)
  t.same(mailsFor(orderId), [])
  t.same(await storedNotifications(tb.orm, orderId), [])
  const ids = new Set(quiet.map(([, e]) => e.id))
  t.same((await tb.ctx.deadLetters.list({ limit: 100 })).filter((d) => d.eventId !== undefined && ids.has(d.eventId)), [], 'no dead letters')
})

t.test('an event delivered twice sends one mail; order.created twice keeps one recipient', async (t) => {
  const orderId = randomUUID()
  const created = orderCreated(orderId)
  await tb.publish(OrderCreated, created)
  await tb.bus.js.publish(tb.topology.subject(OrderCreated.subject), JSON.stringify(created), { msgID: randomUUID() })
  const confirmed = eventOf(OrderConfirmed, orderId)
  await tb.publish(OrderConfirmed, confirmed)
  // A second copy under another Nats-Msg-Id, as a redelivery or a replayed dead letter arrives.
  await tb.bus.js.publish(tb.topology.subject(OrderConfirmed.subject), JSON.stringify(confirmed), { msgID: randomUUID() })
  await untilMails(orderId, 1)
  await settled(tb)
  await new Promise((r) => setTimeout(r, 200))
  t.equal(mailsFor(orderId).length, 1, 'one mail')
  t.equal((await storedNotifications(tb.orm, orderId)).length, 1, 'one notification')
  const [recipients] = await tb.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from recipients where order_id = ?', [orderId])
  t.equal(Number(recipients?.n), 1, 'one recipient')
})

t.test('a saga event that overtakes order.created is retried until the recipient is known', async (t) => {
  const orderId = randomUUID()
  await tb.publish(OrderConfirmed, eventOf(OrderConfirmed, orderId))
  // Let it fail at least once for want of a recipient.
  await eventually(async () => {
    const info = await tb.bus.jsm.consumers.info(tb.topology.stream('ORDERS'), 'notification-saga')
    return info.num_redelivered > 0 ? true : undefined
  }, 'a retry of the saga event')
  t.same(await storedNotifications(tb.orm, orderId), [], 'nothing stored while the recipient is unknown')
  await tb.publish(OrderCreated, orderCreated(orderId, 'late@example.com'))
  const [mail] = await untilMails(orderId, 1)
  t.same(mail?.to, ['late@example.com'])
  await settled(tb)
  t.match(await storedNotifications(tb.orm, orderId), [{ kind: 'ORDER_CONFIRMED', status: 'SENT', attempts: 1 }])
})

t.test('a message of the wrong type on order.evt.created is dead-lettered at once', async (t) => {
  const orderId = randomUUID()
  const wrong = eventOf(OrderConfirmed, orderId)
  await tb.bus.js.publish(tb.topology.subject(OrderCreated.subject), JSON.stringify(wrong), { msgID: wrong.id })
  const dl = await eventually(async () => (await tb.ctx.deadLetters.list({ limit: 20 })).find((d) => d.eventId === wrong.id), 'the dead letter')
  // The consumer's type guard refuses it before any transaction: the runner dead-letters it as invalid.
  t.match(dl, {
    reason: 'invalid',
    error: /notification-orders does not handle orderflow\.order\.confirmed\.v1/,
    origin: { consumer: 'notification-orders', deliveries: 1 },
  })
  const [row] = await tb.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from recipients where order_id = ?', [orderId])
  t.equal(Number(row?.n), 0)
})
