import type { Notice, NotificationKind } from '../domain/notice.js'

/** A mail before layout: its subject and its paragraphs of plain text. */
export interface MailContent {
  subject: string
  /** The order's status as the customer should read it. */
  status: string
  paragraphs: string[]
}

type TemplateOf<K extends NotificationKind> = (notice: Extract<Notice, { kind: K }>) => MailContent

const parcelLines = (n: { carrier?: string; trackingNumber?: string }): string[] => [
  ...(n.carrier ? [`Carrier: ${n.carrier}`] : []),
  ...(n.trackingNumber ? [`Tracking number: ${n.trackingNumber}`] : []),
]

/** One small template per kind: the words live here, the layout in render.ts. */
export const templates: { [K in NotificationKind]: TemplateOf<K> } = {
  ORDER_CONFIRMED: (n) => ({
    subject: `Your order ${n.orderId} is confirmed`,
    status: 'CONFIRMED',
    paragraphs: ['Thank you for your order. Your items are reserved and your payment is authorized; we are preparing your shipment.'],
  }),
  ORDER_FAILED: (n) => ({
    subject: `We could not complete your order ${n.orderId}`,
    status: 'FAILED',
    paragraphs: [`Reason: ${n.message}`, 'Nothing has been charged; any amount held on your card has been released.'],
  }),
  ORDER_CANCELLED: (n) => ({
    subject: `Your order ${n.orderId} has been cancelled`,
    status: 'CANCELLED',
    paragraphs: [...(n.reason ? [`Reason: ${n.reason}`] : []), 'Any payment has been voided or refunded.'],
  }),
  SHIPMENT_SHIPPED: (n) => ({
    subject: `Your order ${n.orderId} has shipped`,
    status: 'SHIPPED',
    paragraphs: ['Your parcel is on its way.', ...parcelLines(n)],
  }),
  SHIPMENT_DELIVERED: (n) => ({
    subject: `Your order ${n.orderId} has been delivered`,
    status: 'DELIVERED',
    paragraphs: ['Your parcel has been delivered. We hope you enjoy your order.', ...parcelLines(n)],
  }),
}
