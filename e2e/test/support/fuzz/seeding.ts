import { SERVICES, type Platform, type ServiceName } from '../platform.js'
import { auth, ENDED, placeOrder, price, stock, uniqueSku, waitForStatus } from '../shop.js'
import type { Seeds } from './seeds.js'

async function nextCursor(p: Platform, service: 'order' | 'inventory', url: string): Promise<string> {
  const res = await p.tb[service].app.inject({ method: 'GET', url, headers: auth(p) })
  const cursor = res.json<{ nextCursor?: string | null }>().nextCursor
  if (typeof cursor !== 'string') throw new Error(`seeding: ${url} gave no nextCursor (${res.statusCode} ${res.body})`)
  return cursor
}

/**
 * Gives every service something to find — orders delivered, declined, out of stock and
 * cancelled, with their reservations, payments, shipments and mails; stock; list cursors; dead
 * letters — by running real orders through the whole platform. Then every service's consumers
 * and workers stop, so that during the fuzz the databases change only through the API.
 */
export async function seedPlatform(p: Platform): Promise<Seeds> {
  const skus = [uniqueSku('fuzz-a'), uniqueSku('fuzz-b'), uniqueSku('fuzz-c')]
  for (const sku of skus) await stock(p, sku, 1_000)
  const [a = '', b = ''] = skus
  const delivered = await placeOrder(p, { sku: a, quantity: 2 })
  const declined = await placeOrder(p, { sku: b, token: 'tok_decline' })
  const outOfStock = await placeOrder(p, { sku: a, quantity: 1_000 })
  // Priced but never stocked: the inventory has not heard of it.
  const unstocked = uniqueSku('none')
  await price(p, unstocked, [{ currency: 'EUR', unitPrice: 1250 }])
  const unknownSku = await placeOrder(p, { sku: unstocked })
  const expensiveSku = uniqueSku('expensive')
  await price(p, expensiveSku, [{ currency: 'EUR', unitPrice: 100_000_000_000 }])
  const cancelled = await placeOrder(p, { sku: b })
  await p.tb.order.app.inject({ method: 'POST', url: `/v1/orders/${cancelled}/cancel`, headers: auth(p), payload: { reason: 'changed my mind' } })
  const orderIds = [delivered, declined, outOfStock, unknownSku, cancelled]
  for (const id of orderIds) await waitForStatus(p, id, ENDED, 30_000)
  // One order left where it stands: confirmed, or on its way.
  const inFlight = await placeOrder(p, { sku: b })

  const orderCursors = await Promise.all(
    ['/v1/orders?limit=1', '/v1/orders?limit=2&status=FAILED', '/v1/orders?limit=1&customerId=c-e2e&createdFrom=2000-01-01T00:00:00Z'].map((url) => nextCursor(p, 'order', url)),
  )
  const stockCursors = [await nextCursor(p, 'inventory', '/v1/inventory?limit=1')]

  const { deadLetters } = p.tb.order.ctx
  const deadLetterSeqs: number[] = []
  for (let i = 1; i <= 8; i++) {
    const origin = { subject: p.topology.subject('inventory.cmd.reserve'), stream: p.topology.stream('INVENTORY'), seq: i, consumer: 'fuzz', deliveries: 1 }
    const { seq } = await deadLetters.record({ reason: 'invalid', origin, error: 'seeded for the fuzz', data: Buffer.from(`{"seeded":${i}}`) })
    deadLetterSeqs.push(seq)
  }

  for (const name of Object.keys(SERVICES) as ServiceName[]) await p.pause(name)
  return { orderIds: [...orderIds, inFlight], orderCursors, skus, expensiveSku, stockCursors, deadLetterSeqs }
}
