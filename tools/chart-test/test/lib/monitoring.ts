// The chart's monitoring as rendered: the Grafana dashboards (ConfigMaps) and the PrometheusRule,
// with every PromQL query in them — for the chart tests (shape, syntax) and for
// e2e/test/observability.test.ts (the metrics and labels the running services export).
import { fromGrafana, labelsUsed, labelValuesQuery } from './promql.js'
import { render, type Manifest } from './render.js'
import * as variants from './variants.js'

/** One PromQL query: where it is, the expression Prometheus gets, the labels its legend or annotations read. */
export interface Query {
  readonly where: string
  readonly expr: string
  readonly wanted: readonly string[]
}

export interface Dashboard {
  readonly configMap: string
  readonly file: string
  readonly json: DashboardJson
}

export interface DashboardJson {
  readonly uid?: string
  readonly title?: string
  readonly panels?: readonly Panel[]
  readonly templating?: { readonly list?: readonly { name?: string; type?: string; query?: string | { query?: string } }[] }
}

export interface Panel {
  readonly id?: number
  readonly type?: string
  readonly title?: string
  readonly targets?: readonly { readonly expr?: string; readonly legendFormat?: string; readonly refId?: string }[]
  readonly panels?: readonly Panel[]
}

export interface Alert {
  readonly alert?: string
  readonly record?: string
  readonly expr: string
  readonly labels?: Record<string, string>
  readonly annotations?: Record<string, string>
}

/** The chart rendered with its dashboards and PrometheusRule on (the `all features` variant). */
export function renderedMonitoring(): { manifests: Manifest[]; dashboards: Dashboard[]; alerts: Alert[] } {
  const manifests = render(variants.allFeatures)
  const dashboards = manifests
    .filter((m) => m.kind === 'ConfigMap' && m.source.endsWith('templates/dashboards.yaml'))
    .flatMap((m) =>
      Object.entries((m.doc.data ?? {}) as Record<string, string>).map(([file, text]) => ({ configMap: m.name, file, json: JSON.parse(text) as DashboardJson })),
    )
  const rules = manifests.filter((m) => m.kind === 'PrometheusRule')
  const alerts = rules.flatMap((m) => ((m.doc.spec as { groups: { rules: Alert[] }[] }).groups ?? []).flatMap((g) => g.rules))
  return { manifests, dashboards, alerts }
}

/** Panels, those inside collapsed rows included. */
export function panelsOf(dashboard: DashboardJson): Panel[] {
  return (dashboard.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])])
}

/** Every query of a dashboard: its panels' targets and its `label_values` variables, as Prometheus receives them. */
export function dashboardQueries(d: Dashboard): Query[] {
  const targets = panelsOf(d.json).flatMap((p) =>
    (p.targets ?? []).map((t) => ({
      where: `${d.file} panel "${p.title}" ${t.refId ?? ''}`.trim(),
      expr: fromGrafana(t.expr ?? ''),
      wanted: labelsUsed(t.legendFormat ?? ''),
    })),
  )
  const variables = (d.json.templating?.list ?? []).flatMap((v) => {
    const query = typeof v.query === 'string' ? v.query : v.query?.query
    const lv = v.type === 'query' && query !== undefined ? labelValuesQuery(query) : undefined
    return lv ? [{ where: `${d.file} variable $${v.name}`, expr: fromGrafana(lv.selector), wanted: [lv.label] }] : []
  })
  return [...targets, ...variables]
}

/** Every alert's expression, with the labels its annotations read. */
export function alertQueries(alerts: readonly Alert[]): Query[] {
  return alerts.map((a) => ({
    where: `alert ${a.alert ?? a.record}`,
    expr: a.expr,
    wanted: labelsUsed(Object.values(a.annotations ?? {}).join(' ')),
  }))
}
