import t from 'tap'
import { SkuPriced } from '@orderflow/contracts'
import { byCurrency, MAX_PRICES, repeatedCurrency } from '../src/domain/price-list.js'
import { mergeLines, planReservation, type StockLevel } from '../src/domain/reservation-plan.js'
import { isClosed } from '../src/domain/reservation-status.js'
import { applyStockChange } from '../src/domain/stock-change.js'

t.test('mergeLines sums repeated SKUs and sorts by SKU', async (t) => {
  t.same(
    mergeLines([
      { sku: 'B', quantity: 1 },
      { sku: 'A', quantity: 2 },
      { sku: 'B', quantity: 3 },
    ]),
    [
      { sku: 'A', quantity: 2 },
      { sku: 'B', quantity: 4 },
    ],
  )
})

t.test('planReservation is all or nothing and lists every short line', async (t) => {
  const levels = new Map<string, StockLevel>([
    ['A', { onHand: 5, reserved: 2 }],
    ['B', { onHand: 1, reserved: 0 }],
  ])
  const fits = [
    { sku: 'A', quantity: 3 },
    { sku: 'B', quantity: 1 },
  ]
  t.same(planReservation(fits, levels), { kind: 'reserve', lines: fits })
  t.same(
    planReservation(
      [
        { sku: 'A', quantity: 4 },
        { sku: 'B', quantity: 2 },
      ],
      levels,
    ),
    {
      kind: 'reject',
      reason: 'OUT_OF_STOCK',
      unavailable: [
        { sku: 'A', requested: 4, available: 3 },
        { sku: 'B', requested: 2, available: 1 },
      ],
    },
  )
})

t.test('an unknown SKU rejects with UNKNOWN_SKU and 0 available', async (t) => {
  const plan = planReservation(
    [
      { sku: 'A', quantity: 9 },
      { sku: 'Z', quantity: 1 },
    ],
    new Map([['A', { onHand: 1, reserved: 0 }]]),
  )
  t.match(plan, { kind: 'reject', reason: 'UNKNOWN_SKU', unavailable: [{ sku: 'A', available: 1 }, { sku: 'Z', available: 0 }] })
})

t.test('applyStockChange sets or adjusts, never below what is reserved', async (t) => {
  const level = { onHand: 10, reserved: 4 }
  t.same(applyStockChange(level, { set: 7, reason: 'count' }), { ok: true, onHand: 7, change: -3 })
  t.same(applyStockChange(level, { adjust: 5, reason: 'delivery' }), { ok: true, onHand: 15, change: 5 })
  t.same(applyStockChange(level, { adjust: -6, reason: 'broken' }), { ok: true, onHand: 4, change: -6 })
  t.same(applyStockChange(level, { adjust: -7, reason: 'broken' }), { ok: false, onHand: 3, refusal: 'below-reserved' })
  t.same(applyStockChange(level, { set: 3, reason: 'count' }), { ok: false, onHand: 3, refusal: 'below-reserved' })
  // Each adjustment is within the limit, their sum would not be: once an int overflow and a 500.
  t.same(applyStockChange({ onHand: 1_000_000_000, reserved: 0 }, { adjust: 1, reason: 'delivery' }), { ok: false, onHand: 1_000_000_001, refusal: 'above-limit' })
  t.same(applyStockChange({ onHand: 999_999_999, reserved: 0 }, { adjust: 1, reason: 'delivery' }), { ok: true, onHand: 1_000_000_000, change: 1 })
})

t.test('released and expired holds are closed', async (t) => {
  t.ok(isClosed('RELEASED'))
  t.ok(isClosed('EXPIRED'))
  t.notOk(isClosed('RESERVED'))
  t.notOk(isClosed('COMMITTED'))
  t.notOk(isClosed('REJECTED'))
})

t.test('a price list names each currency once, and is kept by currency code', async (t) => {
  t.equal(repeatedCurrency([]), undefined)
  t.equal(repeatedCurrency([{ currency: 'EUR', unitPrice: 1 }, { currency: 'USD', unitPrice: 1 }]), undefined)
  t.equal(repeatedCurrency([{ currency: 'EUR', unitPrice: 1 }, { currency: 'USD', unitPrice: 1 }, { currency: 'EUR', unitPrice: 2 }]), 'EUR')
  t.same(byCurrency([{ currency: 'USD', unitPrice: 2 }, { currency: 'CHF', unitPrice: 3 }, { currency: 'EUR', unitPrice: 1 }]), [
    { currency: 'CHF', unitPrice: 3 },
    { currency: 'EUR', unitPrice: 1 },
    { currency: 'USD', unitPrice: 2 },
  ])
  t.equal(MAX_PRICES, Reflect.get(SkuPriced.data.properties.prices, 'maxItems'), 'the API takes no longer a list than the event may carry')
})
