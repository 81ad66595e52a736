import { InboxMessage, OutboxMessage } from '@orderflow/db'
import { PaymentTransaction } from './payment-transaction.entity.js'
import { Payment } from './payment.entity.js'

/** Every table of the payment database; migrations are generated from this list. */
export const paymentEntities = [Payment, PaymentTransaction, OutboxMessage, InboxMessage]
