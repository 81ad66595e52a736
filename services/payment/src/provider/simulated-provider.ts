import { randomUUID } from 'node:crypto'
import type {
  AuthorizeRequest,
  AuthorizeResult,
  IdempotentRequest,
  PaymentProvider,
  ProviderOperation,
  ProviderReceipt,
  SettleRequest,
  VoidRequest,
} from './payment-provider.js'
import { ProviderRejectedError, ProviderUnavailableError } from './provider.errors.js'

/** Card tokens whose outcome the simulation decides; any other token is declined. */
export const SimulatedTokens = {
  VISA: 'tok_visa',
  DECLINE: 'tok_decline',
  INSUFFICIENT_FUNDS: 'tok_insufficient_funds',
  /** Never answers: the client's timeout must cut the call. */
  TIMEOUT: 'tok_timeout',
  /** Fails transiently for the first `unavailableAttempts` attempts of each order. */
  UNAVAILABLE: 'tok_unavailable',
} as const

export interface SimulatedProviderOptions {
  /** Share of calls (0–1) that fail transiently at random, for load runs. @default 0 */
  failureRate?: number
  /** Delay before every answer. @default 0 */
  latencyMs?: number
  /** Attempts per order that fail before `tok_unavailable` authorizes. @default 2 */
  unavailableAttempts?: number
  /** Source of randomness for `failureRate`. @default Math.random */
  random?: () => number
}

type AuthorizationState = 'authorized' | 'captured' | 'voided' | 'refunded'

/** What the simulated provider holds for an order. */
export interface SimulatedAuthorization {
  readonly providerRef: string
  readonly amount: number
  readonly currency: string
  state: AuthorizationState
  captureRef?: string
  refundRef?: string
}

/** One call that reached the provider. */
interface Call {
  readonly operation: ProviderOperation
  readonly orderId: string
  /** Answered from the idempotency keys: nothing was done again. */
  replayed: boolean
}

/** The answer kept for an idempotency key, with the operation it answered. */
type KeptAnswer =
  | { readonly operation: 'authorize'; readonly result: AuthorizeResult }
  | { readonly operation: 'capture' | 'refund'; readonly receipt: ProviderReceipt }
  | { readonly operation: 'void' }

/**
 * An in-process card provider for development, tests and load runs. Outcomes are decided by the
 * card token. It honours idempotency keys as a real provider does: the first answer to a key is
 * kept, and every later request with that key gets the same answer without anything being done
 * again — a second authorization, capture or refund never happens, whatever the retries. A real
 * provider keeps those answers on its side (for a day or so), which is what lets the service ask
 * again after its own transaction died with the answer in it; this one keeps them in memory.
 * Failures are not kept (a transient one may pass on the next attempt). Its books are in memory
 * too: after a restart it has forgotten every key and authorization, so it accepts a capture, void
 * or refund of a reference it does not know, where a real provider would know it.
 */
export class SimulatedProvider implements PaymentProvider {
  private readonly failureRate: number
  private readonly latencyMs: number
  private readonly unavailableAttempts: number
  private readonly random: () => number
  private readonly authorizations = new Map<string, SimulatedAuthorization>()
  private readonly answers = new Map<string, KeptAnswer>()
  private readonly unavailableSeen = new Map<string, number>()
  private readonly callLog: Call[] = []

  constructor(options: SimulatedProviderOptions = {}) {
    this.failureRate = options.failureRate ?? 0
    this.latencyMs = options.latencyMs ?? 0
    this.unavailableAttempts = options.unavailableAttempts ?? 2
    this.random = options.random ?? Math.random
  }

  /**
   * Calls that reached the provider, optionally only one operation's or one order's, and only
   * those answered from a kept answer (`replayed: true`) or only those that did something (`false`).
   */
  calls(filter: { operation?: ProviderOperation; orderId?: string; replayed?: boolean } = {}): number {
    return this.callLog.filter(
      (c) =>
        (!filter.operation || c.operation === filter.operation) &&
        (!filter.orderId || c.orderId === filter.orderId) &&
        (filter.replayed === undefined || c.replayed === filter.replayed),
    ).length
  }

  /** The provider's record for an order (a copy), if it ever authorized it. */
  authorization(orderId: string): SimulatedAuthorization | undefined {
    const auth = this.authorizations.get(orderId)
    return auth ? { ...auth } : undefined
  }

  /** Whether the customer's money is held or taken for the order. */
  isCharged(orderId: string): boolean {
    const state = this.authorizations.get(orderId)?.state
    return state === 'authorized' || state === 'captured'
  }

  async authorize(req: AuthorizeRequest, signal?: AbortSignal): Promise<AuthorizeResult> {
    const call = await this.enter('authorize', req.orderId, signal)
    const kept = this.kept(call, req)
    if (kept?.operation === 'authorize') return kept.result
    const result = await this.decide(req, signal)
    this.answers.set(req.idempotencyKey, { operation: 'authorize', result })
    return result
  }

  async capture(req: SettleRequest, signal?: AbortSignal): Promise<ProviderReceipt> {
    const call = await this.enter('capture', req.orderId, signal)
    const kept = this.kept(call, req)
    if (kept?.operation === 'capture') return kept.receipt
    const auth = this.known(req)
    if (auth.state === 'voided') throw new ProviderRejectedError('capture', 'the authorization was voided')
    auth.captureRef ??= `sim_cap_${randomUUID()}`
    if (auth.state === 'authorized') auth.state = 'captured'
    const receipt = { providerRef: auth.captureRef }
    this.answers.set(req.idempotencyKey, { operation: 'capture', receipt })
    return receipt
  }

  async void(req: VoidRequest, signal?: AbortSignal): Promise<void> {
    const call = await this.enter('void', req.orderId, signal)
    if (this.kept(call, req)) return
    const auth = this.authorizations.get(req.orderId)
    // A cancel by order reference with nothing authorized has nothing to do.
    if (auth?.state === 'captured' || auth?.state === 'refunded') throw new ProviderRejectedError('void', 'the payment was captured; refund it instead')
    if (auth) auth.state = 'voided'
    this.answers.set(req.idempotencyKey, { operation: 'void' })
  }

  async refund(req: SettleRequest, signal?: AbortSignal): Promise<ProviderReceipt> {
    const call = await this.enter('refund', req.orderId, signal)
    const kept = this.kept(call, req)
    if (kept?.operation === 'refund') return kept.receipt
    const auth = this.known(req)
    if (auth.state === 'authorized' || auth.state === 'voided') throw new ProviderRejectedError('refund', 'nothing was captured')
    auth.refundRef ??= `sim_ref_${randomUUID()}`
    auth.state = 'refunded'
    const receipt = { providerRef: auth.refundRef }
    this.answers.set(req.idempotencyKey, { operation: 'refund', receipt })
    return receipt
  }

  /** Every call: counted, delayed by the latency, then perhaps failed at random. */
  private async enter(operation: ProviderOperation, orderId: string, signal: AbortSignal | undefined): Promise<Call> {
    const call: Call = { operation, orderId, replayed: false }
    this.callLog.push(call)
    if (this.latencyMs > 0) await delay(this.latencyMs, signal)
    if (this.failureRate > 0 && this.random() < this.failureRate) throw new ProviderUnavailableError(operation, 'simulated provider failure')
    return call
  }

  /**
   * The answer already given to the request's key, if any (the call is then a replay). A key
   * first used for another operation is refused, as a real provider refuses a reused key.
   */
  private kept(call: Call, req: IdempotentRequest): KeptAnswer | undefined {
    const kept = this.answers.get(req.idempotencyKey)
    if (!kept) return undefined
    if (kept.operation !== call.operation) {
      throw new ProviderRejectedError(call.operation, `idempotency key ${req.idempotencyKey} was used for ${kept.operation}`)
    }
    call.replayed = true
    return kept
  }

  private async decide(req: AuthorizeRequest, signal: AbortSignal | undefined): Promise<AuthorizeResult> {
    switch (req.token) {
      case SimulatedTokens.DECLINE:
        return { outcome: 'declined', reason: 'CARD_DECLINED', message: 'The card was declined.' }
      case SimulatedTokens.INSUFFICIENT_FUNDS:
        return { outcome: 'declined', reason: 'INSUFFICIENT_FUNDS', message: 'The card has insufficient funds.' }
      case SimulatedTokens.TIMEOUT:
        return never(signal)
      case SimulatedTokens.UNAVAILABLE: {
        const seen = (this.unavailableSeen.get(req.orderId) ?? 0) + 1
        this.unavailableSeen.set(req.orderId, seen)
        if (seen <= this.unavailableAttempts) throw new ProviderUnavailableError('authorize', `provider unavailable (attempt ${seen})`)
        return this.hold(req)
      }
      case SimulatedTokens.VISA:
        return this.hold(req)
      default:
        return { outcome: 'declined', reason: 'CARD_DECLINED', message: 'Unknown card token.' }
    }
  }

  private hold(req: AuthorizeRequest): AuthorizeResult {
    let auth = this.authorizations.get(req.orderId)
    if (!auth) {
      auth = { providerRef: `sim_auth_${randomUUID()}`, amount: req.amount, currency: req.currency, state: 'authorized' }
      this.authorizations.set(req.orderId, auth)
    }
    return { outcome: 'authorized', providerRef: auth.providerRef }
  }

  /** The authorization a capture or refund names; one forgotten by a restart is taken on trust. */
  private known(req: SettleRequest): SimulatedAuthorization {
    let auth = this.authorizations.get(req.orderId)
    if (!auth) {
      auth = { providerRef: req.providerRef, amount: req.amount, currency: req.currency, state: 'authorized' }
      this.authorizations.set(req.orderId, auth)
    }
    return auth
  }
}

class AbortedError extends Error {
  override readonly name = 'AbortedError'
}

/** Waits until the caller gives up: the answer never comes. */
function never(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    signal?.addEventListener('abort', () => reject(new AbortedError('call abandoned by the client')), { once: true })
  })
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        reject(new AbortedError('call abandoned by the client'))
      },
      { once: true },
    )
  })
}
