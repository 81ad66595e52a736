import { randomUUID } from 'node:crypto'
import t from 'tap'
import { claimKeys, type KeyClaimRequest } from '../src/idempotency/idempotency-store.js'
import { orderTestbed } from './testbed.js'

const tb = await orderTestbed(t)
const times = { ttlSeconds: 3600, leaseSeconds: 30 }

/** A key row as an earlier request left it. */
async function storedKey(key: string, hash: string, state: 'IN_FLIGHT' | 'DONE', lease: 'held' | 'lapsed', expired = false): Promise<void> {
  await tb.orm.em.fork().execute(
    `insert into idempotency_keys (owner, key, request_hash, state, locked_until, created_at, expires_at, response_body, response_location)
     values ('alice', ?, ?, ?, now() + ?::interval, now(), now() + ?::interval, ?::jsonb, ?)`,
    [
      key,
      hash,
      state,
      lease === 'held' ? '30 seconds' : '-1 second',
      expired ? '-1 second' : '1 day',
      state === 'DONE' ? JSON.stringify({ id: 'earlier' }) : null,
      state === 'DONE' ? '/v1/orders/earlier' : null,
    ],
  )
}

t.test('one statement claims a batch of keys, and each request learns its own outcome', async (t) => {
  const [fresh, twice, done, held, abandoned, stale] = Array.from({ length: 6 }, () => randomUUID())
  await storedKey(done!, 'h-done', 'DONE', 'held')
  await storedKey(held!, 'h-held', 'IN_FLIGHT', 'held')
  await storedKey(abandoned!, 'h-abandoned', 'IN_FLIGHT', 'lapsed')
  await storedKey(stale!, 'h-old', 'DONE', 'held', true)
  const request = (key: string, requestHash: string): KeyClaimRequest => ({ ref: { owner: 'alice', key }, requestHash })
  const claims = await claimKeys(
    tb.orm.em.fork(),
    [
      request(fresh!, 'h-fresh'),
      request(twice!, 'h-twice'),
      request(twice!, 'h-twice'),
      request(twice!, 'h-other'),
      request(done!, 'h-done'),
      request(done!, 'h-other'),
      request(held!, 'h-held'),
      request(abandoned!, 'h-abandoned'),
      request(stale!, 'h-new'),
    ],
    times,
  )
  t.same(claims, [
    { kind: 'claimed' },
    { kind: 'claimed' },
    { kind: 'in-flight' },
    { kind: 'mismatch' },
    { kind: 'replay', response: { body: { id: 'earlier' }, location: '/v1/orders/earlier' } },
    { kind: 'mismatch' },
    { kind: 'in-flight' },
    { kind: 'claimed' },
    { kind: 'claimed' },
  ])
  const rows = await tb.orm.em
    .fork()
    .execute<{ key: string; state: string; request_hash: string }[]>(`select key, state, request_hash from idempotency_keys where key in (?, ?, ?)`, [fresh, twice, stale])
  t.same(
    Object.fromEntries(rows.map((r) => [r.key, [r.state, r.request_hash]])),
    { [fresh!]: ['IN_FLIGHT', 'h-fresh'], [twice!]: ['IN_FLIGHT', 'h-twice'], [stale!]: ['IN_FLIGHT', 'h-new'] },
    'claimed keys are in flight for the request that claimed them; an expired key starts afresh',
  )
})
