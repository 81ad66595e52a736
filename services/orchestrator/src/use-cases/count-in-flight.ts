import type { Orm } from '@orderflow/db'
import { SAGA_STATES, TERMINAL_STATES, type SagaState } from '../domain/saga.js'

const ACTIVE = SAGA_STATES.filter((s) => !TERMINAL_STATES.includes(s))

/** Sagas not finished, per state: an index-only scan over the active states' keys of `sagas_state_idx`. */
export async function countInFlight(orm: Orm): Promise<ReadonlyMap<SagaState, number>> {
  const rows = await orm.em
    .fork()
    .execute<{ state: string; n: string }[]>(`select state, count(*) as n from sagas where state in (${ACTIVE.map(() => '?').join(', ')}) group by state`, [...ACTIVE])
  return new Map(ACTIVE.map((state) => [state, Number(rows.find((r) => r.state === state)?.n ?? 0)]))
}
