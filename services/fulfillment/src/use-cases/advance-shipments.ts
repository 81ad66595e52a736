import { LockMode } from '@mikro-orm/core'
import type { EntityManager } from '@mikro-orm/postgresql'
import { ShipmentDelivered, ShipmentShipped } from '@orderflow/contracts'
import { enqueueEvents, type Orm } from '@orderflow/db'
import { consign } from '../domain/consignment.js'
import { nextStep } from '../domain/shipment-status.js'
import { Shipment, type IShipment } from '../entities/shipment.entity.js'
import { after, type ShipmentSchedule } from './schedule.js'
import { stepEvent } from './shipment-events.js'

/**
 * Claims up to `batchSize` shipments whose next step is due and takes that step for each, with
 * its event, in one transaction; returns how many it advanced. `FOR UPDATE SKIP LOCKED` lets
 * several replicas run this at once: each claims rows the others do not hold, and a row a
 * cancel holds is skipped this round instead of waited for. Nothing lives in memory between
 * rounds, so a restart loses nothing: a due row stays due until a round commits its step.
 */
export async function advanceDueShipments(orm: Orm, schedule: ShipmentSchedule, batchSize: number, now = new Date()): Promise<number> {
  return orm.em.fork().transactional(async (em) => {
    const due = await em.find(
      Shipment,
      { nextStepAt: { $lte: now } },
      { orderBy: { nextStepAt: 'asc' }, limit: batchSize, lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE },
    )
    for (const shipment of due) advance(em, shipment, schedule, now)
    return due.length
  })
}

// The scheduler runs outside any order's trace: each step's event continues the trace stored
// with the shipment, so one order's steps still share one trace id.
function advance(em: EntityManager, shipment: IShipment, schedule: ShipmentSchedule, now: Date): void {
  const step = nextStep(shipment.status)
  if (step === 'SHIPPED') {
    const { carrier, trackingNumber } = consign(shipment.shipmentId)
    shipment.status = 'SHIPPED'
    shipment.carrier = carrier
    shipment.trackingNumber = trackingNumber
    shipment.nextStepAt = after(now, schedule.deliverAfterMs)
    enqueueEvents(em, [stepEvent(ShipmentShipped, shipment, now)], { traceContext: shipment.traceContext })
  } else if (step === 'DELIVERED') {
    shipment.status = 'DELIVERED'
    shipment.nextStepAt = null
    enqueueEvents(em, [stepEvent(ShipmentDelivered, shipment, now)], { traceContext: shipment.traceContext })
  } else {
    // The check constraint keeps final shipments unscheduled; clear it should one appear anyway.
    shipment.nextStepAt = null
  }
}
