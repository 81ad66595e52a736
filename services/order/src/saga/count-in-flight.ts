import { sql } from 'kysely'
import type { SqlDb } from '@orderflow/db'
import { SAGA_STATES, TERMINAL_STATES, type SagaState } from './saga.js'

const ACTIVE = SAGA_STATES.filter((s) => !TERMINAL_STATES.includes(s))

/** Sagas not finished in one state: how many, and how long the oldest has been in it (0 when none). */
export interface InFlight {
  readonly count: number
  readonly oldestSeconds: number
}

/**
 * Sagas not finished, per state: an index-only scan over the active states' keys of
 * `sagas_state_since_idx`, which gives each state's oldest `state_since` as well.
 */
export async function countInFlight(db: SqlDb): Promise<ReadonlyMap<SagaState, InFlight>> {
  const { rows } = await sql<{ state: string; n: string; oldest: number }>`select state, count(*) as n,
         extract(epoch from now() - min(state_since))::float8 as oldest
    from sagas where state = any(${[...ACTIVE]}::text[]) group by state`.execute(db)
  return new Map(
    ACTIVE.map((state) => {
      const row = rows.find((r) => r.state === state)
      return [state, { count: Number(row?.n ?? 0), oldestSeconds: Math.max(0, Number(row?.oldest ?? 0)) }]
    }),
  )
}
