import { randomUUID } from 'node:crypto'
import t from 'tap'
import { CommitStock, ReleaseStock, ReserveStock } from '@orderflow/contracts'
import { PermanentError } from '@orderflow/messaging'
import { createLogger } from '@orderflow/telemetry'
import { expireDueReservations } from '../src/expiry/expire-reservations.js'
import { startExpiryWorker } from '../src/expiry/expiry-worker.js'
import { inventoryMetrics } from '../src/inventory.metrics.js'
import { command, eventually, handle, inventoryConsumers, inventoryTestbed, sku } from './testbed.js'

const tb = await inventoryTestbed(t)
const metrics = inventoryMetrics(tb.ctx.registry)
const consumers = inventoryConsumers(tb)
const reserve = (orderId: string, s: string, quantity: number) =>
  handle(tb, consumers.reserve, [command(ReserveStock, orderId, { orderId, items: [{ sku: s, quantity }] })])
/** The sweep as the worker runs it: the service's ORM, its after-commit publisher. */
const expire = (batchSize: number) => expireDueReservations(tb.ctx, batchSize)

async function reserved(s: string, quantity: number): Promise<string> {
  const orderId = randomUUID()
  await reserve(orderId, s, quantity)
  return orderId
}
/** Moves an order's deadline into the past, as if its saga had gone quiet for the whole TTL. */
const overdue = (orderId: string) =>
  tb.orm.em
    .fork()
    .execute(`update order_holds set expires_at = now() - interval '1 second' where order_id = ?; update reservations set expires_at = now() where order_id = ?`, [orderId, orderId])
const statuses = async (orderId: string) => {
  const [row] = await tb.orm.em
    .fork()
    .execute<{ hold: string; lines: string[] }[]>(
      'select h.status as hold, array_agg(r.status) as lines from order_holds h join reservations r using (order_id) where h.order_id = ? group by h.status',
      [orderId],
    )
  return row
}
const released = async (orderId: string) => (await tb.events(orderId)).filter((e) => e.type === 'orderflow.inventory.released.v1').length

t.test('overdue reservations are released in batches, each with inventory.released', async (t) => {
  const s = sku('EXP')
  await tb.seed(s, 20)
  const due = [await reserved(s, 2), await reserved(s, 2), await reserved(s, 2), await reserved(s, 2), await reserved(s, 2)]
  const live = await reserved(s, 3)
  for (const id of due) await overdue(id)
  t.same(await tb.stock(s), { onHand: 20, reserved: 13 })

  t.equal(await expire(2), 2)
  t.equal(await expire(2), 2)
  t.equal(await expire(2), 1)
  t.equal(await expire(2), 0, 'nothing left')

  t.same(await tb.stock(s), { onHand: 20, reserved: 3 }, 'only the live reservation still holds')
  for (const id of due) {
    t.same(await statuses(id), { hold: 'EXPIRED', lines: ['EXPIRED'] })
    t.equal(await released(id), 1, 'the saga hears about it')
  }
  t.same(await statuses(live), { hold: 'RESERVED', lines: ['RESERVED'] })
  // No relay runs here: the sweep published its events itself, right after its commit.
  const unsent = async () => {
    const [row] = await tb.orm.em.fork().execute<{ n: string }[]>(`select count(*) as n from outbox where payload->>'subject' in (?) and sent_at is null`, [due])
    return Number(row?.n) === 0 ? true : undefined
  }
  t.ok(await eventually(unsent, 'the released events published'))
})

t.test('after expiry a commit is permanent, a release answers without giving back twice', async (t) => {
  const s = sku('EXP')
  await tb.seed(s, 5)
  const orderId = await reserved(s, 5)
  await overdue(orderId)
  await expire(10)
  await t.rejects(handle(tb, consumers.commit, [command(CommitStock, orderId, { orderId })]), PermanentError)
  await handle(tb, consumers.release, [command(ReleaseStock, orderId, { orderId, reason: 'saga timed out' })])
  t.same(await tb.stock(s), { onHand: 5, reserved: 0 })
  t.equal(await released(orderId), 2)
  await reserve(orderId, s, 1)
  t.same(await tb.stock(s), { onHand: 5, reserved: 0 }, 'an expired order never reserves again')
})

t.test('an order a command handler holds locked is skipped, not waited for', async (t) => {
  const s = sku('EXP')
  await tb.seed(s, 5)
  const orderId = await reserved(s, 1)
  await overdue(orderId)
  await tb.orm.em.fork().transactional(async (em) => {
    await em.execute('select 1 from order_holds where order_id = ? for update', [orderId])
    t.equal(await expire(10), 0, 'SKIP LOCKED passed it by')
  })
  t.equal(await expire(10), 1, 'and takes it once free')
})

t.test('the worker sweeps on its interval and stops cleanly', async (t) => {
  const s = sku('EXP')
  await tb.seed(s, 5)
  const orderId = await reserved(s, 4)
  await overdue(orderId)
  const worker = startExpiryWorker(tb.ctx, createLogger({ serviceName: 'inventory-test', level: 'silent' }), metrics, { intervalMs: 50, batchSize: 1 })
  t.teardown(() => worker.stop())
  const deadline = Date.now() + 5_000
  while ((await tb.stock(s))?.reserved !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
  await worker.stop()
  t.same(await tb.stock(s), { onHand: 5, reserved: 0 })
  t.match(await tb.ctx.registry.getSingleMetricAsString('inventory_reservations_total'), /outcome="expired"\} [1-9]/)
})
