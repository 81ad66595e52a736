/** The simulated carriers a shipment is handed to. */
export const CARRIERS = ['DHL', 'UPS', 'DPD', 'GLS'] as const
export type Carrier = (typeof CARRIERS)[number]

export interface Consignment {
  readonly carrier: Carrier
  readonly trackingNumber: string
}

/**
 * The carrier and tracking number of a shipment, derived from its id rather than drawn at
 * random: a step that is rolled back and run again (a crash, a lost lock) hands the parcel to
 * the same carrier under the same number, so no event ever names a number that was not kept.
 */
export function consign(shipmentId: string): Consignment {
  const hex = shipmentId.replaceAll('-', '').toLowerCase()
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new TypeError(`shipment id ${shipmentId} is not a UUID`)
  const carrier = CARRIERS[Number.parseInt(hex.slice(0, 8), 16) % CARRIERS.length] ?? CARRIERS[0]
  const digits = BigInt(`0x${hex.slice(-12)}`).toString().padStart(15, '0')
  return { carrier, trackingNumber: `${carrier}${digits}` }
}
