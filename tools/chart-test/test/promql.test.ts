// The check e2e/test/observability.test.ts runs on every dashboard and alert query, against a
// scrape made up here: what it finds, and what it must not let through.
import t from 'tap'
import { checkExpression, fromGrafana, labelsUsed, labelValuesQuery, parseExposition, type Exported } from './lib/promql.js'

const orderScrape = `# HELP http_requests_total HTTP requests answered
# TYPE http_requests_total counter
http_requests_total{method="POST",route="/v1/orders",status_code="202"} 3
http_requests_total{method="GET",route="/v1/orders/:id",status_code="404"} 1
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.005",method="POST",route="/v1/orders"} 1
http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/v1/orders"} 3
http_request_duration_seconds_sum{method="POST",route="/v1/orders"} 0.02
http_request_duration_seconds_count{method="POST",route="/v1/orders"} 3
# TYPE sagas_finished_total counter
sagas_finished_total{outcome="FAILED",reason="PAYMENT_DECLINED"} 1
# TYPE messaging_dead_lettered_total counter
# TYPE odd_total counter
odd_total{text="a \\"quoted\\", {braced} value\\nwith a newline",kind="x"} 1
`
const paymentScrape = `# TYPE payment_provider_circuit_state gauge
payment_provider_circuit_state 0
# TYPE http_requests_total counter
http_requests_total{method="GET",route="/readyz",status_code="200"} 9
`
const exported: Exported = { jobs: new Map([['order', parseExposition(orderScrape)], ['payment', parseExposition(paymentScrape)]]) }
const check = (expr: string, wanted: string[] = []) => checkExpression(expr, exported, wanted)
/** The one problem found (a second one would be a false alarm). */
const one = (problems: string[]) => (problems.length === 1 ? problems[0] : `${problems.length} problems: ${problems.join('; ')}`)

t.test('the exposition format: sample names with their label names, families by # TYPE', async (t) => {
  const scrape = parseExposition(orderScrape)
  t.same([...(scrape.samples.get('http_request_duration_seconds_bucket') ?? [])].sort(), ['le', 'method', 'route'])
  t.same([...(scrape.samples.get('http_request_duration_seconds_sum') ?? [])].sort(), ['method', 'route'])
  t.same([...(scrape.samples.get('odd_total') ?? [])].sort(), ['kind', 'text'], 'escaped quotes, commas and braces in a value')
  t.equal(scrape.families.get('messaging_dead_lettered_total'), 'counter')
  t.notOk(scrape.samples.has('messaging_dead_lettered_total'), 'declared, no series')
  t.throws(() => parseExposition('x{a="unterminated} 1'), /unterminated/)
})

t.test('what exists passes', async (t) => {
  t.same(check('sum by (route, le) (rate(http_request_duration_seconds_bucket{namespace="n", job=~"order|payment", method="POST"}[5m]))'), [])
  t.same(check('histogram_quantile(0.99, sum by (job, le) (rate(http_request_duration_seconds_bucket[5m]))) > 0.1', ['job']), [], 'target labels (job) and le')
  t.same(check('sum by (reason) (rate(sagas_finished_total{outcome="FAILED"}[5m])) / ignoring(reason) group_left sum(rate(sagas_finished_total[5m]))', ['reason']), [])
  t.same(check('max by (job, pod) (min_over_time(payment_provider_circuit_state{job="payment"}[5m])) > 0', ['pod']), [])
  t.same(check('up{job=~"order|payment"} == 0', ['job', 'pod']), [], 'up is made by Prometheus')
  t.same(check('label_replace(sum by (route) (rate(http_requests_total[5m])), "path", "$1", "route", "(.*)")', ['path']), [], 'label_replace adds its label')
})

t.test('a renamed metric, a misspelt label and a job that does not export it fail', async (t) => {
  t.match(one(check('rate(http_request_total[5m])')), /http_request_total: not exported by any service/)
  t.match(one(check('rate(http_requests_total{status="500"}[5m])')), /no label status/)
  t.match(one(check('payment_provider_circuit_state{job="order"}')), /not exported by order/, 'the job matcher restricts where it is looked for')
  t.match(one(check('up{job="shipping"}')), /no service matches job="shipping"/)
  t.match(one(check('rate(messaging_dead_lettered_total[5m])')), /declared but without series/, 'declared only: the test must drive it')
  t.match(one(check('http_request_duration_seconds_sum{le="1"}')), /no label le/, 'le only on _bucket')
})

t.test('grouping clauses and the labels a legend or an annotation reads', async (t) => {
  t.match(one(check('sum by (consumer) (rate(http_requests_total[5m]))')), /by \(consumer\): no label consumer/)
  t.match(one(check('sum without (stream) (rate(http_requests_total[5m]))')), /without \(stream\): no label stream/)
  t.match(one(check('sum by (job) (rate(http_requests_total[5m]))', ['route'])), /\{\{route\}\}: the result has no label route \(it has job\)/, 'aggregated away')
  t.match(one(check('rate(http_requests_total[5m]) / on(reason) rate(sagas_finished_total[5m])')), /on \(reason\): no label reason on both sides/)
  t.match(one(check('sum(rate(http_requests_total[5m]))', ['job'])), /no label job/)
  t.match(one(check('sum by (job (rate(x[5m]))')), /syntax error/)
})

t.test('Grafana queries become what Prometheus receives', async (t) => {
  t.equal(fromGrafana('rate(x{namespace="$namespace", job="$service"}[$__rate_interval])'), 'rate(x{namespace="orderflow", job=~".+"}[5m])')
  t.equal(fromGrafana('increase(x{job=~"${service}"}[$__range])'), 'increase(x{job=~".+"}[5m])')
  t.same(labelValuesQuery('label_values(http_requests_total{route="/readyz"}, namespace)'), { selector: 'http_requests_total{route="/readyz"}', label: 'namespace' })
  t.same(labelsUsed('{{method}} {{ route }} $labels.job'), ['method', 'route', 'job'])
})
