import { randomUUID } from 'node:crypto'
import t from 'tap'
import { OrderConfirmed, OrderCreated } from '@orderflow/contracts'
import { migrationCommand } from '@orderflow/db'
import { notificationEntities } from '../src/entities/entities.js'
import { eventOf, migrationsPath, notificationTestbed, orderCreated, settled, storedNotifications } from './testbed.js'

// No SMTP_URL: the mailer only logs each mail. Nobody received it, so it must not show as SENT.
const tb = await notificationTestbed(t)
await tb.startWorkers()

t.test('a mail only logged (no SMTP_URL) is stored and shown LOGGED, not SENT', async (t) => {
  t.equal(tb.config.SMTP_URL, undefined, 'no SMTP server configured')
  const orderId = randomUUID()
  await tb.publish(OrderCreated, orderCreated(orderId, 'ada@example.com'))
  await tb.publish(OrderConfirmed, eventOf(OrderConfirmed, orderId))
  await settled(tb)
  t.match(await storedNotifications(tb.orm, orderId), [{ kind: 'ORDER_CONFIRMED', status: 'LOGGED', attempts: 1, next_attempt_at: null, last_error: null, message_id: /@orderflow\.local>$/ }])

  const res = await tb.app.inject({ method: 'GET', url: `/v1/notifications?orderId=${orderId}`, headers: tb.auth(['orders:read']) })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { items: [{ kind: 'ORDER_CONFIRMED', status: 'LOGGED', sentAt: String }] })

  // Final, like SENT: a replay of the event does not log it again.
  await tb.publish(OrderConfirmed, eventOf(OrderConfirmed, orderId))
  await settled(tb)
  t.match(await storedNotifications(tb.orm, orderId), [{ status: 'LOGGED', attempts: 1 }])
})

t.test('the migration refuses a status it does not know and goes down and up again', async (t) => {
  const url = tb.config.DATABASE_URL
  const db = tb.orm.em.fork()
  await t.rejects(
    db.execute(`update notifications set status = 'LOGGED', sent_at = null, next_attempt_at = null where status = 'LOGGED'`),
    /notifications_sent_at_check/,
    'LOGGED carries the time it was logged',
  )
  const run = (argv: string[]) => migrationCommand(argv, { url, entities: notificationEntities, migrationsPath, out: () => undefined })
  // The migrations after it first (the trace context's), then its own.
  t.equal(await run(['down']), 0)
  t.equal(await run(['down']), 0)
  const [back] = await db.execute<{ status: string; n: string }[]>(`select status, count(*) as n from notifications group by status`)
  t.equal(back?.status, 'PENDING', 'down: what was only logged is due again')
  t.equal(await run(['up']), 0)
})
