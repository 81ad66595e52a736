import { randomUUID } from 'node:crypto'
import t from 'tap'
import { ReserveStock } from '@orderflow/contracts'
import { eventually } from '@orderflow/testing/service'
import { alertQueries, dashboardQueries, renderedMonitoring } from '../../tools/chart-test/test/lib/monitoring.js'
import { checkExpression, parseExposition, type Exported, type Scrape } from '../../tools/chart-test/test/lib/promql.js'
import { SERVICES, startPlatform, type ServiceName } from './support/platform.js'
import { placeOrder, stock, uniqueSku, waitForStatus } from './support/shop.js'

// Every PromQL query the chart ships — each panel of each Grafana dashboard, each variable, each
// alert of the PrometheusRule — against what the five services really export: a platform runs
// orders through every path the panels show (delivered, declined, a provider hiccup redelivered,
// a burst that consumers batch, a poison message dead-lettered), each service's /metrics is
// scraped, and every metric a query selects must be in some service's scrape with every label it
// matches, groups by, or shows in a legend or an annotation. A renamed metric or label fails here.
// One retry in the payment client: tok_unavailable's two failures outlast it, so the consumer's
// backoff redelivers the command (messaging_consumer_redeliveries_total).
const p = await startPlatform(t, { env: { payment: { PROVIDER_RETRIES: '1' } } })
const names = Object.keys(SERVICES) as ServiceName[]

async function scrapeAll(): Promise<Map<ServiceName, Scrape>> {
  const scrapes = new Map<ServiceName, Scrape>()
  for (const name of names) {
    // The kubelet's probe: the dashboards' variables find the installations by it.
    await p.tb[name].app.inject({ method: 'GET', url: '/readyz' })
    const res = await p.tb[name].app.inject({ method: 'GET', url: '/metrics' })
    if (res.statusCode !== 200) throw new Error(`${name} /metrics: ${res.statusCode}`)
    scrapes.set(name, parseExposition(res.body))
  }
  return scrapes
}

const inSomeScrape = (scrapes: Map<ServiceName, Scrape>, sample: string) => [...scrapes.values()].some((s) => s.samples.has(sample))

const sku = uniqueSku('metrics')
await stock(p, sku, 100)
// One at a time: an authorization batched with another is handled alone after the batch fails,
// which gives tok_unavailable its third attempt without a redelivery.
await waitForStatus(p, await placeOrder(p, { sku }), ['DELIVERED'])
await waitForStatus(p, await placeOrder(p, { sku, token: 'tok_unavailable' }), ['DELIVERED'])
await waitForStatus(p, await placeOrder(p, { sku, token: 'tok_decline' }), ['FAILED'])

// A malformed command: dead-lettered at once by inventory-reserve.
await p.tb.order.bus.js.publish(p.topology.subject(ReserveStock.subject), '{"specversion":"1.0","id":', { msgID: randomUUID() })

// Consumers batch only what arrives together: bursts of orders until some consumer has.
const scrapes = await eventually(
  async () => {
    const s = await scrapeAll()
    if (inSomeScrape(s, 'messaging_consumer_batch_size_bucket') && inSomeScrape(s, 'messaging_dead_lettered_total')) return s
    const burst = await Promise.all(Array.from({ length: 8 }, () => placeOrder(p, { sku })))
    await Promise.all(burst.map((id) => waitForStatus(p, id, ['DELIVERED'])))
    return undefined
  },
  'a consumer batch and a dead letter in the scrapes',
  60_000,
)
const exported: Exported = { jobs: scrapes }
const { dashboards, alerts } = renderedMonitoring()

t.test('every service exports the Node.js runtime metrics and the pool gauges', async (t) => {
  for (const [name, scrape] of scrapes) {
    for (const sample of ['nodejs_eventloop_lag_p99_seconds', 'nodejs_gc_duration_seconds_bucket', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'process_cpu_seconds_total']) {
      t.ok(scrape.samples.has(sample), `${name}: ${sample}`)
    }
    t.same([...(scrape.samples.get('nodejs_gc_duration_seconds_bucket') ?? [])].sort(), ['kind', 'le'], `${name}: GC by kind`)
    t.same([...(scrape.samples.get('db_pool_connections') ?? [])].sort(), ['pool', 'state'], `${name}: database pools`)
  }
})

for (const d of dashboards) {
  t.test(`dashboard ${d.file}: every metric and label exists`, async (t) => {
    const queries = dashboardQueries(d)
    t.ok(queries.length > 0)
    t.same(queries.flatMap((q) => checkExpression(q.expr, exported, q.wanted).map((problem) => `${q.where}: ${problem}`)), [], `${queries.length} queries`)
  })
}

t.test('PrometheusRule: every metric and label exists', async (t) => {
  const queries = alertQueries(alerts)
  t.ok(queries.length >= 12, `${queries.length} alerts`)
  t.same(queries.flatMap((q) => checkExpression(q.expr, exported, q.wanted).map((problem) => `${q.where}: ${problem}`)), [])
})

t.test('the check fails a query whose metric or label was renamed', async (t) => {
  const rule = alertQueries(alerts).find((q) => q.where === 'alert OrderflowOutboxStale')
  t.ok(rule, 'the rule is there')
  const renamed = rule!.expr.replace('outbox_oldest_pending_age_seconds', 'outbox_oldest_unsent_age_seconds')
  t.match(checkExpression(renamed, exported, rule!.wanted), [/outbox_oldest_unsent_age_seconds: not exported by any service/])
  const relabelled = 'sum by (consumer) (rate(messaging_consumer_messages_total{outcomes="terminated"}[5m]))'
  t.match(checkExpression(relabelled, exported), [/messaging_consumer_messages_total: no label outcomes/])
})
