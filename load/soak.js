// Soak: an ordinary rate held for an hour or more. It finds what only time reveals: leaks, pools
// that slowly run dry, outbox or inbox tables whose growth makes every query slower.
import { durationEnv, numberEnv, testOptions, vusFor } from './lib/config.js'
import { orderIteration, stockSkus } from './lib/orders.js'

const rate = numberEnv('RATE', 25)
const vus = vusFor(rate)

export const options = testOptions({
  executor: 'constant-arrival-rate',
  rate,
  timeUnit: '1s',
  duration: durationEnv('DURATION', '1h'),
  preAllocatedVUs: vus.preAllocatedVUs,
  maxVUs: vus.maxVUs,
})

export function setup() {
  stockSkus()
}

export default function () {
  orderIteration()
}
