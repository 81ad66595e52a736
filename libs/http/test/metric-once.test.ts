import t from 'tap'
import { Counter, Gauge, Registry } from 'prom-client'
import { metricOnce } from '@orderflow/http'

t.test('the first call registers the metric; later calls get that same metric', async (t) => {
  const registry = new Registry()
  let created = 0
  const make = () => {
    created++
    return new Counter({ name: 'thing_total', help: 'things', registers: [registry] })
  }
  const first = metricOnce(registry, 'thing_total', Counter, make)
  const second = metricOnce(registry, 'thing_total', Counter, make)
  t.equal(second, first)
  t.equal(created, 1)
  second.inc()
  t.match(await registry.metrics(), /thing_total 1/)
})

t.test('a metric of another kind under the name is a bug, and throws', async (t) => {
  const registry = new Registry()
  new Gauge({ name: 'thing', help: 'a gauge', registers: [registry] })
  t.throws(() => metricOnce(registry, 'thing', Counter, () => new Counter({ name: 'thing', help: 'x', registers: [registry] })), /metric thing is already registered as another kind/)
})
