// Stress: the arrival rate climbs in steps to PEAK_RATE and holds there, to find the rate at
// which latency or errors break the budget. Errors abort the run; slowness alone does not.
import { durationEnv, numberEnv, testOptions, vusFor } from './lib/config.js'
import { orderIteration, stockSkus } from './lib/orders.js'

const peak = numberEnv('PEAK_RATE', 200)
const step = durationEnv('STAGE', '2m')
const vus = vusFor(peak)

export const options = testOptions(
  {
    executor: 'ramping-arrival-rate',
    startRate: Math.ceil(peak / 10),
    timeUnit: '1s',
    stages: [
      { target: Math.ceil(peak / 4), duration: step },
      { target: Math.ceil(peak / 2), duration: step },
      { target: Math.ceil((peak * 3) / 4), duration: step },
      { target: peak, duration: step },
      // Held at the peak for one more step: queues that grow slowly show only with time.
      { target: peak, duration: step },
      { target: 0, duration: '30s' },
    ],
    preAllocatedVUs: vus.preAllocatedVUs,
    maxVUs: vus.maxVUs,
  },
  { abortOnErrors: true }
)

export function setup() {
  stockSkus()
}

export default function () {
  orderIteration()
}
