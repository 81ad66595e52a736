import type { CloudEvent } from '@orderflow/contracts'
import { outboxRows } from '@orderflow/db'
import type { Delivery } from '@orderflow/messaging'
import type { CallRecord } from '../repositories/call-records.sql.js'
import type { PaymentChangeSet, PaymentRow } from '../repositories/payments.sql.js'

/** What a command may change of a payment. */
export type PaymentMove = Partial<Pick<PaymentRow, 'status' | 'providerRef' | 'declineReason' | 'declineMessage'>>

/**
 * A batch's payments in memory, as statement one locked them, and what the batch does to them:
 * the commands are applied one after the other in delivery order (two for one order see each
 * other's effect), then {@link changes} is what statement two writes.
 */
export class PaymentBatch {
  private readonly payments = new Map<string, PaymentRow>()
  private readonly moved = new Set<string>()
  private readonly events: { readonly event: CloudEvent; readonly delivery: Delivery }[] = []
  private readonly calls: CallRecord[] = []

  constructor(rows: readonly PaymentRow[]) {
    for (const row of rows) this.payments.set(key(row.orderId), row)
  }

  /** The order's payment, or undefined when it has none. */
  find(orderId: string): PaymentRow | undefined {
    return this.payments.get(key(orderId))
  }

  /** The order's payment, which statement one created if needed: missing, it is a bug. */
  get(orderId: string): PaymentRow {
    const payment = this.find(orderId)
    if (!payment) throw new Error(`payment of order ${orderId} was not loaded`)
    return payment
  }

  move(orderId: string, change: PaymentMove): PaymentRow {
    const next = { ...this.get(orderId), ...change }
    this.payments.set(key(orderId), next)
    this.moved.add(key(orderId))
    return next
  }

  /** An event the delivery caused; it carries that delivery's trace context. */
  emit(delivery: Delivery, event: CloudEvent): void {
    this.events.push({ event, delivery })
  }

  record(calls: readonly CallRecord[]): void {
    this.calls.push(...calls)
  }

  changes(): PaymentChangeSet {
    return {
      payments: [...this.moved].map((id) => this.get(id)),
      calls: this.calls,
      outbox: this.events.flatMap(({ event, delivery }) => outboxRows([event], { traceContext: delivery.traceContext() })),
    }
  }
}

// Order ids are UUIDs: compare them whatever the case the command wrote them in.
const key = (orderId: string) => orderId.toLowerCase()
