// Orders as customers place them, and the saga's verdict on a sample of them.
import { check, sleep } from 'k6'
import crypto from 'k6/crypto'
import exec from 'k6/execution'
import http from 'k6/http'
import { Counter, Trend } from 'k6/metrics'
import { BASE_URL, INVENTORY_URL, apiParams, checks, numberEnv } from './config.js'

/**
 * @typedef {{ sku: string, quantity: number, unitPrice?: number }} OrderLine
 * @typedef {{ customerId: string, email: string, currency: string, items: OrderLine[], payment: { method: 'card', token: string } }} OrderBody
 * @typedef {{ id: string, status: string, body: OrderBody, sentAt: number }} PlacedOrder
 */

/** Share of orders paid with a card the simulated provider declines (an expected FAILED order). */
const DECLINE_RATE = numberEnv('DECLINE_RATE', 0.03)
/** Share of orders followed to their outcome; the rest are fire-and-forget. */
export const FOLLOW_RATIO = numberEnv('FOLLOW_RATIO', 0.1)
/** How long a followed order may take before it counts as stuck. Above the 2 s p(99) budget. */
const FOLLOW_TIMEOUT_MS = numberEnv('FOLLOW_TIMEOUT_MS', 10000)
/** Between status polls: the resolution of order_e2e_ms, traded against the GETs it adds. */
const POLL_INTERVAL_MS = numberEnv('POLL_INTERVAL_MS', 200)

/** LOAD-SKU-001 … LOAD-SKU-050: enough SKUs that orders do not all contend for one stock row. */
export const SKUS = Array.from({ length: 50 }, (_, i) => `LOAD-SKU-${String(i + 1).padStart(3, '0')}`)
/** On hand per SKU after setup(): more than any run here sells, so no order fails OUT_OF_STOCK. */
const STOCK_PER_SKU = 1000000
const CUSTOMERS = 1000

/** What the saga's last word counts as. CONFIRMED is enough: shipping is not the checkout's wait. */
const CONFIRMED = ['CONFIRMED', 'SHIPPED', 'DELIVERED']
const ENDED = ['FAILED', 'CANCELLED']

const orderE2e = new Trend('order_e2e_ms', true)
const confirmed = new Counter('orders_confirmed')
/** tok_decline orders that FAILED: the outcome the test asked for, not an error. */
const declined = new Counter('orders_declined')
/** Orders that FAILED or were CANCELLED when they should have been confirmed (or the reverse). */
const unexpected = new Counter('orders_unexpected_outcome')
const timedOut = new Counter('orders_timed_out')

/**
 * setup(): sets every SKU's stock on hand (creating the SKU the first time) and its price list,
 * then waits until the order service prices orders from those lists.
 */
export function stockSkus() {
  for (const sku of SKUS) {
    const body = JSON.stringify({ set: STOCK_PER_SKU, reason: 'k6 load test stock' })
    const res = http.put(`${INVENTORY_URL}/v1/inventory/${sku}`, body, apiParams('stock_sku'))
    const ok = check(res, { 'stock: status 200 or 201': (r) => r.status === 200 || r.status === 201 })
    // Without stock every order fails OUT_OF_STOCK: the numbers would measure nothing.
    if (!ok) exec.test.abort(`stocking ${sku} failed: ${res.status} ${typeof res.body === 'string' ? res.body : ''}`)
    const prices = JSON.stringify({ prices: [{ currency: 'EUR', unitPrice: priceOf(sku) }] })
    const priced = http.put(`${INVENTORY_URL}/v1/inventory/${sku}/prices`, prices, apiParams('price_sku'))
    if (!check(priced, { 'price: status 200': (r) => r.status === 200 })) exec.test.abort(`pricing ${sku} failed: ${priced.status}`)
  }
  waitUntilPriced()
}

/**
 * The lists reach the order service by events. A probe that names every SKU at a unit price of 0
 * is refused either way, so it places nothing: 422 SKU_NOT_PRICED while a list is still on its
 * way, 409 PRICE_MISMATCH once every SKU has its list.
 */
function waitUntilPriced() {
  const probe = JSON.stringify({ ...buildOrder(), items: SKUS.map((sku) => ({ sku, quantity: 1, unitPrice: 0 })) })
  for (let i = 0; i < 100; i++) {
    const res = http.post(`${BASE_URL}/v1/orders`, probe, apiParams('price_probe'))
    if (res.status === 409) return
    if (res.status !== 422) exec.test.abort(`waiting for prices: unexpected ${res.status} ${typeof res.body === 'string' ? res.body : ''}`)
    sleep(0.1)
  }
  exec.test.abort('the order service did not have the price lists after 10 s')
}

/** One iteration of every script: place an order, and follow a sample of them. */
export function orderIteration(followRatio = FOLLOW_RATIO) {
  const placed = placeOrder(buildOrder())
  if (placed && Math.random() < followRatio) followOrder(placed)
}

/** @returns {OrderBody} */
export function buildOrder() {
  const customer = randomInt(1, CUSTOMERS)
  const lines = randomInt(1, 4)
  const skus = pickDistinct(SKUS, lines)
  return {
    customerId: `load-customer-${customer}`,
    email: `load-customer-${customer}@example.com`,
    currency: 'EUR',
    // The price shown to the customer: the order service checks it against the SKU's list.
    items: skus.map((sku) => ({ sku, quantity: randomInt(1, 3), unitPrice: priceOf(sku) })),
    payment: { method: 'card', token: Math.random() < DECLINE_RATE ? 'tok_decline' : 'tok_visa' },
  }
}

/**
 * POST /v1/orders with a fresh Idempotency-Key; the order as accepted, or undefined.
 * @param {OrderBody} body
 * @returns {PlacedOrder | undefined}
 */
export function placeOrder(body) {
  const sentAt = Date.now()
  const res = http.post(`${BASE_URL}/v1/orders`, JSON.stringify(body), apiParams('create_order', { 'Idempotency-Key': uuidV4() }))
  const order = res.status === 202 ? orderIn(res) : undefined
  const accepted = check(res, {
    'create: status 202': checks.status(202),
    'create: Location header': checks.hasLocation,
    'create: body is the order': () => order !== undefined,
  })
  return accepted && order ? { id: order.id, status: order.status, body, sentAt } : undefined
}

/**
 * Polls GET /v1/orders/:id until the saga decides or FOLLOW_TIMEOUT_MS passes; records the time
 * from the POST to the decision in order_e2e_ms and counts the outcome.
 * @param {PlacedOrder} placed
 */
export function followOrder(placed) {
  const expectDecline = placed.body.payment.token === 'tok_decline'
  let status = placed.status
  while (!isDecided(status) && Date.now() - placed.sentAt < FOLLOW_TIMEOUT_MS) {
    sleep(POLL_INTERVAL_MS / 1000)
    const res = http.get(`${BASE_URL}/v1/orders/${placed.id}`, apiParams('get_order'))
    if (!check(res, { 'get: status 200': checks.status(200) })) return
    const order = orderIn(res)
    if (order) status = order.status
  }
  const decided = isDecided(status)
  // A stuck order is recorded at the time it was given up on, so it weighs on the p(99).
  orderE2e.add(Date.now() - placed.sentAt)
  // A declined card must fail the order and any other card must not: both are the saga's job.
  const asExpected = expectDecline ? status === 'FAILED' : CONFIRMED.includes(status)
  if (!decided) timedOut.add(1)
  else if (asExpected) (expectDecline ? declined : confirmed).add(1)
  else unexpected.add(1, { status })
  check(status, {
    'order: decided in time': () => decided,
    'order: outcome matches the card': () => !decided || asExpected,
  })
}

/** @param {string} status */
function isDecided(status) {
  return CONFIRMED.includes(status) || ENDED.includes(status)
}

/**
 * The `id` and `status` of an order response, or undefined when the body is not one.
 * @param {import('k6/http').RefinedResponse<any>} res
 * @returns {{ id: string, status: string } | undefined}
 */
function orderIn(res) {
  /** @type {unknown} */
  let body
  try {
    body = res.json()
  } catch (_notJson) {
    return undefined
  }
  if (typeof body !== 'object' || body === null || !('id' in body) || !('status' in body)) return undefined
  const { id, status } = body
  return typeof id === 'string' && typeof status === 'string' ? { id, status } : undefined
}

/** A stable price per SKU in euro cents (1.99 € … 99.xx €), so totals look like a shop's. */
function priceOf(/** @type {string} */ sku) {
  const n = Number(sku.slice(-3))
  return 199 + ((n * 7919) % 9800)
}

/** A version 4 UUID from k6's CSPRNG: a key seen before would replay that order, not place one. */
function uuidV4() {
  const b = new Uint8Array(crypto.randomBytes(16))
  b[6] = ((b[6] || 0) & 0x0f) | 0x40
  b[8] = ((b[8] || 0) & 0x3f) | 0x80
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** @param {number} min @param {number} max inclusive */
function randomInt(min, max) {
  return min + Math.floor(Math.random() * (max - min + 1))
}

/**
 * `count` different items, as a basket lists each SKU once (a partial Fisher-Yates shuffle).
 * @template T
 * @param {readonly T[]} items
 * @param {number} count
 * @returns {T[]}
 */
function pickDistinct(items, count) {
  const pool = items.slice()
  for (let i = 0; i < count && i < pool.length - 1; i++) {
    const j = randomInt(i, pool.length - 1)
    const picked = /** @type {T} */ (pool[j])
    pool[j] = /** @type {T} */ (pool[i])
    pool[i] = picked
  }
  return pool.slice(0, count)
}
