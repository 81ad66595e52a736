import { randomUUID } from 'node:crypto'
import t from 'tap'
import {
  CreateShipment,
  OrderCancelled,
  OrderCancelRefused,
  OrderConfirmed,
  OrderCreated,
  OrderFailed,
  OrderProgressed,
  ShipmentCancelled,
  ShipmentCancelRefused,
  ShipmentDelivered,
  ShipmentPicking,
  ShipmentShipped,
  type CloudEvent,
} from '@orderflow/contracts'
import { openSqlDb } from '@orderflow/db'
import { handleBatch } from '@orderflow/testing/service'
import { startSmtpCatcher } from '@orderflow/testing/smtp'
import { sagaConsumer, shipmentsConsumer } from '../src/consumers/consumers.js'
import { notifyConsumer } from '../src/consumers/notify.consumer.js'
import { recipientConsumer, type OrderCreatedEvent } from '../src/consumers/recipient.consumer.js'
import { createMailer } from '../src/mail/mailer.js'
import { sendDueMails, UnrecordedSends } from '../src/use-cases/send-due-mails.js'
import { eventOf, notificationTestbed, orderCreated, quietLogger, storedNotifications } from './testbed.js'

// The consumers and the sender's round called directly, against the real database and an SMTP server of the test's own.
const smtp = await startSmtpCatcher(t)
const tb = await notificationTestbed(t, { SMTP_URL: smtp.url })
const mailer = createMailer({ smtpUrl: smtp.url, from: 'Orderflow <orders@orderflow.local>', timeoutMs: 2_000, logger: quietLogger })
const recipients = recipientConsumer({ logger: quietLogger })
const saga = notifyConsumer(sagaConsumer, { logger: quietLogger })
const shipments = notifyConsumer(shipmentsConsumer, { logger: quietLogger })
const policy = { minMs: 1_000, maxMs: 1_000, maxAttempts: 3 }
const sendRound = (now = new Date()) => sendDueMails({ db: tb.ctx.db, mailer, logger: quietLogger }, { policy, batchSize: 100 }, now)
const created = (orderId: string, email = `${orderId}@example.com`) => orderCreated(orderId, email) as OrderCreatedEvent
const mailsFor = (orderId: string) => smtp.mails.filter((m) => m.headers.get('subject')?.includes(orderId)).length

t.test('a batch records every notification once; the sender then sends each once', async (t) => {
  const orders = [randomUUID(), randomUUID(), randomUUID()]
  await handleBatch(tb.ctx, recipients, orders.map((id) => created(id)))
  const confirmed = orders.map((id) => eventOf(OrderConfirmed, id))
  const before = smtp.mails.length
  // A step of the saga calls for no mail; the repeated event is recorded once.
  await handleBatch(tb.ctx, saga, [...confirmed, eventOf(OrderProgressed, orders[0]!, { step: 'STOCK_RESERVED' }), confirmed[1]!])
  t.equal(smtp.mails.length, before, 'the consumer sends nothing itself')
  for (const id of orders) t.match(await storedNotifications(tb.orm, id), [{ kind: 'ORDER_CONFIRMED', status: 'PENDING', attempts: 0, next_attempt_at: String }])

  t.match(await sendRound(), { claimed: 3, sent: 3 })
  t.equal(smtp.mails.length - before, 3)
  for (const id of orders) t.match(await storedNotifications(tb.orm, id), [{ kind: 'ORDER_CONFIRMED', status: 'SENT', attempts: 1, next_attempt_at: null }])
  await handleBatch(tb.ctx, saga, confirmed)
  t.match(await sendRound(), { claimed: 0 }, 'a redelivered batch records nothing')
  t.equal(smtp.mails.length - before, 3, 'and sends nothing')
})

t.test('a refused mail is recorded FAILED beside the ones sent; the round it is due again sends only it', async (t) => {
  const orders = [randomUUID(), randomUUID()]
  await handleBatch(tb.ctx, recipients, orders.map((id) => created(id)))
  await handleBatch(
    tb.ctx,
    saga,
    orders.map((id) => eventOf(OrderConfirmed, id)),
  )
  smtp.refuseNext(1)
  const before = smtp.mails.length
  const start = new Date()
  t.match(await sendRound(start), { claimed: 2, sent: 1, failed: 1 })
  const statuses = (await Promise.all(orders.map((id) => storedNotifications(tb.orm, id)))).map(([n]) => n?.status).sort()
  t.same(statuses, ['FAILED', 'SENT'], 'both outcomes committed')
  t.equal(smtp.mails.length - before, 1)
  t.match(await sendRound(start), { claimed: 0 }, 'not due before its backoff')
  t.match(await sendRound(new Date(start.getTime() + policy.minMs)), { claimed: 1, sent: 1 })
  t.equal(smtp.mails.length - before, 2, 'the refused one sent, the sent one not again')
  for (const id of orders) t.match(await storedNotifications(tb.orm, id), [{ status: 'SENT', next_attempt_at: null }])
})

t.test('a mail refused at every attempt is given up, FAILED; a replay of its event tries once more', async (t) => {
  const orderId = randomUUID()
  await handleBatch(tb.ctx, recipients, [created(orderId)])
  const confirmed = eventOf(OrderConfirmed, orderId)
  await handleBatch(tb.ctx, saga, [confirmed])
  smtp.refuseNext(policy.maxAttempts + 1)
  const start = Date.now()
  for (let i = 0; i < policy.maxAttempts; i++) t.match(await sendRound(new Date(start + i * policy.maxMs)), { claimed: 1 })
  t.match(await storedNotifications(tb.orm, orderId), [{ status: 'FAILED', attempts: policy.maxAttempts, next_attempt_at: null, last_error: /busy/ }])
  t.match(await sendRound(new Date(start + 10 * policy.maxMs)), { claimed: 0 }, 'given up')

  await handleBatch(tb.ctx, saga, [confirmed]) // the replay: the inbox knows it, the notification is re-armed
  t.match(await sendRound(new Date(start + 11 * policy.maxMs)), { claimed: 1, sent: 0, gaveUp: 1 }, 'one more attempt, refused again')
  await handleBatch(tb.ctx, saga, [confirmed])
  t.match(await sendRound(new Date(start + 12 * policy.maxMs)), { claimed: 1, sent: 1 })
  t.match(await storedNotifications(tb.orm, orderId), [{ status: 'SENT', attempts: policy.maxAttempts + 2, last_error: null }])
  t.equal(mailsFor(orderId), 1)
})

t.test('a round whose commit is lost after the server took its mails records them next round instead of sending them again', async (t) => {
  const orderId = randomUUID()
  await handleBatch(tb.ctx, recipients, [created(orderId)])
  await handleBatch(tb.ctx, saga, [eventOf(OrderConfirmed, orderId)])
  // The real mailer, and then what a PostgreSQL restart does to the round's session: it ends
  // between the sends and the commit.
  const losingItsSession = {
    async send(mail: Parameters<typeof mailer.send>[0]) {
      const sent = await mailer.send(mail)
      await tb.orm.em
        .fork()
        .execute(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name = 'orderflow-hot-path' and pid <> pg_backend_pid()`)
      return sent
    },
  }
  const unrecorded = new UnrecordedSends()
  const before = mailsFor(orderId)
  await t.rejects(sendDueMails({ db: tb.ctx.db, mailer: losingItsSession, logger: quietLogger, unrecorded }, { policy, batchSize: 100 }), 'the round fails')
  t.equal(mailsFor(orderId) - before, 1, 'the server took the mail')
  t.equal(unrecorded.size, 1, 'and the sender remembers it')
  t.match(await storedNotifications(tb.orm, orderId), [{ status: 'PENDING' }], 'its record was lost with the transaction')

  // While the database is still away, the round fails before it claims or sends anything, and
  // the sender keeps what it owes the database.
  const away = openSqlDb({ url: 'postgres://postgres@127.0.0.1:1/gone', poolSize: 1, logger: quietLogger })
  t.teardown(() => away.destroy())
  await t.rejects(sendDueMails({ db: away, mailer, logger: quietLogger, unrecorded }, { policy, batchSize: 100 }), 'no database, no round')
  t.equal(unrecorded.size, 1, 'still remembered')
  t.equal(mailsFor(orderId) - before, 1, 'nothing sent meanwhile')

  t.match(await sendDueMails({ db: tb.ctx.db, mailer, logger: quietLogger, unrecorded }, { policy, batchSize: 100 }), { claimed: 0 })
  t.equal(mailsFor(orderId) - before, 1, 'not sent again')
  t.equal(unrecorded.size, 0)
  t.match(await storedNotifications(tb.orm, orderId), [{ kind: 'ORDER_CONFIRMED', status: 'SENT', attempts: 1, message_id: String }])
})

t.test('an event whose recipient is not known yet fails the batch before anything is recorded', async (t) => {
  const known = randomUUID()
  await handleBatch(tb.ctx, recipients, [created(known)])
  await t.rejects(handleBatch(tb.ctx, saga, [eventOf(OrderConfirmed, known), eventOf(OrderConfirmed, randomUUID())]), { name: 'RecipientUnknownError' })
  t.same(await storedNotifications(tb.orm, known), [], 'nothing recorded')
  // What the runner does next: each event alone; the known one goes through, the other is retried later.
  await handleBatch(tb.ctx, saga, [eventOf(OrderConfirmed, known)])
  t.match(await storedNotifications(tb.orm, known), [{ status: 'PENDING' }])
  await sendRound()
})

t.test('each consumer takes the types of its subjects, those that call for no mail included, and no other', async (t) => {
  const id = randomUUID()
  const is = (c: { accepts: (e: CloudEvent) => boolean }, events: CloudEvent[]) => events.map((e) => c.accepts(e))
  t.same(is(recipients, [created(id), eventOf(OrderConfirmed, id)]), [true, false])
  t.same(
    is(saga, [
      eventOf(OrderConfirmed, id),
      eventOf(OrderFailed, id, { reason: 'TIMEOUT', message: 'too slow' }),
      eventOf(OrderCancelled, id),
      eventOf(OrderProgressed, id, { step: 'STOCK_RESERVED' }),
      eventOf(OrderCancelRefused, id, { message: 'too late' }),
      eventOf(OrderCreated, id),
      eventOf(ShipmentShipped, id, { shipmentId: randomUUID() }),
    ]),
    [true, true, true, true, true, false, false],
  )
  const shipmentId = randomUUID()
  t.same(
    is(shipments, [
      eventOf(ShipmentShipped, id, { shipmentId }),
      eventOf(ShipmentDelivered, id, { shipmentId }),
      eventOf(ShipmentPicking, id, { shipmentId }),
      eventOf(ShipmentCancelled, id),
      eventOf(ShipmentCancelRefused, id, { status: 'SHIPPED' }),
      eventOf(CreateShipment, id),
      eventOf(OrderConfirmed, id),
    ]),
    [true, true, true, true, true, false, false],
  )
})

t.test('a batch of several events ends as the same events handled one by one', async (t) => {
  const shipmentId = randomUUID()
  // Per run, two orders: order.created twice for the first (another id and address; and the
  // first again, same id), then verdicts and steps — two for one order, one delivered twice.
  const scenario = ([a, b]: readonly string[]) => {
    const createdA = created(a!)
    const confirmedA = eventOf(OrderConfirmed, a!)
    const shippedA = eventOf(ShipmentShipped, a!, { shipmentId, carrier: 'DHL', trackingNumber: 'DHL000000000000007' })
    return {
      orders: [createdA, created(b!), created(a!, 'other@example.com'), createdA],
      saga: [confirmedA, eventOf(OrderProgressed, a!, { step: 'STOCK_RESERVED' }), eventOf(OrderFailed, b!, { reason: 'OUT_OF_STOCK', message: 'gone' }), confirmedA],
      shipments: [shippedA, eventOf(ShipmentPicking, b!, { shipmentId }), eventOf(ShipmentDelivered, a!, { shipmentId }), shippedA],
    }
  }
  const batched = [randomUUID(), randomUUID()]
  const oneByOne = [randomUUID(), randomUUID()]
  const inBatches = scenario(batched)
  await handleBatch(tb.ctx, recipients, inBatches.orders)
  await handleBatch(tb.ctx, saga, inBatches.saga)
  await handleBatch(tb.ctx, shipments, inBatches.shipments)
  const alone = scenario(oneByOne)
  for (const e of alone.orders) await handleBatch(tb.ctx, recipients, [e])
  for (const e of alone.saga) await handleBatch(tb.ctx, saga, [e])
  for (const e of alone.shipments) await handleBatch(tb.ctx, shipments, [e])
  await sendRound()

  const outcome = async ([a, b]: readonly string[]) =>
    Promise.all(
      [a!, b!].map(async (id) => ({
        // The recipient is the address of the order's first order.created.
        notifications: (await storedNotifications(tb.orm, id)).map((n) => [n.kind, n.recipient === `${id}@example.com`, n.status]).sort(),
        mails: mailsFor(id),
      })),
    )
  const result = await outcome(batched)
  t.same(result, await outcome(oneByOne), 'the same notifications and mails')
  t.same(result, [
    {
      notifications: [
        ['ORDER_CONFIRMED', true, 'SENT'],
        ['SHIPMENT_DELIVERED', true, 'SENT'],
        ['SHIPMENT_SHIPPED', true, 'SENT'],
      ],
      mails: 3,
    },
    { notifications: [['ORDER_FAILED', true, 'SENT']], mails: 1 },
  ])
})
