import { defineErrors } from '@orderflow/http'

/** The inventory service's stable problem codes; clients may switch on `code`, never on `title`. */
export const InventoryErrors = defineErrors({
  SKU_NOT_FOUND: { status: 404, title: 'SKU not found' },
  RESERVATION_NOT_FOUND: { status: 404, title: 'No reservation for this order' },
  STOCK_BELOW_RESERVED: { status: 409, title: 'Stock on hand cannot drop below what is reserved' },
  STOCK_ABOVE_LIMIT: { status: 409, title: 'Stock on hand cannot exceed 1,000,000,000 units' },
  INVALID_CURSOR: { status: 400, title: 'Invalid pagination cursor' },
  PRICE_LIST_NOT_FOUND: { status: 404, title: 'The SKU has no price list' },
  DUPLICATE_CURRENCY: { status: 400, title: 'A price list names a currency more than once' },
})
