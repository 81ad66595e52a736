import { AuthorizePayment, ReserveStock } from '@orderflow/contracts'
import { message, type Outgoing, type SagaOrder } from './saga.js'

/**
 * The commands of the two steps that wait for a verdict. Built in one place because the
 * deadline sends them again, word for word but for the event id: inventory and payment answer a
 * repeated command for the same order with their first verdict.
 */
export function reserveCommand(order: Pick<SagaOrder, 'orderId' | 'items'>): Outgoing {
  return message(ReserveStock, { orderId: order.orderId, items: order.items.map(({ sku, quantity }) => ({ sku, quantity })) })
}

export function authorizeCommand(saga: Pick<SagaOrder, 'orderId' | 'customerId' | 'totalAmount' | 'currency'>, token: string): Outgoing {
  return message(AuthorizePayment, { orderId: saga.orderId, customerId: saga.customerId, amount: saga.totalAmount, currency: saga.currency, method: 'card', token })
}
