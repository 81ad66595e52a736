import type { Notice } from '../domain/notice.js'
import { templates, type MailContent } from './templates.js'

/** A mail ready to send: subject, plain text and its HTML alternative. */
export interface RenderedMail {
  subject: string
  text: string
  html: string
}

const SIGNATURE = '— Orderflow'

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Every value in the HTML comes from events; escape it so a reason text cannot inject markup. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c)
}

function contentOf(notice: Notice): MailContent {
  // The switch narrows the notice to the template's own kind, which an indexed lookup cannot.
  switch (notice.kind) {
    case 'ORDER_CONFIRMED':
      return templates.ORDER_CONFIRMED(notice)
    case 'ORDER_FAILED':
      return templates.ORDER_FAILED(notice)
    case 'ORDER_CANCELLED':
      return templates.ORDER_CANCELLED(notice)
    case 'SHIPMENT_SHIPPED':
      return templates.SHIPMENT_SHIPPED(notice)
    case 'SHIPMENT_DELIVERED':
      return templates.SHIPMENT_DELIVERED(notice)
  }
}

/** Renders the notice's template as plain text and simple HTML, both naming the order and its status. */
export function render(notice: Notice): RenderedMail {
  const content = contentOf(notice)
  const facts = [`Order: ${notice.orderId}`, `Status: ${content.status}`]
  const text = [...content.paragraphs, facts.join('\n'), SIGNATURE].join('\n\n') + '\n'
  const html = [
    '<!doctype html>',
    `<html><head><meta charset="utf-8"><title>${escapeHtml(content.subject)}</title></head>`,
    '<body style="font-family: sans-serif">',
    ...content.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    `<p>${facts.map(escapeHtml).join('<br>')}</p>`,
    `<p>${escapeHtml(SIGNATURE)}</p>`,
    '</body></html>',
  ].join('\n')
  return { subject: content.subject, text, html }
}
