import { Writable } from 'node:stream'
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { pino } from 'pino'
import {
  makeEvent,
  OrderCancelled,
  OrderCancelRefused,
  OrderConfirmed,
  OrderFailed,
  OrderProgressed,
  ShipmentCancelled,
  ShipmentDelivered,
  ShipmentPicking,
  ShipmentShipped,
  type MessageDefinition,
} from '@orderflow/contracts'
import { noticeOf } from '../src/domain/notice.js'
import { createMailer, senderDomain } from '../src/mail/mailer.js'
import { escapeHtml, render } from '../src/templates/render.js'

const orderId = randomUUID()
const ev = (def: MessageDefinition, data: Record<string, unknown> = {}) => makeEvent(def, { source: 't', subject: orderId, data: { orderId, ...data } })

t.test('each customer-facing event maps to its notice; the rest to none', async (t) => {
  const shipmentId = randomUUID()
  t.same(noticeOf(ev(OrderConfirmed)), { kind: 'ORDER_CONFIRMED', orderId })
  t.same(noticeOf(ev(OrderFailed, { reason: 'TIMEOUT', message: 'payment took too long' })), {
    kind: 'ORDER_FAILED',
    orderId,
    reason: 'TIMEOUT',
    message: 'payment took too long',
  })
  t.same(noticeOf(ev(OrderCancelled)), { kind: 'ORDER_CANCELLED', orderId })
  t.same(noticeOf(ev(OrderCancelled, { reason: 'duplicate' })), { kind: 'ORDER_CANCELLED', orderId, reason: 'duplicate' })
  t.same(noticeOf(ev(ShipmentShipped, { shipmentId, carrier: 'GLS', trackingNumber: 'GLS1' })), {
    kind: 'SHIPMENT_SHIPPED',
    orderId,
    carrier: 'GLS',
    trackingNumber: 'GLS1',
  })
  t.same(noticeOf(ev(ShipmentDelivered, { shipmentId })), { kind: 'SHIPMENT_DELIVERED', orderId })
  t.equal(noticeOf(ev(OrderProgressed, { step: 'STOCK_RESERVED' })), undefined)
  t.equal(noticeOf(ev(OrderCancelRefused, { message: 'too late' })), undefined)
  t.equal(noticeOf(ev(ShipmentPicking, { shipmentId })), undefined)
  t.equal(noticeOf(ev(ShipmentCancelled)), undefined)
})

t.test('every mail names the order and its status, in text and HTML', async (t) => {
  const cases = [
    [{ kind: 'ORDER_CONFIRMED', orderId }, 'CONFIRMED', /preparing your shipment/],
    [{ kind: 'ORDER_FAILED', orderId, reason: 'OUT_OF_STOCK', message: 'SKU-9 is sold out' }, 'FAILED', /Reason: SKU-9 is sold out/],
    [{ kind: 'ORDER_CANCELLED', orderId, reason: 'changed my mind' }, 'CANCELLED', /Reason: changed my mind/],
    [{ kind: 'SHIPMENT_SHIPPED', orderId, carrier: 'DPD', trackingNumber: 'DPD42' }, 'SHIPPED', /Tracking number: DPD42/],
    [{ kind: 'SHIPMENT_DELIVERED', orderId }, 'DELIVERED', /delivered/],
  ] as const
  for (const [notice, status, detail] of cases) {
    const mail = render(notice)
    t.match(mail.subject, orderId, `${notice.kind}: subject`)
    t.match(mail.text, `Order: ${orderId}`, `${notice.kind}: text names the order`)
    t.match(mail.text, `Status: ${status}`, `${notice.kind}: text names the status`)
    t.match(mail.text, detail, `${notice.kind}: its facts`)
    t.match(mail.html, `Status: ${status}`, `${notice.kind}: HTML names the status`)
    t.match(mail.html, /^<!doctype html>/)
  }
  t.notMatch(render({ kind: 'ORDER_CANCELLED', orderId }).text, /Reason/, 'no reason line without a reason')
})

t.test('values from events are escaped in the HTML', async (t) => {
  t.equal(escapeHtml(`<b>"Tom" & 'Jerry'</b>`), '&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;')
  const mail = render({ kind: 'ORDER_FAILED', orderId, reason: 'INVALID_ORDER', message: '<script>alert(1)</script>' })
  t.notMatch(mail.html, /<script>/)
  t.match(mail.html, /&lt;script&gt;/)
  t.match(mail.text, /<script>/, 'plain text stays as written')
})

t.test("Message-IDs use the sender's domain", async (t) => {
  t.equal(senderDomain('Orderflow <orders@orderflow.local>'), 'orderflow.local')
  t.equal(senderDomain('shop@example.test'), 'example.test')
  t.equal(senderDomain('no address'), 'orderflow.local')
})

t.test('without SMTP_URL mails are logged at info, not sent', async (t) => {
  const lines: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>)
      done()
    },
  })
  const mailer = createMailer({ from: 'Orderflow <orders@orderflow.local>', timeoutMs: 1_000, logger: pino({ level: 'info' }, sink) })
  const id = randomUUID()
  const { messageId, logged } = await mailer.send({ id, to: 'ada@example.com', subject: 'Hello', text: 'plain', html: '<p>plain</p>' })
  t.equal(messageId, `<${id}@orderflow.local>`)
  t.equal(logged, true, 'the sender is told it was only logged (stored LOGGED, not SENT)')
  t.match(lines, [{ msg: /SMTP_URL is not set/ }, { level: 30, msg: 'mail (log only)', to: 'ada@example.com', subject: 'Hello', messageId, text: 'plain' }])
})

t.test('an unreachable SMTP server rejects the send within the timeout', async (t) => {
  const mailer = createMailer({ smtpUrl: 'smtp://127.0.0.1:1', from: 'a@b.c', timeoutMs: 500, logger: pino({ level: 'silent' }) })
  await t.rejects(mailer.send({ id: randomUUID(), to: 'x@y.z', subject: 's', text: 't', html: 'h' }), /ECONNREFUSED|connect/i)
})
