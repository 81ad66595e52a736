import { defineEntity, p, type InferEntity } from '@mikro-orm/core'

/**
 * An `Idempotency-Key` a caller sent with a POST, scoped to that caller. While the first request
 * runs the key is IN_FLIGHT (a lease, so a crash does not lock the key forever); afterwards it
 * holds the response to replay. Rows are deleted once `expiresAt` has passed.
 */
export const IdempotencyKey = defineEntity({
  name: 'IdempotencyKey',
  tableName: 'idempotency_keys',
  properties: {
    owner: p.string().length(200).primary(),
    key: p.string().length(255).primary(),
    requestHash: p.string().length(64),
    state: p.enum(['IN_FLIGHT', 'DONE']),
    /** Until when an IN_FLIGHT claim holds; a later retry may take the key over. */
    lockedUntil: p.datetime(),
    responseBody: p.json<unknown>().nullable(),
    responseLocation: p.string().length(300).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    expiresAt: p.datetime().index(),
  },
  primaryKeys: ['owner', 'key'],
})

export type IIdempotencyKey = InferEntity<typeof IdempotencyKey>
