import pg from 'pg'
import { ENDED } from './mail-check.js'
import { CUSTOMER_PREFIX } from './order-mix.js'
import type { ServiceName } from './platform-services.js'

/** An order of the run as the order service's database holds it. */
export interface OrderRow {
  id: string
  customerId: string
  status: string
  failureReason: string | null
  createdAt: Date
  /**
   * When it ended: its first DELIVERED, FAILED or CANCELLED timeline entry (`updated_at` moves
   * on after the end), else `updated_at` for an ended order without one; null while it runs.
   */
  endedAt: Date | null
  /** Whether the saga confirmed it (and so the customer was told, whatever came after). */
  confirmed: boolean
}

/** A notification the service recorded: the mail whose Message-ID carries its id is about this. */
export interface NotificationRow {
  orderId: string
  kind: string
}

export interface TimelineEntry {
  type: string
  at: Date
  detail: string | null
}

/** The run's reads of the services' databases, through pools that outlive a PostgreSQL restart. */
export interface PlatformDb {
  readonly urls: Readonly<Record<ServiceName, string>>
  orders(): Promise<OrderRow[]>
  /** '' when every outbox is published and every mail sent; else what is still to do. */
  unfinishedWork(): Promise<string>
  notifications(): Promise<Map<string, NotificationRow>>
  /** The timelines of some orders, oldest entry first: where a slow order spent its time. */
  timelines(orderIds: readonly string[]): Promise<Map<string, TimelineEntry[]>>
  close(): Promise<void>
}

const OUTBOX_SERVICES = ['order', 'inventory', 'payment', 'fulfillment'] as const

export function openPlatformDb(pgUrlBase: string, names: readonly ServiceName[], log: (line: string) => void): PlatformDb {
  const urls = Object.fromEntries(names.map((n) => [n, `${pgUrlBase}/orderflow_${n}`])) as Record<ServiceName, string>
  const pools = new Map(
    names.map((n) => {
      const pool = new pg.Pool({ connectionString: urls[n], max: 2, idleTimeoutMillis: 2_000, connectionTimeoutMillis: 5_000, application_name: 'orderflow-chaos' })
      // An idle client whose server went away emits 'error' on the pool; unhandled it would end
      // the run that stopped the server on purpose. The next query simply connects again.
      pool.on('error', (error) => log(`   (pool ${n}: ${error.message})`))
      return [n, pool] as const
    }),
  )
  const pool = (n: ServiceName) => pools.get(n) as pg.Pool
  return {
    urls,
    async orders() {
      const { rows } = await pool('order').query<{ id: string; customer_id: string; status: string; failure_reason: string | null; created_at: Date; ended_at: Date | null; confirmed: boolean }>(
        `select o.id, o.customer_id, o.status, o.failure_reason, o.created_at,
                case when o.status = any($2::text[]) then coalesce(
                  (select min(t.at) from order_timeline t where t.order_id = o.id and t.type = any($2::text[])), o.updated_at) end as ended_at,
                exists (select 1 from order_timeline t where t.order_id = o.id and t.type = 'CONFIRMED') as confirmed
           from orders o where starts_with(o.customer_id, $1)`,
        [CUSTOMER_PREFIX, [...ENDED]],
      )
      return rows.map((r) => ({ id: r.id, customerId: r.customer_id, status: r.status, failureReason: r.failure_reason, createdAt: r.created_at, endedAt: r.ended_at, confirmed: r.confirmed }))
    },
    async unfinishedWork() {
      const left: string[] = []
      for (const n of OUTBOX_SERVICES) {
        const { rows } = await pool(n).query<{ n: number }>('select count(*)::int as n from outbox where sent_at is null')
        if ((rows[0]?.n ?? 0) > 0) left.push(`${n} has ${rows[0]?.n} events to publish`)
      }
      const { rows } = await pool('notification').query<{ n: number }>(`select count(*)::int as n from notifications where status in ('PENDING', 'FAILED')`)
      if ((rows[0]?.n ?? 0) > 0) left.push(`notification has ${rows[0]?.n} mails to send`)
      return left.join('; ')
    },
    async notifications() {
      const { rows } = await pool('notification').query<{ id: string; order_id: string; kind: string }>('select id, order_id, kind from notifications')
      return new Map(rows.map((r) => [r.id.toLowerCase(), { orderId: r.order_id, kind: r.kind }]))
    },
    async timelines(orderIds) {
      const { rows } = await pool('order').query<{ order_id: string; type: string; at: Date; detail: string | null }>(
        'select order_id, type, at, detail from order_timeline where order_id = any($1::uuid[]) order by at, id',
        [orderIds],
      )
      const byOrder = new Map<string, TimelineEntry[]>()
      for (const r of rows) byOrder.set(r.order_id, [...(byOrder.get(r.order_id) ?? []), { type: r.type, at: r.at, detail: r.detail }])
      return byOrder
    },
    async close() {
      await Promise.allSettled([...pools.values()].map((p) => p.end()))
    },
  }
}
