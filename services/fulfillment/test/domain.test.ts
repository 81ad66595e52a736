import { randomUUID } from 'node:crypto'
import t from 'tap'
import { CARRIERS, consign } from '../src/domain/consignment.js'
import { cancelDecision, nextStep, SHIPMENT_STATUSES } from '../src/domain/shipment-status.js'

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
