import t from 'tap'
import { auditBooks, main, type Books } from '@orderflow/cli'
import { booksDatabases, describeReport, parseSince } from '../src/books.command.js'

const A = '00000000-0000-4000-8000-00000000000a'
const B = '00000000-0000-4000-8000-00000000000b'

/** A's books: delivered, 2 × SKU-1 committed, 2500 captured; SKU-1 had 10 before. */
const agreeing = (): Books => ({
  orders: [{ id: A, status: 'DELIVERED', totalAmount: '2500' }],
  holds: [{ orderId: A, status: 'COMMITTED' }],
  lines: [{ orderId: A, sku: 'SKU-1', quantity: 2, status: 'COMMITTED' }],
  payments: [{ orderId: A, status: 'CAPTURED', amount: '2500' }],
  operations: [{ orderId: A, operation: 'CAPTURE', succeeded: 1 }],
  stock: [{ sku: 'SKU-1', onHand: 8, reserved: 0, heldByLines: 0 }],
})
const audit = (books: Books, stockBefore: Record<string, number> = { 'SKU-1': 10 }) => auditBooks(books, { stockBefore })

t.test('books that agree report no violation and count the statuses', async (t) => {
  t.same(audit(agreeing()), { violations: [], unfinished: [], statuses: { DELIVERED: 1 } })
})

t.test('a succeeded order needs its stock committed and its total captured exactly once', async (t) => {
  const released = agreeing()
  released.holds[0]!.status = 'RELEASED'
  t.match(audit(released).violations, [/order .*a is DELIVERED but its stock is RELEASED/])

  const voided = agreeing()
  voided.payments[0]!.status = 'VOIDED'
  t.match(audit(voided).violations, [/is DELIVERED but its payment is VOIDED/])

  const short = agreeing()
  short.payments[0]!.amount = '2000'
  t.match(audit(short).violations, [/totals 2500 but 2000 was captured/])

  const twice = agreeing()
  twice.operations[0]!.succeeded = 2
  t.match(audit(twice).violations, [/was captured 2 times/])

  const unpaid = agreeing()
  unpaid.payments = []
  t.match(audit(unpaid).violations, [/its payment is none/])
})

t.test('a failed or cancelled order holds nothing and was charged nothing', async (t) => {
  const books: Books = {
    orders: [{ id: B, status: 'FAILED', totalAmount: '100' }],
    holds: [{ orderId: B, status: 'RESERVED' }],
    lines: [{ orderId: B, sku: 'SKU-1', quantity: 1, status: 'RESERVED' }],
    payments: [{ orderId: B, status: 'AUTHORIZED', amount: null }],
    operations: [{ orderId: B, operation: 'CAPTURE', succeeded: 1 }],
    stock: [{ sku: 'SKU-1', onHand: 10, reserved: 1, heldByLines: 1 }],
  }
  t.match(audit(books).violations, [
    /order .*b is FAILED but its stock is RESERVED/,
    /is FAILED but its payment is AUTHORIZED/,
    /captured 1 and refunded 0 times/,
    /is FAILED but still holds 1 × SKU-1/,
  ])
  books.holds[0]!.status = 'RELEASED'
  books.lines[0]!.status = 'RELEASED'
  books.payments[0]!.status = 'REFUNDED'
  books.operations.push({ orderId: B, operation: 'REFUND', succeeded: 1 })
  books.stock[0] = { sku: 'SKU-1', onHand: 10, reserved: 0, heldByLines: 0 }
  t.same(audit(books).violations, [])
})

t.test('orders in flight are listed apart and their reserved lines are fine', async (t) => {
  const books: Books = {
    orders: [{ id: B, status: 'PAYMENT_PENDING', totalAmount: '100' }],
    holds: [{ orderId: B, status: 'RESERVED' }],
    lines: [{ orderId: B, sku: 'SKU-1', quantity: 1, status: 'RESERVED' }],
    payments: [],
    operations: [],
    stock: [{ sku: 'SKU-1', onHand: 10, reserved: 1, heldByLines: 1 }],
  }
  t.same(audit(books), { violations: [], unfinished: [`order ${B} has not ended: it is PAYMENT_PENDING`], statuses: { PAYMENT_PENDING: 1 } })
})

t.test('stock: reserved equals what the lines hold, nothing below zero, on hand as before minus taken', async (t) => {
  const drift = agreeing()
  drift.stock[0] = { sku: 'SKU-1', onHand: 8, reserved: 3, heldByLines: 1 }
  t.match(audit(drift).violations, [/SKU-1 has 3 reserved but its reserved lines hold 1/])

  const negative = agreeing()
  negative.stock[0] = { sku: 'SKU-1', onHand: 8, reserved: -1, heldByLines: -1 }
  t.match(audit(negative).violations, [/SKU-1 is below zero: 8 on hand, -1 reserved/])

  const overTaken = agreeing()
  overTaken.stock[0]!.onHand = 6
  t.match(audit(overTaken).violations, [/SKU-1 has 6 on hand; 10 before minus 2 taken is 8/])

  t.match(audit(agreeing(), { 'SKU-9': 5 }).violations, [/SKU-9 has no stock row/])
})

t.test('an expected order that was never stored is a violation', async (t) => {
  t.match(auditBooks(agreeing(), { expectedOrderIds: [A, B] }).violations, [new RegExp(`order ${B} does not exist`)])
})

t.test('--since takes a duration or an ISO time', async (t) => {
  const now = new Date('2026-12-02T12:00:00Z')
  t.equal(parseSince('90s', now)?.toISOString(), '2026-12-02T11:58:30.000Z')
  t.equal(parseSince('30m', now)?.toISOString(), '2026-12-02T11:30:00.000Z')
  t.equal(parseSince('2h', now)?.toISOString(), '2026-12-02T10:00:00.000Z')
  t.equal(parseSince('7d', now)?.toISOString(), '2026-11-25T12:00:00.000Z')
  t.equal(parseSince('2026-12-01T08:00:00Z', now)?.toISOString(), '2026-12-01T08:00:00.000Z')
  for (const bad of ['yesterday', '5w', '-3h', '2026-13-45', '']) t.equal(parseSince(bad, now), undefined, bad)
})

t.test('usage errors exit 2 before touching a database', async (t) => {
  const out: string[] = []
  // Unreachable databases: reaching them would fail differently than the usage error below.
  const env = { PG_URL_BASE: 'postgres://nobody@127.0.0.1:1' }
  t.equal(await main(['books', '--since', 'last week'], env, (s) => out.push(s)), 2)
  t.match(out.join('\n'), /--since takes a duration such as 90s/)
  t.equal(await main(['books', '--frobnicate'], env, (s) => out.push(s)), 2)
  t.match(out.at(-1), /orderflow books: Unknown option '--frobnicate'/)
  t.equal(await main(['books', '--help'], env, (s) => out.push(s)), 0)
  t.match(out.at(-1), /usage: orderflow books/)
})

t.test('a database it cannot reach ends the command with exit 2 and says why', async (t) => {
  const out: string[] = []
  t.equal(await main(['books'], { ORDER_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' }, (s) => out.push(s)), 2)
  t.match(out.join('\n'), /^orderflow books: .*ECONNREFUSED/)
})

t.test('the databases default to the ones make up creates; each can be named', async (t) => {
  t.same(booksDatabases({}), {
    order: 'postgres://postgres@127.0.0.1:5432/orderflow_order',
    inventory: 'postgres://postgres@127.0.0.1:5432/orderflow_inventory',
    payment: 'postgres://postgres@127.0.0.1:5432/orderflow_payment',
  })
  t.match(booksDatabases({ PG_URL_BASE: 'postgres://h:1', PAYMENT_DATABASE_URL: 'postgres://p/pay' }), {
    order: 'postgres://h:1/orderflow_order',
    payment: 'postgres://p/pay',
  })
})

t.test('the text report lists the first violations and counts the rest', async (t) => {
  const violations = Array.from({ length: 25 }, (_, i) => `rule ${i} broken`)
  const text = describeReport({ violations, unfinished: ['x', 'y'], statuses: { FAILED: 1, DELIVERED: 3 } }, new Date('2026-12-02T00:00:00Z'))
  t.match(text, /^4 orders since 2026-12-02T00:00:00.000Z \(DELIVERED 3, FAILED 1\)\n25 broken rules:\n {2}rule 0 broken/)
  t.match(text, /rule 19 broken\n {2}… and 5 more \(--json lists all\)\n2 orders still in flight, not judged$/)
  t.notMatch(text, /rule 20 broken/)
  t.match(describeReport({ violations: [], unfinished: [], statuses: {} }, new Date(0)), /^0 orders since .*\nthe books agree$/)
})
