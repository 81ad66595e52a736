import { defineErrors } from '@orderflow/http'

/** The fulfillment service's stable problem codes; clients may switch on `code`, never on `title`. */
export const FulfillmentErrors = defineErrors({
  SHIPMENT_NOT_FOUND: { status: 404, title: 'Shipment not found' },
})
