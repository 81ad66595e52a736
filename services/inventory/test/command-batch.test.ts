import { randomUUID } from 'node:crypto'
import t from 'tap'
import { CommitStock, OrderConfirmed, ReleaseStock, ReserveStock, type CloudEvent } from '@orderflow/contracts'
import type { BatchTx } from '@orderflow/db'
import { PermanentError, type Consumer } from '@orderflow/messaging'
import { command, handle, inventoryConsumers, inventoryTestbed, sku } from './testbed.js'

const tb = await inventoryTestbed(t)
const consumers = inventoryConsumers(tb)

const reserveCmd = (orderId: string, items: { sku: string; quantity: number }[]) => command(ReserveStock, orderId, { orderId, items })
const commitCmd = (orderId: string) => command(CommitStock, orderId, { orderId })
const releaseCmd = (orderId: string) => command(ReleaseStock, orderId, { orderId, reason: 'returned' })
const reserve = (events: ReturnType<typeof reserveCmd>[]) => handle(tb, consumers.reserve, events)
const commit = (events: ReturnType<typeof commitCmd>[]) => handle(tb, consumers.commit, events)
const release = (events: ReturnType<typeof releaseCmd>[]) => handle(tb, consumers.release, events)
const types = async (orderId: string) => (await tb.events(orderId)).map((e) => e.type.replace(/^orderflow\.inventory\.|\.v1$/g, ''))
const inbox = async (ids: readonly string[]) => (await tb.orm.em.fork().execute<unknown[]>(`select 1 from inbox where event_id in (?)`, [[...ids]])).length

t.test('a batch of reserves for one SKU is decided order by order, as single commands would be', async (t) => {
  const s = sku('BATCH')
  await tb.seed(s, 10)
  const orders = [randomUUID(), randomUUID(), randomUUID()]
  const commands = orders.map((orderId) => reserveCmd(orderId, [{ sku: s, quantity: 4 }]))
  await reserve([...commands, commands[0]!])
  t.same(await tb.stock(s), { onHand: 10, reserved: 8 }, 'two orders fit, the repeated command counted once')
  t.same(await types(orders[0]!), ['reserved'])
  t.same(await types(orders[1]!), ['reserved'])
  t.same(await types(orders[2]!), ['rejected'])
  t.equal(await inbox(commands.map((c) => c.id)), 3)

  await commit(orders.slice(0, 2).map(commitCmd))
  t.same(await tb.stock(s), { onHand: 2, reserved: 0 }, 'both committed in one transaction')
  await release(orders.slice(0, 2).map(releaseCmd))
  t.same(await tb.stock(s), { onHand: 10, reserved: 0 }, 'and restocked')
})

t.test('one command that cannot be carried out fails the whole batch, which changes nothing', async (t) => {
  const s = sku('BATCH')
  await tb.seed(s, 10)
  const held = randomUUID()
  await reserve([reserveCmd(held, [{ sku: s, quantity: 2 }]), reserveCmd(randomUUID(), [{ sku: s, quantity: 1 }])])
  const neverReserved = randomUUID()
  const commits = [held, neverReserved].map(commitCmd)
  await t.rejects(commit(commits), PermanentError)
  t.same(await tb.stock(s), { onHand: 10, reserved: 3 }, "the held order's commit rolled back with the batch")
  t.equal(await inbox(commits.map((c) => c.id)), 0, 'no inbox record: the runner handles each again, alone')

  // The runner keeps an event of another type out of the batch (and dead-letters it).
  t.notOk(consumers.reserve.accepts(command(OrderConfirmed, held, { orderId: held })), 'an event of another type')
  t.same(await tb.stock(s), { onHand: 10, reserved: 3 })
})

t.test('batches locking overlapping SKUs in opposite orders do not deadlock', async (t) => {
  const [x, y] = [sku('X'), sku('Y')]
  await tb.seed(x, 1_000)
  await tb.seed(y, 1_000)
  for (let round = 0; round < 10; round++) {
    // Order by order, one batch takes x before y and the other y before x.
    const one = [reserveCmd(randomUUID(), [{ sku: x, quantity: 1 }]), reserveCmd(randomUUID(), [{ sku: y, quantity: 1 }])]
    const two = [reserveCmd(randomUUID(), [{ sku: y, quantity: 1 }]), reserveCmd(randomUUID(), [{ sku: x, quantity: 1 }])]
    await Promise.all([reserve(one), reserve(two)])
  }
  t.same(await tb.stock(x), { onHand: 1_000, reserved: 20 })
  t.same(await tb.stock(y), { onHand: 1_000, reserved: 20 })
})

/**
 * One scenario per consumer, run twice on stock of its own: as one batch, then event by event.
 * Each has two commands for one order (a retry with a new id) and a delivery repeated within the
 * batch (the same event id).
 */
t.test('a batch gives the same result as its events one by one', async (t) => {
  const scenario = async (oneByOne: boolean) => {
    const [a, b] = [sku('EQ-A'), sku('EQ-B')]
    await tb.seed(a, 10)
    await tb.seed(b, 3)
    const [o1, o2, o3, o4, o5] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()]
    const first = reserveCmd(o1, [{ sku: a, quantity: 4 }, { sku: b, quantity: 2 }])
    const reserves = [
      first,
      reserveCmd(o2, [{ sku: b, quantity: 2 }]), // b has 1 left: rejected
      reserveCmd(o3, [{ sku: a, quantity: 5 }]),
      first, // the same delivery again
      reserveCmd(o1, [{ sku: a, quantity: 4 }, { sku: b, quantity: 2 }]), // the saga's retry, a new id
      reserveCmd(o4, [{ sku: a, quantity: 2 }]), // 1 left: rejected
    ]
    const commits = [commitCmd(o1), commitCmd(o1)]
    const release3 = releaseCmd(o3)
    const releases = [release3, releaseCmd(o1), releaseCmd(o5), release3, releaseCmd(o3)]
    const run = async <E extends CloudEvent>(consumer: Consumer<E, BatchTx>, events: readonly E[]) => {
      if (!oneByOne) return handle(tb, consumer, events)
      for (const e of events) await handle(tb, consumer, [e])
    }
    await run(consumers.reserve, reserves)
    await run(consumers.commit, commits)
    await run(consumers.release, releases)
    const orders = { o1, o2, o3, o4, o5 }
    const result: Record<string, unknown> = { a: await tb.stock(a), b: await tb.stock(b) }
    for (const [name, id] of Object.entries(orders)) result[name] = { hold: await tb.hold(id), events: await types(id) }
    return result
  }
  const batched = await scenario(false)
  const single = await scenario(true)
  t.same(batched, single)
  t.same(batched, {
    a: { onHand: 10, reserved: 0 },
    b: { onHand: 3, reserved: 0 },
    o1: { hold: 'RELEASED', events: ['reserved', 'reserved', 'committed', 'committed', 'released'] },
    o2: { hold: 'REJECTED', events: ['rejected'] },
    o3: { hold: 'RELEASED', events: ['reserved', 'released', 'released'] },
    o4: { hold: 'REJECTED', events: ['rejected'] },
    o5: { hold: 'RELEASED', events: ['released'] },
  })
})
