import type { CaughtMail } from '@orderflow/testing/smtp'

/** The statuses an order ends in. */
export const ENDED: ReadonlySet<string> = new Set(['DELIVERED', 'FAILED', 'CANCELLED'])

/**
 * The mails an ended order's customer must have had, each exactly once: a confirmation if the
 * saga confirmed it, then what the end was (a delivered order was also shipped).
 */
export function expectedMails(order: { status: string; confirmed: boolean }): string[] {
  const confirmed = order.confirmed ? ['ORDER_CONFIRMED'] : []
  switch (order.status) {
    case 'DELIVERED':
      return ['ORDER_CONFIRMED', 'SHIPMENT_SHIPPED', 'SHIPMENT_DELIVERED']
    case 'FAILED':
      return [...confirmed, 'ORDER_FAILED']
    case 'CANCELLED':
      return [...confirmed, 'ORDER_CANCELLED']
    default:
      return []
  }
}

/** The notification id a mail's Message-ID (`<id@domain>`) carries. */
export function notificationIdOf(mail: Pick<CaughtMail, 'headers'>): string | undefined {
  return /^<([^@>]+)@/.exec(mail.headers.get('message-id') ?? '')?.[1]?.toLowerCase()
}

export interface MailAudit {
  received: number
  /** Every broken promise, one sentence each. */
  breaches: string[]
}

/**
 * Counts the mails the catcher received per order and kind — the kind and order of a mail found
 * through the notification its Message-ID names — against what each ended order calls for.
 * Two ways to get a mail twice are told apart: two notifications of one kind (the service decided
 * twice), and one notification sent twice (the same Message-ID: the sender could not record that
 * the server took it, and sent it again). Orders not ended yet are left to the check that they end.
 */
export function auditMails(
  orders: readonly { id: string; status: string; confirmed: boolean }[],
  mails: readonly Pick<CaughtMail, 'headers'>[],
  notifications: ReadonlyMap<string, { orderId: string; kind: string }>,
): MailAudit {
  const breaches: string[] = []
  // order → kind → notification id → copies received
  const received = new Map<string, Map<string, Map<string, number>>>()
  for (const mail of mails) {
    const id = notificationIdOf(mail)
    const notification = id === undefined ? undefined : notifications.get(id)
    if (id === undefined || !notification) {
      breaches.push(`a mail with Message-ID ${mail.headers.get('message-id') ?? '(none)'} matches no notification the service recorded`)
      continue
    }
    const kinds = received.get(notification.orderId) ?? new Map<string, Map<string, number>>()
    const copies = kinds.get(notification.kind) ?? new Map<string, number>()
    copies.set(id, (copies.get(id) ?? 0) + 1)
    kinds.set(notification.kind, copies)
    received.set(notification.orderId, kinds)
  }
  const known = new Set(orders.map((o) => o.id))
  for (const orderId of received.keys()) if (!known.has(orderId)) breaches.push(`mails went out for order ${orderId}, which the run did not place`)
  for (const order of orders) {
    if (!ENDED.has(order.status)) continue
    const got = received.get(order.id) ?? new Map<string, Map<string, number>>()
    const expected = expectedMails(order)
    const about = `order ${order.id} (${order.status})`
    for (const kind of expected) {
      const copies = got.get(kind) ?? new Map<string, number>()
      if (copies.size !== 1) breaches.push(`${about} got ${copies.size} ${kind} mails${copies.size > 1 ? ' (each its own notification)' : ''}, not 1`)
      for (const [id, n] of copies) if (n > 1) breaches.push(`${about} got its ${kind} mail ${n} times, each with Message-ID <${id}@…>: sent again`)
    }
    for (const [kind, copies] of got) {
      if (expected.includes(kind)) continue
      const n = [...copies.values()].reduce((a, b) => a + b, 0)
      breaches.push(`${about} got ${n} ${kind} mail${n === 1 ? '' : 's'} it should not have`)
    }
  }
  return { received: mails.length, breaches }
}

/** A mail as it reached the catcher: what it was about and when (epoch ms). */
export interface ArrivedMail {
  kind: string
  at: number
}

/** The mails each order's customer received, in arrival order, found through their notifications. */
export function mailsByOrder(
  mails: readonly Pick<CaughtMail, 'headers' | 'receivedAt'>[],
  notifications: ReadonlyMap<string, { orderId: string; kind: string }>,
): Map<string, ArrivedMail[]> {
  const byOrder = new Map<string, ArrivedMail[]>()
  for (const mail of mails) {
    const n = notifications.get(notificationIdOf(mail) ?? '')
    if (n) byOrder.set(n.orderId, [...(byOrder.get(n.orderId) ?? []), { kind: n.kind, at: mail.receivedAt.getTime() }])
  }
  return byOrder
}
