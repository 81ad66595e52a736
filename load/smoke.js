// Smoke: two VUs place a handful of orders and follow every one to the saga's verdict. Run it
// before the others: it proves the URLs, the token and the stock are right in seconds.
import { numberEnv, testOptions } from './lib/config.js'
import { orderIteration, stockSkus } from './lib/orders.js'

export const options = testOptions({
  executor: 'shared-iterations',
  vus: 2,
  iterations: numberEnv('ORDERS', 10),
  maxDuration: '2m',
})

export function setup() {
  stockSkus()
}

export default function () {
  orderIteration(1)
}
