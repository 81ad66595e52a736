import type { Check } from './checks.js'
import type { FaultKind, Profile } from './fault-plan.js'
import type { ServiceName } from './platform-services.js'

/** A fault in the result: seconds from the first order. */
export interface FaultReport {
  atS: number
  kind: FaultKind
  target: ServiceName | null
  description: string
  /** From the harm to the repair. */
  outageS: number
  /** From the repair until the part served again (poison: until dead-lettered). */
  readyAfterS: number | null
  /** From the repair until every order placed before it had ended and had its mails. */
  caughtUpAfterS: number | null
  error: string | null
}

export interface OrderCounts {
  sent: number
  /** Answered 202. */
  accepted: number
  /** Answered with another status, by status and problem code (e.g. `503 SERVICE_UNAVAILABLE`). */
  refused: Record<string, number>
  /** No answer at all, by error code. */
  noAnswer: Record<string, number>
  /** Orders in the database: the accepted ones, and any whose 202 was lost on the way. */
  stored: number
  /** How the stored orders ended: `DELIVERED`, `FAILED PAYMENT_DECLINED`, … or their status if they did not. */
  byOutcome: Record<string, number>
  /** The same per kind of order (normal, decline, scarce, cancel). */
  byKind: Record<string, Record<string, number>>
  /** Cancels sent for accepted `cancel` orders, by answer (202, 409, network-error). */
  cancels: Record<string, number>
}

/** One order of the run, for finding out afterwards what happened to it (times are ISO). */
export interface OrderTrace {
  n: number
  kind: string
  /** `202`, another status and code, or the network error. */
  answer: string
  id: string | null
  status: string | null
  failureReason: string | null
  sentAt: string
  createdAt: string | null
  /** When it ended (its first DELIVERED, FAILED or CANCELLED timeline entry); null while it had not. */
  endedAt: string | null
  /** The cancel's answer, for `cancel` orders that were accepted. */
  cancel: string | null
  /** For an order that took longer than 10 s (its end and its mails) or never ended: its timeline and mails, seconds after it was created. */
  timeline?: string[]
}

export interface ChaosResult {
  /** What was run, for a person to run it again. */
  command: string
  startedAt: string
  settings: {
    profile: Profile
    durationS: number
    rate: number
    /** `dist` (compiled) or `src` (through tsx). */
    source: string
    stallS: number
    endWithinS: number
  }
  machine: { cpus: number; node: string }
  faults: FaultReport[]
  orders: OrderCounts
  mailsReceived: number
  deadLetters: number
  /** Seconds from the last repair until everything had settled; null if it did not within the limit. */
  settledAfterS: number | null
  checks: Check[]
  passed: boolean
  /** Where the processes' logs are. */
  logDir: string
  /** Every order sent, in sending order, and any the database holds whose 202 was lost (n from its customer id). */
  perOrder: OrderTrace[]
}
