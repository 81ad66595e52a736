// Spike: a calm RATE, a jump to SPIKE_RATE within seconds (a flash sale, a retry storm), then
// calm again for long enough to see the backlog drain. Errors abort the run; slowness during the
// spike does not, so the summary still shows whether the system recovers.
import { numberEnv, testOptions, vusFor } from './lib/config.js'
import { orderIteration, stockSkus } from './lib/orders.js'

const calm = numberEnv('RATE', 20)
const spike = numberEnv('SPIKE_RATE', 400)
const vus = vusFor(spike)

export const options = testOptions(
  {
    executor: 'ramping-arrival-rate',
    startRate: calm,
    timeUnit: '1s',
    stages: [
      { target: calm, duration: '1m' },
      { target: spike, duration: '10s' },
      { target: spike, duration: '1m' },
      { target: calm, duration: '10s' },
      { target: calm, duration: '2m' },
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
