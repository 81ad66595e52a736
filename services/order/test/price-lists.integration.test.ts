import t from 'tap'
import { makeEvent, SkuPriced, type DataOf } from '@orderflow/contracts'
import { readPriceLists } from '../src/catalog/price-lists.sql.js'
import { orderTestbed, replies, sagaHarness } from './testbed.js'

// The inventory's SkuPriced events reach the order service through its inventory consumer (one
// filter subject per consumer on NATS 2.9: the saga's replies and the prices share it), called
// as the runner calls it: a real transaction, inbox and all.
const tb = await orderTestbed(t)
const h = sagaHarness(tb)
const writer = tb.auth(['orders:write'])

const priced = (data: DataOf<typeof SkuPriced>) => makeEvent(SkuPriced, { source: 'orderflow/inventory', subject: data.sku, data })
const listOf = async (sku: string) => (await readPriceLists([sku]).execute(tb.ctx.db)).rows[0]
const place = (items: unknown[]) =>
  tb.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...writer, 'content-type': 'application/json' }, payload: JSON.stringify({ customerId: 'c-1', email: 'c@example.com', currency: 'EUR', items, payment: { method: 'card', token: 'tok_visa' } }) })

t.test('a SkuPriced event becomes the price list intake prices orders from', async (t) => {
  t.equal((await place([{ sku: 'NEW-SKU', quantity: 1 }])).statusCode, 422, 'not for sale before its list arrives')
  await h.handle(h.consumers.inventory, [priced({ sku: 'NEW-SKU', version: 1, prices: [{ currency: 'EUR', unitPrice: 700 }, { currency: 'USD', unitPrice: 800 }] })])
  t.match(await listOf('NEW-SKU'), { version: 1, prices: [{ currency: 'EUR', unitPrice: 700 }, { currency: 'USD', unitPrice: 800 }] })
  const res = await place([{ sku: 'NEW-SKU', quantity: 2 }])
  t.equal(res.statusCode, 202)
  t.match(res.json(), { totalAmount: 1400 })
})

t.test('the newest version wins: within a batch, across batches, and against a late or repeated event', async (t) => {
  const v2 = priced({ sku: 'VERSIONED', version: 2, prices: [{ currency: 'EUR', unitPrice: 200 }] })
  await h.handle(h.consumers.inventory, [priced({ sku: 'VERSIONED', version: 1, prices: [{ currency: 'EUR', unitPrice: 100 }] }), v2])
  t.match(await listOf('VERSIONED'), { version: 2, prices: [{ unitPrice: 200 }] }, 'two versions in one batch: the newer')
  await h.handle(h.consumers.inventory, [priced({ sku: 'VERSIONED', version: 1, prices: [{ currency: 'EUR', unitPrice: 1 }] })])
  t.match(await listOf('VERSIONED'), { version: 2, prices: [{ unitPrice: 200 }] }, 'a late older version changes nothing')
  await h.handle(h.consumers.inventory, [priced({ sku: 'VERSIONED', version: 3, prices: [] })])
  t.match(await listOf('VERSIONED'), { version: 3, prices: [] }, 'an empty list: no longer sold')
  await h.handle(h.consumers.inventory, [v2])
  t.match(await listOf('VERSIONED'), { version: 3 }, 'the same event again is skipped by the inbox')
})

t.test('price lists and saga replies in one batch: both are applied in its transaction', async (t) => {
  const id = await h.place()
  await h.handle(h.consumers.inventory, [priced({ sku: 'MIXED', version: 1, prices: [{ currency: 'EUR', unitPrice: 5 }] }), replies.reserved(id)])
  t.match(await h.saga(id), { state: 'AUTHORIZING' })
  t.match(await listOf('MIXED'), { version: 1 })
})
