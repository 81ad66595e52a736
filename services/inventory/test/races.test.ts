import { randomUUID } from 'node:crypto'
import t from 'tap'
import { CommitStock, ReleaseStock, ReserveStock, type CloudEvent } from '@orderflow/contracts'
import { sqlState, type BatchTx, type SqlDb, type SqlTx } from '@orderflow/db'
import { PermanentError, type Consumer } from '@orderflow/messaging'
import { handleBatch } from '@orderflow/testing/service'
import { expireDueReservations } from '../src/expiry/expire-reservations.js'
import { command, eventually, inventoryConsumers, inventoryTestbed, sku } from './testbed.js'

const tb = await inventoryTestbed(t)
const consumers = inventoryConsumers(tb)

/**
 * Every failed transaction attempt, by SQLSTATE (or `permanent` for a refused command): the
 * batch transaction re-runs 40P01 (a deadlock victim) and 40001 (here: a hold created by a
 * concurrent batch) silently, so they are counted where the attempt fails.
 */
const aborted = new Map<string, number>()
const db = new Proxy(tb.ctx.db, {
  get(target, prop) {
    if (prop === 'transaction') {
      return () => {
        const builder = target.transaction()
        return {
          async execute<T>(work: (tx: SqlTx) => Promise<T>): Promise<T> {
            try {
              return await builder.execute(work)
            } catch (error) {
              const state = sqlState(error) ?? (error instanceof PermanentError ? 'permanent' : 'other')
              aborted.set(state, (aborted.get(state) ?? 0) + 1)
              throw error
            }
          },
        }
      }
    }
    const value: unknown = Reflect.get(target, prop)
    return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
  },
}) satisfies SqlDb

/** What the runner does with a batch: all together, and when that fails, each event alone (retried, or dead-lettered when permanent). */
async function settle<E extends CloudEvent>(consumer: Consumer<E, BatchTx>, events: readonly E[], deadLettered: string[]): Promise<void> {
  try {
    return await handleBatch({ db, outbox: tb.ctx.outbox }, consumer, events)
  } catch {
    for (const e of events) {
      for (let attempt = 1; ; attempt++) {
        try {
          await handleBatch({ db, outbox: tb.ctx.outbox }, consumer, [e], attempt)
          break
        } catch (error) {
          if (error instanceof PermanentError) {
            deadLettered.push(e.subject)
            break
          }
          if (attempt === 6) throw error
        }
      }
    }
  }
}

const chunks = <T>(items: readonly T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size))

const interleave = <T>(...lists: T[][]): T[] =>
  Array.from({ length: Math.max(...lists.map((l) => l.length)) }, (_, i) => lists.flatMap((l) => (i < l.length ? [l[i]!] : []))).flat()

/** Three SKUs with plenty of stock and orders of two or three lines over them, in varying SKU orders. */
async function ordersOverThreeSkus(n: number) {
  const skus = [sku('RACE-X'), sku('RACE-Y'), sku('RACE-Z')]
  for (const s of skus) await tb.seed(s, 10_000)
  const orders = Array.from({ length: n }, (_, i) => ({
    orderId: randomUUID(),
    items: [0, 1, 2].filter((k) => (i + k) % 3 !== 0 || i % 4 === 0).map((k) => ({ sku: skus[(i + k) % 3]!, quantity: 1 + ((i + k) % 3) })),
  }))
  return { skus, orders }
}

/** Stock agrees with the holds: `reserved` is what RESERVED holds hold, `on_hand` lost what COMMITTED ones took. */
async function ledger(skus: readonly string[]) {
  const rows = await tb.orm.em.fork().execute<{ sku: string; on_hand: number; reserved: number; held: number; committed: number }[]>(
    `select s.sku, s.on_hand, s.reserved,
            coalesce(sum(r.quantity) filter (where h.status = 'RESERVED'), 0)::int as held,
            coalesce(sum(r.quantity) filter (where h.status = 'COMMITTED'), 0)::int as committed
       from stock s left join reservations r on r.sku = s.sku left join order_holds h on h.order_id = r.order_id
      where s.sku in (?) group by s.sku order by s.sku`,
    [[...skus]],
  )
  return rows
}

t.test('a release that decided "new order" while a reserve created the hold runs again and gives the stock back', async (t) => {
  aborted.clear()
  const s = sku('RACE-ONE')
  await tb.seed(s, 5)
  const orderId = randomUUID()
  let released: Promise<void> | undefined
  // A reserve of the order, caught between its writes and its commit.
  await tb.orm.em.fork().transactional(async (em) => {
    await em.execute(`update stock set reserved = reserved + 2 where sku = ?`, [s])
    await em.execute(`insert into order_holds (order_id, status, created_at, updated_at, expires_at) values (?, 'RESERVED', now(), now(), now() + interval '1 hour')`, [orderId])
    await em.execute(`insert into reservations (order_id, sku, quantity, status, created_at, expires_at) values (?, ?, 2, 'RESERVED', now(), now() + interval '1 hour')`, [orderId, s])
    released = settle(consumers.release, [command(ReleaseStock, orderId, { orderId, reason: 'cancelled' })], [])
    // The release sees no hold, decides the order is new, and waits on the uncommitted one's key.
    await eventually(async () => {
      const [row] = await tb.orm.em.fork().execute<{ n: string }[]>(`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)
      return Number(row?.n) > 0 ? true : undefined
    }, 'the release waiting for the hold')
  })
  await released
  t.equal(aborted.get('40001'), 1, 'one attempt found the hold taken and ran again')
  t.equal(await tb.hold(orderId), 'RELEASED')
  t.same(await tb.stock(s), { onHand: 5, reserved: 0 }, 'the second attempt gave the reserved units back')
  t.same((await tb.events(orderId)).map((e) => e.type), ['orderflow.inventory.released.v1'])
})

t.test('releases racing their reserves on new orders: each order ends RELEASED, nothing stays reserved', async (t) => {
  aborted.clear()
  const { skus, orders } = await ordersOverThreeSkus(40)
  const reserves = orders.map((o) => command(ReserveStock, o.orderId, o))
  const releases = orders.map((o) => command(ReleaseStock, o.orderId, { orderId: o.orderId, reason: 'cancelled' })).reverse()
  const dead: string[] = []
  await Promise.all([...chunks(reserves, 4).map((b) => settle(consumers.reserve, b, dead)), ...chunks(releases, 4).map((b) => settle(consumers.release, b, dead))])

  t.same(dead, [], 'nothing dead-lettered')
  for (const row of await ledger(skus)) t.same(row, { sku: row.sku, on_hand: 10_000, reserved: 0, held: 0, committed: 0 }, `${row.sku} all given back`)
  for (const { orderId } of orders) {
    const types = (await tb.events(orderId)).map((e) => e.type.replace(/^orderflow\.inventory\.|\.v1$/g, ''))
    if (!['released', 'reserved,released'].includes(types.join())) t.fail(`${orderId}: ${types.join()}`)
    if ((await tb.hold(orderId)) !== 'RELEASED') t.fail(`${orderId} is ${await tb.hold(orderId)}`)
  }
  t.equal(aborted.get('40P01') ?? 0, 0, 'no deadlock')
  t.comment(`transactions re-run because a concurrent batch created a hold first: ${aborted.get('40001') ?? 0}`)
})

t.test('commits, releases, repeated reserves, the expiry sweep and stock PUTs on the same orders and SKUs: no deadlock, stock agrees', async (t) => {
  aborted.clear()
  const { skus, orders } = await ordersOverThreeSkus(48)
  await handleBatch(tb.ctx, consumers.reserve, orders.map((o) => command(ReserveStock, o.orderId, o)))
  // A quarter of them overdue, so the sweep competes for them too.
  const overdue = orders.filter((_, i) => i % 4 === 1).map((o) => o.orderId)
  await tb.orm.em.fork().execute(`update order_holds set expires_at = now() - interval '1 second' where order_id in (?)`, [overdue])

  const shuffled = [...orders].sort((a, b) => (a.orderId < b.orderId ? -1 : 1))
  const commits = shuffled.map((o) => command(CommitStock, o.orderId, { orderId: o.orderId }))
  const releases = [...orders].reverse().map((o) => command(ReleaseStock, o.orderId, { orderId: o.orderId, reason: 'cancelled' }))
  const retries = orders.map((o) => command(ReserveStock, o.orderId, o))
  const writer = tb.auth(['inventory:write'])
  const dead: string[] = []
  // Started interleaved, so that every kind of writer is under way at once.
  const work = interleave<() => Promise<unknown>>(
    chunks(commits, 5).map((b) => () => settle(consumers.commit, b, dead)),
    chunks(releases, 3).map((b) => () => settle(consumers.release, b, dead)),
    chunks(retries, 6).map((b) => () => settle(consumers.reserve, b, dead)),
    skus.map((s) => () => tb.app.inject({ method: 'PUT', url: `/v1/inventory/${s}`, headers: writer, payload: { adjust: 7, reason: 'delivery' } })),
  )
  let racing = true
  const sweeper = async () => {
    let expired = 0
    while (racing) expired += await expireDueReservations(tb.ctx, 1)
    return expired
  }
  const sweeps = Promise.all([sweeper(), sweeper()])
  // A head start of a few milliseconds: the consumers would otherwise lock every order first.
  await new Promise((r) => setTimeout(r, 5))
  await Promise.all(work.map((start) => start()))
  racing = false
  const expired = (await sweeps).reduce((a, b) => a + b, 0)

  t.equal(aborted.get('40P01') ?? 0, 0, 'no deadlock')
  for (const row of await ledger(skus)) {
    t.equal(row.reserved, row.held, `${row.sku}: reserved is what RESERVED holds hold`)
    t.equal(row.on_hand, 10_007 - row.committed, `${row.sku}: on hand lost what COMMITTED holds took`)
  }
  const holds = await Promise.all(orders.map((o) => tb.hold(o.orderId)))
  t.ok(
    holds.every((h) => h === 'RELEASED' || h === 'EXPIRED'),
    'every order ends released or expired',
  )
  // Only a commit that came after its order's release or expiry finds nothing to commit.
  const endOf = new Map<string, string | undefined>(orders.map((o, i) => [o.orderId, holds[i]]))
  t.same(
    dead.filter((orderId) => !['RELEASED', 'EXPIRED'].includes(endOf.get(orderId) ?? '')),
    [],
    'every refused commit was for an order that had ended',
  )
  const ends = holds.reduce<Record<string, number>>((n, h) => ({ ...n, [h ?? 'none']: (n[h ?? 'none'] ?? 0) + 1 }), {})
  t.comment(`ends ${JSON.stringify(ends)} (${expired} expired by the sweep); commits refused (the order had ended first): ${dead.length}; attempts aborted: ${JSON.stringify(Object.fromEntries(aborted))}`)
})
