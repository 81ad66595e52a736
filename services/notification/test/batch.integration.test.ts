import { randomUUID } from 'node:crypto'
import t from 'tap'
import { OrderConfirmed, OrderProgressed } from '@orderflow/contracts'
import { batchOf, handlerContext } from '@orderflow/testing/service'
import { startSmtpCatcher } from '@orderflow/testing/smtp'
import { createLogger } from '@orderflow/telemetry'
import { notifyBatchHandler, notifyHandler } from '../src/consumers/notify.consumer.js'
import { recipientBatchHandler } from '../src/consumers/recipient.consumer.js'
import { createMailer } from '../src/mail/mailer.js'
import { SendFailedError } from '../src/notification.errors.js'
import { eventOf, notificationTestbed, orderCreated, storedNotifications } from './testbed.js'

// The batch handlers called directly, against the real database and an SMTP server of the test's own.
const smtp = await startSmtpCatcher(t)
const tb = await notificationTestbed(t, { SMTP_URL: smtp.url })
const mailer = createMailer({ smtpUrl: smtp.url, from: 'Orderflow <orders@orderflow.local>', timeoutMs: 2_000, logger: createLogger({ serviceName: 't', level: 'silent' }) })
const recipients = recipientBatchHandler(tb.orm, 'test-orders')
const notify = notifyBatchHandler(tb.orm, mailer, 'test-saga')
const notifyOne = notifyHandler(tb.orm, mailer, 'test-saga')
const created = (orderId: string) => orderCreated(orderId, `${orderId}@example.com`)

t.test('a batch records every notification, then sends each once', async (t) => {
  const orders = [randomUUID(), randomUUID(), randomUUID()]
  await recipients(batchOf(orders.map(created)))
  const confirmed = orders.map((id) => eventOf(OrderConfirmed, id))
  const before = smtp.mails.length
  // A step of the saga calls for no mail; the repeated event is sent once.
  await notify(batchOf([...confirmed, eventOf(OrderProgressed, orders[0]!, { step: 'RESERVED' }), confirmed[1]!]))
  t.equal(smtp.mails.length - before, 3)
  for (const id of orders) t.match(await storedNotifications(tb.orm, id), [{ kind: 'ORDER_CONFIRMED', status: 'SENT', attempts: 1 }])
  await notify(batchOf(confirmed))
  t.equal(smtp.mails.length - before, 3, 'a redelivered batch sends nothing')
})

t.test('a refused send fails the batch after recording what was sent; the retry sends only the rest', async (t) => {
  const orders = [randomUUID(), randomUUID()]
  await recipients(batchOf(orders.map(created)))
  const confirmed = orders.map((id) => eventOf(OrderConfirmed, id))
  smtp.refuseNext(1)
  const before = smtp.mails.length
  await t.rejects(notify(batchOf(confirmed)), SendFailedError)
  const statuses = (await Promise.all(orders.map((id) => storedNotifications(tb.orm, id)))).map(([n]) => n?.status).sort()
  t.same(statuses, ['FAILED', 'SENT'], 'both outcomes committed')
  t.equal(smtp.mails.length - before, 1)
  // What the consumer runner does next: each event through the single handler.
  for (const event of confirmed) await notifyOne(event, handlerContext())
  t.equal(smtp.mails.length - before, 2, 'the refused one sent, the sent one not again')
  for (const id of orders) t.match(await storedNotifications(tb.orm, id), [{ status: 'SENT' }])
})

t.test('an event whose recipient is not known yet fails the batch before anything is sent', async (t) => {
  const known = randomUUID()
  await recipients(batchOf([created(known)]))
  const before = smtp.attempts()
  await t.rejects(notify(batchOf([eventOf(OrderConfirmed, known), eventOf(OrderConfirmed, randomUUID())])), { name: 'RecipientUnknownError' })
  t.equal(smtp.attempts(), before, 'no mail went out')
  t.same(await storedNotifications(tb.orm, known), [], 'nothing recorded')
})

t.test('the recipient batch refuses an event of another type', async (t) => {
  await t.rejects(recipients(batchOf([eventOf(OrderConfirmed, randomUUID())])), { name: 'PermanentError' })
})
