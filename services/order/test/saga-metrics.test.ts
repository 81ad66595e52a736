import t from 'tap'
import { Registry } from 'prom-client'
import type { SagaState } from '../src/saga/saga.js'
import { sagaMetrics } from '../src/saga/saga.metrics.js'

// The gauge's database query is covered by the HTTP test; here it counts a fixed map.
const inFlight = async () => new Map<SagaState, number>([['AUTHORIZING', 4]])

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
  const text = await registry.metrics()
  t.match(text, /saga_duration_seconds_sum\{outcome="FAILED"\} 2(\.\d+)?\n/, 'about two seconds')
  t.match(text, /sagas_in_flight\{state="AUTHORIZING"\} 4/)
  t.match(text, /sagas_in_flight\{state="RESERVING"\} 0/)
  t.notMatch(text, /sagas_in_flight\{state="FAILED"\}/, 'finished states are not in flight')
})
