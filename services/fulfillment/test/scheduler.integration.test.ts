import { randomUUID } from 'node:crypto'
import t from 'tap'
import { checkEvent, ShipmentDelivered, ShipmentPicking, ShipmentShipped, type CloudEvent } from '@orderflow/contracts'
import { consign } from '../src/domain/consignment.js'
import { advanceDueShipments } from '../src/use-cases/advance-shipments.js'
import type { ShipmentSchedule } from '../src/use-cases/schedule.js'
import { cancelShipments, createShipments, eventually, fulfillmentTestbed, outboxTypes } from './testbed.js'

const tb = await fulfillmentTestbed(t)
const HAPPY_PATH = [ShipmentPicking.type, ShipmentShipped.type, ShipmentDelivered.type]

async function create(schedule: ShipmentSchedule, now = new Date()): Promise<string> {
  const [orderId] = await createShipments(tb, [randomUUID()], schedule, now)
  return orderId!
}
async function row(orderId: string) {
  const [r] = await tb.orm.em
    .fork()
    .execute<{ shipment_id: string; status: string; carrier: string | null; tracking_number: string | null; next_step_at: string | null }[]>(
    'select shipment_id, status, carrier, tracking_number, next_step_at from shipments where order_id = ?',
    [orderId],
  )
  return r
}
const statuses = async (ids: readonly string[]) => Promise.all(ids.map(async (id) => (await row(id))?.status))

t.test('a due shipment ships, then is delivered, each step with its event; others wait', async (t) => {
  const schedule = { shipAfterMs: 1_000, deliverAfterMs: 1_000 }
  const start = new Date()
  const due = await create(schedule, new Date(start.getTime() - 5_000))
  const later = await create(schedule, new Date(start.getTime() + 60_000))
  const cancelled = await create(schedule, new Date(start.getTime() - 5_000))
  await cancelShipments(tb, [cancelled])

  await advanceDueShipments(tb.ctx, schedule, 100, start)
  const shipped = await row(due)
  t.match(shipped, { status: 'SHIPPED', carrier: /^[A-Z]+$/, tracking_number: /^[A-Z]+\d{15}$/ })
  t.same(
    { carrier: shipped?.carrier, trackingNumber: shipped?.tracking_number },
    consign(shipped?.shipment_id ?? ''),
    'the statement consigns the parcel as consign() does',
  )
  t.equal(new Date(shipped?.next_step_at ?? 0).getTime(), start.getTime() + 1_000, 'delivery scheduled deliverAfterMs later')
  t.equal((await row(later))?.status, 'PICKING', 'not due yet')
  t.equal((await row(cancelled))?.status, 'CANCELLED', 'a cancelled shipment is never advanced')

  t.equal(await advanceDueShipments(tb.ctx, schedule, 100, start), 0, 'nothing else is due yet')
  await advanceDueShipments(tb.ctx, schedule, 100, new Date(start.getTime() + 1_000))
  t.match(await row(due), { status: 'DELIVERED', next_step_at: null })
  t.same(await outboxTypes(tb.orm, due), HAPPY_PATH)
  const [delivered] = await tb.orm.em.fork().execute<{ payload: { data: Record<string, unknown> } }[]>(
    `select payload from outbox where payload->>'subject' = ? and type = ?`,
    [due, ShipmentDelivered.type],
  )
  t.match(delivered?.payload.data, { orderId: due, carrier: shipped?.carrier, trackingNumber: shipped?.tracking_number })

  // The statement makes the events itself: each must keep its contract, as makeEvent's do.
  const events = await tb.orm.em.fork().execute<{ payload: CloudEvent; subject: string }[]>(`select payload, subject from outbox where payload->>'subject' = ? order by seq`, [due])
  for (const { payload, subject } of events) {
    const check = checkEvent(payload)
    t.ok(check.ok, `${payload.type} keeps its contract`)
    if (check.ok) t.equal(subject, check.definition.subject, 'on its subject')
  }
  t.equal(events[1]?.payload.time, start.toISOString(), 'the step happened at the round’s time')
  await eventually(async () => {
    const [r] = await tb.orm.em.fork().execute<{ n: string }[]>(`select count(*) as n from outbox where payload->>'subject' = ? and sent_at is null`, [due])
    return Number(r?.n) === 0 ? true : undefined
  }, 'the steps published right after their commit (no relay runs)')
})

t.test('replicas racing over the same due shipments advance each exactly once', async (t) => {
  const schedule = { shipAfterMs: 0, deliverAfterMs: 600_000 }
  const ids = await Promise.all(Array.from({ length: 60 }, () => create(schedule, new Date(Date.now() - 1_000))))
  // Four schedulers, small batches, all at once: SKIP LOCKED hands each row to one of them.
  const rounds = await Promise.all(
    Array.from({ length: 4 }, async () => {
      let total = 0
      for (let n = -1; n !== 0; total += n) n = await advanceDueShipments(tb.ctx, schedule, 7)
      return total
    }),
  )
  t.equal(rounds.reduce((a, b) => a + b, 0), 60, `60 steps in all (${rounds.join(' + ')})`)
  t.ok((await statuses(ids)).every((s) => s === 'SHIPPED'))
  const rows = await tb.orm.em.fork().execute<{ order_id: string }[]>(`select payload->>'subject' as order_id from outbox where type = ?`, [ShipmentShipped.type])
  const mine = rows.map((r) => r.order_id).filter((id) => ids.includes(id))
  t.same([mine.length, new Set(mine).size], [60, 60], 'one shipped event per order')
})

t.test('a shipment another transaction holds is skipped, not waited for', async (t) => {
  const schedule = { shipAfterMs: 0, deliverAfterMs: 600_000 }
  const held = await create(schedule, new Date(Date.now() - 1_000))
  const free = await create(schedule, new Date(Date.now() - 1_000))
  await tb.orm.em.fork().transactional(async (em) => {
    await em.execute('select 1 from shipments where order_id = ? for update', [held])
    await advanceDueShipments(tb.ctx, schedule, 100)
  })
  t.equal((await row(free))?.status, 'SHIPPED')
  t.equal((await row(held))?.status, 'PICKING', 'left for the next round')
  await advanceDueShipments(tb.ctx, schedule, 100)
  t.equal((await row(held))?.status, 'SHIPPED', 'taken once released')
})

t.test('restart safety: stopped mid-way, nothing moves; started again, every shipment is delivered once', async (t) => {
  const schedule = { shipAfterMs: tb.config.FULFILLMENT_SHIP_AFTER_MS, deliverAfterMs: tb.config.FULFILLMENT_DELIVER_AFTER_MS }
  const ids: string[] = []
  // Staggered, so the stop finds some shipped and some still picking.
  for (let i = 0; i < 12; i++) ids.push(await create(schedule, new Date(Date.now() + i * 60)))
  const first = await tb.startWorkers({ relay: false, consumers: false })
  await eventually(async () => ((await statuses(ids)).includes('SHIPPED') ? true : undefined), 'a first shipment shipped')
  await first.stop()

  const atStop = await statuses(ids)
  t.ok(atStop.some((s) => s !== 'DELIVERED'), `stopped mid-way: ${atStop.join(',')}`)
  await new Promise((r) => setTimeout(r, 600))
  t.same(await statuses(ids), atStop, 'no timer survives the stop: nothing moved while stopped')

  await tb.startWorkers({ relay: false, consumers: false })
  await eventually(async () => ((await statuses(ids)).every((s) => s === 'DELIVERED') ? true : undefined), 'every shipment delivered')
  for (const id of ids) t.same(await outboxTypes(tb.orm, id), HAPPY_PATH, `each step once for ${id.slice(0, 8)}`)
})
