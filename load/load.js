// Load: the expected busy-day traffic, RATE orders per second for DURATION. Arrivals do not wait
// for answers (an open model), so a slow service shows up as latency, not as fewer requests.
import { durationEnv, numberEnv, testOptions, vusFor } from './lib/config.js'
import { orderIteration, stockSkus } from './lib/orders.js'

const rate = numberEnv('RATE', 50)
const vus = vusFor(rate)

export const options = testOptions({
  executor: 'constant-arrival-rate',
  rate,
  timeUnit: '1s',
  duration: durationEnv('DURATION', '2m'),
  preAllocatedVUs: vus.preAllocatedVUs,
  maxVUs: vus.maxVUs,
})

export function setup() {
  stockSkus()
}

export default function () {
  orderIteration()
}
