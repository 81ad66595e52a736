import type { Orm } from '@orderflow/db'
import { problemResponse, requireRoles, type Plugin } from '@orderflow/http'
import { PaymentErrors } from '../payment.errors.js'
import { findPayment, findTransactions } from '../repositories/payments.repository.js'
import { toPaymentView } from './payment-view.js'
import { PaymentQuery, PaymentView } from './payments.schemas.js'

export interface PaymentRoutesOptions {
  orm: Orm
}

/** The payment API, mounted under `/v1` inside `protectedRoutes`. */
export const paymentRoutes: Plugin<PaymentRoutesOptions> = async (app, { orm }) => {
  app.get(
    '/payments',
    {
      onRequest: requireRoles('payments:read'),
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
      if (!payment) throw PaymentErrors.PAYMENT_NOT_FOUND({ detail: `Order ${orderId} has no payment.`, extra: { orderId } })
      return toPaymentView(payment, await findTransactions(em, orderId))
    },
  )
}
