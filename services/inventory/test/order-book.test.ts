import t from 'tap'
import { OrderBook, StockInvariantError } from '../src/domain/order-book.js'
import { commitStock } from '../src/use-cases/commit-stock.js'
import { releaseStock } from '../src/use-cases/release-stock.js'
import { reserveStock } from '../src/use-cases/reserve-stock.js'

const ORDER = '0b6d1f4e-9a44-4c8e-9a53-3f8a4a1c2b01'
const OTHER = '0b6d1f4e-9a44-4c8e-9a53-3f8a4a1c2b02'
const later = new Date('2030-01-01T00:00:00Z')

t.test('commands applied one after another see each other, and the changes sum up per SKU', async (t) => {
  const book = new OrderBook([], [['A', { onHand: 5, reserved: 0 }]])
  t.match(reserveStock(book, { orderId: ORDER, items: [{ sku: 'A', quantity: 3 }] }, later).outcome, { kind: 'reserved', repeated: false })
  t.match(reserveStock(book, { orderId: OTHER, items: [{ sku: 'A', quantity: 3 }] }, later).outcome, { kind: 'rejected', rejection: { unavailable: [{ available: 2 }] } })
  t.match(reserveStock(book, { orderId: ORDER.toUpperCase(), items: [{ sku: 'A', quantity: 3 }] }, later).outcome, { kind: 'reserved', repeated: true }, 'order ids compare in any case')
  t.match(commitStock(book, ORDER).outcome, { kind: 'committed', repeated: false })
  t.equal(releaseStock(book, ORDER).outcome, 'restocked')
  t.same(book.levels().get('A'), { onHand: 5, reserved: 0 })
  const changes = book.changes()
  t.same(changes.deltas, [], 'reserve, commit and restock cancel out: no write for A')
  t.same(
    changes.created.map((h) => [h.orderId, h.status, h.expiresAt, h.lines]),
    [
      [ORDER, 'RELEASED', null, [{ sku: 'A', quantity: 3 }]],
      [OTHER, 'REJECTED', null, []],
    ],
    'holds created in the batch are written once, in their final state',
  )
  t.same(changes.settled, [])
})

t.test('a hold that existed is settled, its lines with it; a release of an unknown order opens a RELEASED hold', async (t) => {
  const held = { orderId: ORDER, status: 'RESERVED' as const, rejection: null, expiresAt: later.toISOString(), lines: [{ sku: 'B', quantity: 2 }] }
  const book = new OrderBook([held], [['B', { onHand: 4, reserved: 2 }]])
  t.equal(releaseStock(book, ORDER).outcome, 'released')
  t.equal(releaseStock(book, ORDER).outcome, 'already-released')
  t.equal(releaseStock(book, OTHER).outcome, 'nothing-held')
  t.match(reserveStock(book, { orderId: OTHER, items: [{ sku: 'B', quantity: 1 }] }, later).outcome, { kind: 'stale', status: 'RELEASED' })
  t.match(commitStock(book, ORDER).outcome, { kind: 'not-held', status: 'RELEASED' })
  const changes = book.changes()
  t.same(changes.settled.map((h) => [h.orderId, h.status, h.expiresAt]), [[ORDER, 'RELEASED', null]])
  t.same(changes.created.map((h) => [h.orderId, h.status]), [[OTHER, 'RELEASED']])
  t.same(changes.deltas, [{ sku: 'B', onHand: 0, reserved: -2 }])
})

t.test('the book refuses what the CHECK would refuse, and stock it did not lock', async (t) => {
  const book = new OrderBook([], [['C', { onHand: 1, reserved: 1 }]])
  t.throws(() => book.shift('C', 0, 1), StockInvariantError)
  t.throws(() => book.shift('C', -1, 0), StockInvariantError)
  t.throws(() => book.shift('C', 0, -2), StockInvariantError)
  t.throws(() => book.shift('D', 1, 0), StockInvariantError)
  t.same(book.changes().deltas, [], 'a refused change leaves nothing to write')
})
