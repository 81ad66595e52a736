import { OrderFailed, type DataOf, type OrderCreated } from '@orderflow/contracts'
import { HumanMessages } from './saga-messages.js'
import { message, nextDeadline, type Clock, type Outgoing, type SagaOrder, type SagaOutcome, type SagaProgress } from './saga.js'
import { reserveCommand } from './step-commands.js'

export interface SagaStart {
  readonly saga: SagaOrder & SagaProgress
  readonly send: readonly Outgoing[]
  readonly outcome?: SagaOutcome
}

/**
 * The saga of a new order, started in the order's own transaction. It starts RESERVING with
 * ReserveStock sent — unless the order cannot be paid (FAILED INVALID_ORDER at once: checking
 * here rather than after the reservation holds no stock for an order that can never go through).
 */
export function startSaga(order: DataOf<typeof OrderCreated>, clock: Clock): SagaStart {
  const base: SagaOrder = {
    orderId: order.orderId,
    customerId: order.customerId,
    customerEmail: order.email,
    currency: order.currency,
    totalAmount: order.totalAmount,
    items: order.items,
    paymentToken: order.payment?.token ?? null,
    shippingAddress: order.shippingAddress ?? null,
  }
  if (!order.payment) {
    return {
      saga: { ...base, state: 'FAILED', failureReason: 'INVALID_ORDER', failureMessage: HumanMessages.noPayment },
      send: [message(OrderFailed, { orderId: order.orderId, reason: 'INVALID_ORDER', message: HumanMessages.noPayment })],
      outcome: 'FAILED',
    }
  }
  return {
    saga: { ...base, state: 'RESERVING', deadlineAt: nextDeadline(clock) },
    send: [reserveCommand(base)],
  }
}
