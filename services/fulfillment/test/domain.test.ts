import { randomUUID } from 'node:crypto'
import t from 'tap'
import { ShipmentCancelled, ShipmentCancelRefused, ShipmentPicking } from '@orderflow/contracts'
import { CARRIERS, consign } from '../src/domain/consignment.js'
import { cancelDecision, nextStep, SHIPMENT_STATUSES, type ShipmentStatus } from '../src/domain/shipment-status.js'
import { cancelShipment } from '../src/use-cases/cancel-shipment.js'
import { createShipment } from '../src/use-cases/create-shipment.js'

t.test('the scheduler moves PICKING → SHIPPED → DELIVERED and nothing else', async (t) => {
  t.equal(nextStep('PICKING'), 'SHIPPED')
  t.equal(nextStep('SHIPPED'), 'DELIVERED')
  t.equal(nextStep('DELIVERED'), undefined)
  t.equal(nextStep('CANCELLED'), undefined)
})

t.test('a shipment can be cancelled only while picking', async (t) => {
  t.same(
    SHIPMENT_STATUSES.map((s) => [s, cancelDecision(s)]),
    [
      ['PICKING', 'cancel'],
      ['SHIPPED', 'refuse'],
      ['DELIVERED', 'refuse'],
      ['CANCELLED', 'already-cancelled'],
    ],
  )
})

t.test('a consignment is derived from the shipment id: the same id, the same carrier and number', async (t) => {
  const id = randomUUID()
  const c = consign(id)
  t.same(consign(id), c, 'deterministic')
  t.same(consign(id.toUpperCase()), c, 'case does not matter')
  t.ok(CARRIERS.includes(c.carrier))
  t.match(c.trackingNumber, new RegExp(`^${c.carrier}\\d{15}$`))
  t.ok(c.trackingNumber.length <= 100, 'fits the contract and the column')
  const numbers = new Set(Array.from({ length: 200 }, () => consign(randomUUID()).trackingNumber))
  t.equal(numbers.size, 200, 'different shipments get different numbers')
  const carriers = new Set(Array.from({ length: 200 }, () => consign(randomUUID()).carrier))
  t.equal(carriers.size, CARRIERS.length, 'every carrier gets parcels')
  t.throws(() => consign('not-a-uuid'), TypeError)
})

t.test('a create starts one PICKING shipment and announces it; any later create changes nothing', async (t) => {
  const orderId = randomUUID()
  const now = new Date('2026-01-01T00:00:00.000Z')
  const command = { orderId, items: [{ sku: 'A', quantity: 1, unitPrice: 1 }] }
  const first = createShipment(undefined, command, { shipAfterMs: 1_000, deliverAfterMs: 1 }, now)
  t.match(first, { outcome: 'created', shipment: { orderId, status: 'PICKING', shippingAddress: null }, event: { type: ShipmentPicking.type, subject: orderId } })
  if (first.outcome !== 'created') return
  t.same(first.shipment.nextStepAt, new Date('2026-01-01T00:00:01.000Z'))
  t.same(createShipment(first.shipment, command, { shipAfterMs: 0, deliverAfterMs: 0 }, now), { outcome: 'exists' })
  t.same(createShipment({ ...first.shipment, status: 'CANCELLED' }, command, { shipAfterMs: 0, deliverAfterMs: 0 }, now), { outcome: 'cancelled' })
})

t.test('every cancel is answered: cancelled while picking or before the create, again once cancelled, refused once it left', async (t) => {
  const orderId = randomUUID()
  const now = new Date()
  const shipment = (status: ShipmentStatus) => ({ orderId, shipmentId: randomUUID(), status })
  t.match(cancelShipment(undefined, orderId, now), {
    outcome: 'cancelled-before-create',
    insert: { orderId, status: 'CANCELLED', items: null, nextStepAt: null },
    event: { type: ShipmentCancelled.type },
  })
  t.match(cancelShipment(shipment('PICKING'), orderId, now), { outcome: 'cancelled', change: { status: 'CANCELLED', nextStepAt: null }, event: { type: ShipmentCancelled.type } })
  const again = cancelShipment(shipment('CANCELLED'), orderId, now)
  t.match(again, { outcome: 'already-cancelled', event: { type: ShipmentCancelled.type } })
  t.notOk(again.change ?? again.insert, 'nothing changes')
  for (const status of ['SHIPPED', 'DELIVERED'] as const) {
    const refused = cancelShipment(shipment(status), orderId, now)
    t.match(refused, { outcome: 'refused', event: { type: ShipmentCancelRefused.type, data: { orderId, status } } })
    t.notOk(refused.change ?? refused.insert, `a ${status} shipment is left alone`)
  }
})
