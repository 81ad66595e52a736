import { sql } from 'kysely'
import type { SqlDb } from '@orderflow/db'
import { SAGA_STATES, TERMINAL_STATES, type SagaState } from './saga.js'

const ACTIVE = SAGA_STATES.filter((s) => !TERMINAL_STATES.includes(s))

/** Sagas not finished, per state: an index-only scan over the active states' keys of `sagas_state_idx`. */
export async function countInFlight(db: SqlDb): Promise<ReadonlyMap<SagaState, number>> {
  const { rows } = await sql<{ state: string; n: string }>`select state, count(*) as n from sagas where state = any(${[...ACTIVE]}::text[]) group by state`.execute(db)
  return new Map(ACTIVE.map((state) => [state, Number(rows.find((r) => r.state === state)?.n ?? 0)]))
}
