import type { EntityManager } from '@mikro-orm/postgresql'

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

/**
 * Claims a key with one statement, committed on its own before the work starts, so a second
 * request with the key sees IN_FLIGHT (409) instead of waiting on the first one's transaction.
 * An expired key, or an abandoned claim of the same request, is taken over in the same statement.
 */
export async function claimKey(em: EntityManager, ref: KeyRef, opts: ClaimOptions): Promise<Claim> {
  const claimed = await em.execute<{ claimed: boolean }[]>(
    `INSERT INTO idempotency_keys (owner, key, request_hash, state, locked_until, created_at, expires_at)
     VALUES (?, ?, ?, 'IN_FLIGHT', now() + make_interval(secs => ?), now(), now() + make_interval(secs => ?))
     ON CONFLICT (owner, key) DO UPDATE SET
       request_hash = excluded.request_hash, state = 'IN_FLIGHT', locked_until = excluded.locked_until,
       created_at = excluded.created_at, expires_at = excluded.expires_at,
       response_body = NULL, response_location = NULL
     WHERE idempotency_keys.expires_at < now()
        OR (idempotency_keys.state = 'IN_FLIGHT' AND idempotency_keys.locked_until < now()
            AND idempotency_keys.request_hash = excluded.request_hash)
     RETURNING true AS claimed`,
    [ref.owner, ref.key, opts.requestHash, opts.leaseSeconds, opts.ttlSeconds],
  )
  if (claimed.length > 0) return { kind: 'claimed' }

  const [row] = await em.execute<KeyRow[]>(
    `SELECT request_hash, state, response_body, response_location
       FROM idempotency_keys WHERE owner = ? AND key = ?`,
    [ref.owner, ref.key],
  )
  // The row vanished between the two statements (expired and cleaned up): claim afresh.
  if (!row) return claimKey(em, ref, opts)
  if (row.request_hash !== opts.requestHash) return { kind: 'mismatch' }
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
