import type { Static } from 'typebox'
import { serviceTestbed } from '@orderflow/testing/service'
import type { OrderConfigSchema } from '../src/config.js'
import { orderService } from '../src/service.js'

export type OrderConfig = Static<typeof OrderConfigSchema>

interface TestLike {
  teardown(fn: () => unknown): void
}

/** The order service on a database and NATS namespace of its own; see serviceTestbed. */
export function orderTestbed(t: TestLike, env: Record<string, string> = {}) {
  return serviceTestbed(t, orderService, env)
}

/** A valid order body; override what a test is about. */
export function orderBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    customerId: 'c-42',
    email: 'ada@example.com',
    currency: 'EUR',
    items: [
      { sku: 'SKU-1', quantity: 2, unitPrice: 1250 },
      { sku: 'SKU-2', quantity: 1, unitPrice: 999 },
    ],
    payment: { method: 'card', token: 'tok_visa' },
    ...overrides,
  }
}
