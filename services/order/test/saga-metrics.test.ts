import t from 'tap'
import { Registry } from 'prom-client'
import type { InFlight } from '../src/saga/count-in-flight.js'
import type { SagaState } from '../src/saga/saga.js'
import { sagaMetrics } from '../src/saga/saga.metrics.js'

// The gauges' database query is covered by the HTTP test; here it reads a fixed map.
let queries = 0
const inFlight = async () => {
  queries++
  return new Map<SagaState, InFlight>([['AUTHORIZING', { count: 4, oldestSeconds: 75 }]])
}

t.test('outcomes are counted with their reason and timed from the start of the saga', async (t) => {
  const registry = new Registry()
  const metrics = sagaMetrics(registry, inFlight)
  t.equal(sagaMetrics(registry, inFlight), metrics, 'one set per registry')
  const startedAt = new Date(Date.now() - 2_000)
  metrics.record({ outcome: 'FAILED', failureReason: 'TIMEOUT', startedAt })
  metrics.record({ outcome: 'CONFIRMED', startedAt })
  const finished = await registry.getSingleMetric('sagas_finished_total')?.get()
  t.same(
    finished?.values.map((v) => [v.labels.outcome, v.labels.reason, v.value]),
    [
      ['FAILED', 'TIMEOUT', 1],
      ['CONFIRMED', 'none', 1],
    ],
  )
  queries = 0
  const text = await registry.metrics()
  t.equal(queries, 1, 'one query per scrape for both in-flight gauges')
  t.match(text, /saga_duration_seconds_sum\{outcome="FAILED"\} 2(\.\d+)?\n/, 'about two seconds')
  t.match(text, /sagas_in_flight\{state="AUTHORIZING"\} 4/)
  t.match(text, /sagas_in_flight\{state="RESERVING"\} 0/)
  t.notMatch(text, /sagas_in_flight\{state="FAILED"\}/, 'finished states are not in flight')
  t.match(text, /sagas_oldest_in_state_seconds\{state="AUTHORIZING"\} 75\n/, 'the oldest in a state')
  t.match(text, /sagas_oldest_in_state_seconds\{state="COMPENSATING"\} 0\n/, 'none in a state: 0')
  t.notMatch(text, /sagas_oldest_in_state_seconds\{state="DELIVERED"\}/)
})

t.test('the states sagas leave are timed by state', async (t) => {
  const registry = new Registry()
  const metrics = sagaMetrics(registry, inFlight)
  metrics.stateExits([
    { state: 'RESERVING', seconds: 0.04 },
    { state: 'RESERVING', seconds: 0.2 },
    { state: 'AUTHORIZING', seconds: 1.5 },
  ])
  const text = await registry.metrics()
  t.match(text, 'saga_state_duration_seconds_count{state="RESERVING"} 2\n')
  t.match(text, 'saga_state_duration_seconds_bucket{le="0.05",state="RESERVING"} 1\n')
  t.match(text, 'saga_state_duration_seconds_sum{state="AUTHORIZING"} 1.5\n')
})
