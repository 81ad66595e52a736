import { randomUUID } from 'node:crypto'
import t from 'tap'
import { accessMatrix, testAccess, type AccessRow, type AccessTable } from '@orderflow/testing/service'
import { inventoryTestbed, sku } from './testbed.js'

// Every route of the inventory service × every kind of caller, from the app's own route table:
// a route added without a row here fails the first test. Stock and prices are staff business:
// customers have no access to them.
const tb = await inventoryTestbed(t)
const own = `c-${randomUUID().slice(0, 8)}`
const other = `c-${randomUUID().slice(0, 8)}`
const stocked = sku('ACCESS')
await tb.seed(stocked, 5)
const priced = sku('ACCESS')
const prices = { prices: [{ currency: 'EUR', unitPrice: 1250 }] }
await tb.app.inject({ method: 'PUT', url: `/v1/inventory/${priced}/prices`, headers: tb.auth(['inventory:write']), payload: prices })

const read = (url: string, staff = 200): AccessRow => ({
  roles: ['inventory:read', 'inventory:write'],
  staffRoles: ['inventory:read'],
  request: () => ({ url }),
  expect: { 'wrong role': 403, 'customer own': 403, 'customer other': 403, staff },
})
const table: AccessTable = {
  'GET /v1/inventory': read('/v1/inventory'),
  'GET /v1/inventory/:sku': read(`/v1/inventory/${stocked}`),
  // No reserve command for this order was handled: 404 past the role check.
  'GET /v1/inventory/reservations': read(`/v1/inventory/reservations?orderId=${randomUUID()}`, 404),
  'PUT /v1/inventory/:sku': {
    roles: ['inventory:write'],
    request: () => ({ url: `/v1/inventory/${stocked}`, payload: { adjust: 1, reason: 'found one' } }),
    expect: { 'wrong role': 403, 'customer own': 403, 'customer other': 403, staff: 200 },
  },
  'GET /v1/inventory/:sku/prices': read(`/v1/inventory/${priced}/prices`),
  'PUT /v1/inventory/:sku/prices': {
    roles: ['inventory:write'],
    request: () => ({ url: `/v1/inventory/${priced}/prices`, payload: prices }),
    expect: { 'wrong role': 403, 'customer own': 403, 'customer other': 403, staff: 200 },
  },
}

const matrix = accessMatrix(tb.app, table, { own, other })

testAccess(t, matrix)

t.test('inventory:write reads too (who counts stock sees it)', async (t) => {
  const res = await tb.app.inject({ method: 'GET', url: `/v1/inventory/${stocked}`, headers: tb.auth(['inventory:write']) })
  t.equal(res.statusCode, 200)
})
