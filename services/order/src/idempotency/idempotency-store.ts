import type { EntityManager } from '@mikro-orm/postgresql'
import { sql } from 'kysely'

export interface KeyRef {
  /** The caller the key belongs to (JWT subject): keys of different callers never collide. */
  owner: string
  key: string
}

/** The first response to a keyed request: always a 202 with the order and its location. */
export interface StoredResponse {
  body: unknown
  location: string
}

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'in-flight' }
  | { kind: 'mismatch' }

export interface ClaimOptions {
  requestHash: string
  /** How long the key is remembered. */
  ttlSeconds: number
  /** How long an IN_FLIGHT claim holds before a retry may take it over (a crashed first attempt). */
  leaseSeconds: number
}

interface KeyRow {
  request_hash: string
  state: 'IN_FLIGHT' | 'DONE'
  response_body: unknown
  response_location: string | null
}

export interface KeyClaimRequest {
  ref: KeyRef
  requestHash: string
}

/** How long claims last: the same for every key of a service. */
export type ClaimTimes = Omit<ClaimOptions, 'requestHash'>

/**
 * Claims a key with one statement, committed on its own before the work starts, so a second
 * request with the key sees IN_FLIGHT (409) instead of waiting on the first one's transaction.
 * An expired key, or an abandoned claim of the same request, is taken over in the same statement.
 */
export async function claimKey(em: EntityManager, ref: KeyRef, opts: ClaimOptions): Promise<Claim> {
  const [claim] = await claimKeys(em, [{ ref, requestHash: opts.requestHash }], opts)
  if (!claim) throw new Error('claimKeys returned no claim for one key')
  return claim
}

/**
 * Claims several keys with one statement (see {@link claimKey}); returns each request's claim, in
 * order. A key named twice is claimed by its first request; the later one, like any request
 * whose key was not taken, learns why from the stored row (in flight, done or another body).
 */
export async function claimKeys(em: EntityManager, requests: readonly KeyClaimRequest[], times: ClaimTimes): Promise<Claim[]> {
  const keyOf = (ref: KeyRef) => JSON.stringify([ref.owner, ref.key])
  const firsts = new Map<string, KeyClaimRequest>()
  for (const request of requests) if (!firsts.has(keyOf(request.ref))) firsts.set(keyOf(request.ref), request)
  const rows = [...firsts.values()].map(({ ref, requestHash }) => ({ owner: ref.owner, key: ref.key, request_hash: requestHash }))
  // Through Kysely, so the keys travel as a bind parameter (see insertPlacedOrders).
  const { rows: claimed } = await sql<KeyRef>`
    INSERT INTO idempotency_keys (owner, key, request_hash, state, locked_until, created_at, expires_at)
     SELECT r.owner, r.key, r.request_hash, 'IN_FLIGHT', now() + make_interval(secs => ${times.leaseSeconds}::float8), now(),
            now() + make_interval(secs => ${times.ttlSeconds}::float8)
       FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(owner text, key text, request_hash text)
     ON CONFLICT (owner, key) DO UPDATE SET
       request_hash = excluded.request_hash, state = 'IN_FLIGHT', locked_until = excluded.locked_until,
       created_at = excluded.created_at, expires_at = excluded.expires_at,
       response_body = NULL, response_location = NULL
     WHERE idempotency_keys.expires_at < now()
        OR (idempotency_keys.state = 'IN_FLIGHT' AND idempotency_keys.locked_until < now()
            AND idempotency_keys.request_hash = excluded.request_hash)
     RETURNING owner, key`.execute(em.getKysely())
  const taken = new Set(claimed.map(keyOf))
  const claims: Claim[] = []
  for (const request of requests) {
    const mine = taken.has(keyOf(request.ref)) && firsts.get(keyOf(request.ref)) === request
    claims.push(mine ? { kind: 'claimed' } : await storedClaim(em, request, times))
  }
  return claims
}

/** Why a key was not taken, from its stored row. */
async function storedClaim(em: EntityManager, { ref, requestHash }: KeyClaimRequest, times: ClaimTimes): Promise<Claim> {
  const [row] = await em.execute<KeyRow[]>(
    `SELECT request_hash, state, response_body, response_location
       FROM idempotency_keys WHERE owner = ? AND key = ?`,
    [ref.owner, ref.key],
  )
  // The row vanished between the two statements (expired and cleaned up): claim afresh.
  if (!row) return claimKey(em, ref, { ...times, requestHash })
  if (row.request_hash !== requestHash) return { kind: 'mismatch' }
  if (row.state === 'IN_FLIGHT' || row.response_location === null) return { kind: 'in-flight' }
  return { kind: 'replay', response: { body: row.response_body, location: row.response_location } }
}

/** Frees a claim whose work failed, so the client may retry with the same key at once. */
export async function releaseKey(em: EntityManager, ref: KeyRef): Promise<void> {
  await em.execute(`DELETE FROM idempotency_keys WHERE owner = ? AND key = ? AND state = 'IN_FLIGHT'`, [ref.owner, ref.key])
}

/** Deletes up to `limit` expired keys; returns how many went. Batched so it never holds locks long. */
export async function deleteExpiredKeys(em: EntityManager, limit = 5000): Promise<number> {
  const rows = await em.execute<{ owner: string }[]>(
    `DELETE FROM idempotency_keys WHERE ctid IN (
       SELECT ctid FROM idempotency_keys WHERE expires_at < now() LIMIT ?) RETURNING owner`,
    [limit],
  )
  return rows.length
}
