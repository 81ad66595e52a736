// The Grafana dashboards and the PrometheusRule as the chart renders them: the dashboards'
// ConfigMaps carry the sidecar's label, every dashboard parses with a unique uid and title, every
// alert has a severity, a summary and a runbook section that exists, and every query is valid
// PromQL. Whether the metrics and labels they use exist is e2e/test/observability.test.ts's job.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { alertQueries, dashboardQueries, panelsOf, renderedMonitoring } from './lib/monitoring.js'
import { syntaxErrors } from './lib/promql.js'
import { chartDir, render, repoRoot } from './lib/render.js'
import * as variants from './lib/variants.js'

const { dashboards, alerts } = renderedMonitoring()
const files = readdirSync(join(chartDir, 'dashboards')).filter((f) => f.endsWith('.json')).sort()

t.test('one ConfigMap per dashboard file, labelled for the Grafana sidecar', async (t) => {
  t.same(dashboards.map((d) => d.file).sort(), files, 'every file of charts/orderflow/dashboards')
  t.ok(files.length >= 3, 'overview, service, dead letters')
  const configMaps = render(variants.allFeatures).filter((m) => m.source.endsWith('templates/dashboards.yaml'))
  for (const cm of configMaps) {
    const labels = (cm.doc.metadata as { labels?: Record<string, string> }).labels ?? {}
    t.equal(labels.grafana_dashboard, '1', `${cm.name}: grafana_dashboard: "1"`)
    t.equal(labels['app.kubernetes.io/component'], 'dashboards')
    t.same(Object.keys(cm.doc.data as object).length, 1, `${cm.name}: one dashboard each`)
  }
  t.same(render(variants.defaults).filter((m) => m.source.endsWith('templates/dashboards.yaml')), [], 'off by default')

  const custom = render({
    name: 'dashboards with a label of its own',
    args: ['--set', 'dashboards.enabled=true,dashboards.label=example.com/dashboard,dashboards.labelValue=orderflow', '--set', 'dashboards.annotations.grafana_folder=Orderflow'],
  }).filter((m) => m.source.endsWith('templates/dashboards.yaml'))
  t.equal(custom.length, files.length)
  for (const cm of custom) {
    const meta = cm.doc.metadata as { labels?: Record<string, string>; annotations?: Record<string, string> }
    t.equal(meta.labels?.['example.com/dashboard'], 'orderflow', `${cm.name}: the configured label and value`)
    t.notOk('grafana_dashboard' in (meta.labels ?? {}))
    t.same(meta.annotations, { grafana_folder: 'Orderflow' }, `${cm.name}: the annotations (a folder)`)
  }
})

t.test('every dashboard parses and has a unique uid and title; panels have unique ids and a query each', async (t) => {
  const uids = dashboards.map((d) => d.json.uid)
  const titles = dashboards.map((d) => d.json.title)
  for (const d of dashboards) {
    t.match(d.json.uid, /^[A-Za-z0-9_-]{1,40}$/, `${d.file}: a uid Grafana accepts`)
    t.match(d.json.title, /^Orderflow \/ /, `${d.file}: a title`)
    const panels = panelsOf(d.json)
    const ids = panels.map((p) => p.id)
    t.same(ids.filter((id, i) => ids.indexOf(id) !== i), [], `${d.file}: panel ids are unique`)
    for (const p of panels.filter((p) => !['row', 'text'].includes(p.type ?? ''))) {
      t.ok((p.targets ?? []).length > 0 && (p.targets ?? []).every((x) => (x.expr ?? '') !== ''), `${d.file} "${p.title}": queries`)
    }
  }
  t.same(uids.filter((u, i) => uids.indexOf(u) !== i), [], 'uids unique')
  t.same(titles.filter((u, i) => titles.indexOf(u) !== i), [], 'titles unique')
})

t.test('every query of the dashboards and the alerts is valid PromQL', async (t) => {
  const queries = [...dashboards.flatMap(dashboardQueries), ...alertQueries(alerts)]
  t.ok(queries.length > 50, `${queries.length} queries`)
  t.same(queries.flatMap((q) => syntaxErrors(q.expr).map((e) => `${q.where}: ${e}`)), [])
  t.not(syntaxErrors('sum by (job (rate(x[5m]))').length, 0, 'a broken one is caught')
})

/** GitHub's anchor of a Markdown heading. */
const anchor = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s-]/gu, '').replace(/\s/g, '-')

t.test('every alert: a unique name, a severity, a summary and a runbook section in docs/operations.md', async (t) => {
  const runbook = readFileSync(join(repoRoot, 'docs/operations.md'), 'utf8')
  const anchors = new Set([...runbook.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1]!)))
  const names = alerts.map((a) => a.alert)
  t.same(names.filter((n, i) => names.indexOf(n) !== i), [], 'names unique')
  for (const name of [
    'OrderflowEndToEndLatencyHigh',
    'OrderflowHttpLatencyHigh',
    'OrderflowConsumerLagGrowing',
    'OrderflowOutboxStale',
    'OrderflowSagaStuck',
    'OrderflowDeadLettering',
    'OrderflowPaymentCircuitOpen',
  ]) {
    t.ok(names.includes(name), `${name} is there`)
  }
  for (const a of alerts) {
    t.match(a.labels?.severity, /^(critical|warning)$/, `${a.alert}: severity`)
    t.ok((a.annotations?.summary ?? '') !== '', `${a.alert}: summary`)
    const url = a.annotations?.runbook_url ?? ''
    t.match(url, /^https:\/\/github\.com\/orderflow\/orderflow\/blob\/main\/docs\/operations\.md#/, `${a.alert}: runbook_url into docs/operations.md`)
    t.ok(anchors.has(url.split('#')[1] ?? ''), `${a.alert}: docs/operations.md has the section #${url.split('#')[1]}`)
  }
})

t.test('the runbook URL and the latency budgets come from values', async (t) => {
  const manifests = render({
    name: 'rule with values',
    args: [
      ...variants.allFeatures.args,
      '--set', 'metrics.prometheusRule.runbookUrl=https://wiki.example.com/orderflow',
      '--set', 'metrics.prometheusRule.httpP99Seconds=0.25,metrics.prometheusRule.endToEndP99Seconds=3',
    ],
  })
  const rule = manifests.find((m) => m.kind === 'PrometheusRule')
  const rules = (rule?.doc.spec as { groups: { rules: { alert: string; expr: string; annotations: Record<string, string> }[] }[] }).groups[0]!.rules
  const byName = (n: string) => rules.find((r) => r.alert === n)
  t.match(byName('OrderflowHttpLatencyHigh')?.expr, /\) > 0\.25\n?$/)
  t.match(byName('OrderflowEndToEndLatencyHigh')?.expr, /\) > 3\n?$/)
  t.match(byName('OrderflowHttpLatencyHigh')?.annotations.summary, /over the 0\.25s budget/)
  t.ok(rules.every((r) => r.annotations.runbook_url?.startsWith('https://wiki.example.com/orderflow#')), 'every runbook_url')
})
