import { lockOrder, outboxRows, type BatchTx, type OutboxRow } from '@orderflow/db'
import type { CloudEvent } from '@orderflow/contracts'
import type { Delivery } from '@orderflow/messaging'
import type { NewShipment, ShipmentChange, ShipmentState } from './shipment-state.js'
import { lockShipments, writeShipments, type ShipmentInsert } from './shipments.sql.js'

type TraceContext = Readonly<Record<string, string>>

// PostgreSQL gives uuids back in lower case; commands may spell them otherwise.
const keyOf = (orderId: string) => orderId.toLowerCase()

/**
 * One command batch's view of the shipments: what statement one locked, updated in memory as
 * each command of the batch is applied in delivery order (two commands for one order see each
 * other's effect, as they would one by one), and the writes statement two makes of it.
 */
export class ShipmentBatch {
  readonly #states = new Map<string, ShipmentState>()
  readonly #inserts = new Map<string, ShipmentInsert>()
  readonly #updates = new Map<string, ShipmentChange>()
  readonly #outbox: OutboxRow[] = []

  constructor(loaded: readonly ShipmentState[]) {
    for (const s of loaded) this.#states.set(keyOf(s.orderId), s)
  }

  /** The order's shipment as the commands so far left it. */
  current(orderId: string): ShipmentState | undefined {
    return this.#states.get(keyOf(orderId))
  }

  insert(shipment: NewShipment, traceContext: TraceContext): void {
    const key = keyOf(shipment.orderId)
    this.#states.set(key, shipment)
    this.#inserts.set(key, { ...shipment, traceContext })
  }

  change(orderId: string, change: ShipmentChange): void {
    const key = keyOf(orderId)
    const current = this.#states.get(key)
    if (!current) throw new Error(`no shipment of order ${orderId} to change`)
    this.#states.set(key, { ...current, status: change.status })
    // A shipment this batch inserts is written once, as it ends up.
    const inserted = this.#inserts.get(key)
    if (inserted) this.#inserts.set(key, { ...inserted, ...change })
    else this.#updates.set(key, change)
  }

  /** Puts the event in the outbox (checked against its contract here), sent with the command's trace. */
  publish(event: CloudEvent, traceContext: TraceContext): void {
    this.#outbox.push(...outboxRows([event], { traceContext }))
  }

  /** Statement two, unless the batch changed nothing (every command a repeat). */
  async write(tx: BatchTx, now: Date): Promise<void> {
    if (this.#inserts.size === 0 && this.#updates.size === 0 && this.#outbox.length === 0) return
    // In order id order, as everything else: two batches creating the same orders wait for each
    // other on the primary key in one order, rather than deadlock.
    const inserts = [...this.#inserts].sort(([a], [b]) => a.localeCompare(b)).map(([, row]) => row)
    const updates = [...this.#updates].map(([orderId, change]) => ({ orderId, ...change }))
    await writeShipments(tx, { inserts, updates, outbox: this.#outbox }, now)
  }
}

/**
 * Statement one of a batch of shipment commands: the inbox, and the shipments of the commands'
 * orders locked in order id order. Returns them as a {@link ShipmentBatch} with the deliveries not
 * handled before, in delivery order.
 */
export async function claimShipments<E extends CloudEvent<{ readonly orderId: string }>>(
  batch: readonly Delivery<E>[],
  tx: BatchTx,
): Promise<{ shipments: ShipmentBatch; fresh: Delivery<E>[] }> {
  const claimed = await tx.claim(lockShipments(lockOrder(batch.map((d) => d.event.data.orderId))))
  return { shipments: new ShipmentBatch(claimed.rows), fresh: batch.filter((d) => claimed.isNew(d.event.id)) }
}
