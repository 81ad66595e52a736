/**
 * The streams of the platform: one per owning domain, each holding its commands
 * (`<domain>.cmd.<verb>`) and events (`<domain>.evt.<past tense>`). Replicas, limits and storage
 * are deployment settings and live with the provisioning code in `@orderflow/messaging`.
 */
export interface StreamName {
  readonly name: string
  readonly subjects: readonly string[]
}

export const Streams = {
  ORDERS: { name: 'ORDERS', subjects: ['order.>'] },
  INVENTORY: { name: 'INVENTORY', subjects: ['inventory.>'] },
  PAYMENTS: { name: 'PAYMENTS', subjects: ['payment.>'] },
  FULFILLMENT: { name: 'FULFILLMENT', subjects: ['fulfillment.>'] },
} as const satisfies Record<string, StreamName>

export type StreamKey = keyof typeof Streams
