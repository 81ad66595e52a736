import type { Orm } from '@orderflow/db'
import { CUSTOMER_ROLE, customerScope, problemResponse, requireAnyRole, type Plugin } from '@orderflow/http'
import { PaymentErrors } from '../payment.errors.js'
import { findPayment, findTransactions } from '../repositories/payments.repository.js'
import { toPaymentView } from './payment-view.js'
import { PaymentQuery, PaymentView } from './payments.schemas.js'

export interface PaymentRoutesOptions {
  orm: Orm
}

/**
 * The payment API, mounted under `/v1` inside `protectedRoutes`. Staff (`payments:read`) read any
 * order's payment; a customer token its own orders' only (another customer's is a 404, as an
 * unknown one is), known from the customer AuthorizePayment named.
 */
export const paymentRoutes: Plugin<PaymentRoutesOptions> = async (app, { orm }) => {
  app.get(
    '/payments',
    {
      onRequest: requireAnyRole('payments:read', CUSTOMER_ROLE),
      schema: {
        summary: "An order's payment and its provider calls",
        tags: ['payments'],
        querystring: PaymentQuery,
        response: { 200: PaymentView, 400: problemResponse('Missing or malformed orderId'), 404: problemResponse('The order has no payment') },
      },
    },
    async (request) => {
      const { orderId } = request.query
      const em = orm.em.fork()
      const payment = await findPayment(em, orderId)
      const own = customerScope(request.user, 'payments:read')
      if (!payment || (own !== undefined && payment.customerId !== own)) throw PaymentErrors.PAYMENT_NOT_FOUND({ detail: `Order ${orderId} has no payment.`, extra: { orderId } })
      return toPaymentView(payment, await findTransactions(em, orderId))
    },
  )
}
