// PromQL as the dashboards and alerts use it, checked against what the services export. Parsed by
// the official grammar (@prometheus-io/lezer-promql, the one Prometheus's own UI uses), so the
// checks see selectors, matchers and grouping clauses, not text that looks like them.
import { parser } from '@prometheus-io/lezer-promql'

type SyntaxNode = ReturnType<typeof parser.parse>['topNode']

/** A label matcher of a selector: `job=~"order|payment"`. */
export interface Matcher {
  readonly label: string
  readonly op: '=' | '!=' | '=~' | '!~'
  readonly value: string
}

/**
 * What the services export, as scraped: per job (service), each sample name (`foo_bucket`,
 * `foo_sum`, … as they appear) with the label names its series carry, and the families declared
 * (`# TYPE`) whether or not they have series.
 */
export interface Exported {
  readonly jobs: ReadonlyMap<string, Scrape>
}

export interface Scrape {
  readonly samples: ReadonlyMap<string, ReadonlySet<string>>
  readonly families: ReadonlyMap<string, string>
}

export interface CheckOptions {
  /** Labels Prometheus adds when it scrapes (a ServiceMonitor's target labels). */
  readonly targetLabels: readonly string[]
  /** Series Prometheus makes itself, with their labels (`up`). */
  readonly synthetic: Readonly<Record<string, readonly string[]>>
}

/** Labels the Prometheus operator puts on every series of a ServiceMonitor's targets. */
export const TARGET_LABELS = ['job', 'instance', 'namespace', 'pod', 'service', 'container', 'endpoint']

export const DEFAULT_CHECK: CheckOptions = { targetLabels: TARGET_LABELS, synthetic: { up: [] } }

const text = (src: string, n: SyntaxNode): string => src.slice(n.from, n.to)
const children = (n: SyntaxNode): SyntaxNode[] => {
  const out: SyntaxNode[] = []
  for (let c = n.firstChild; c; c = c.nextSibling) out.push(c)
  return out
}
const unquote = (s: string): string => (s.startsWith('`') ? s.slice(1, -1) : (JSON.parse(s.startsWith("'") ? `"${s.slice(1, -1).replace(/"/g, '\\"')}"` : s) as string))

/** Syntax errors, each with the text around it; empty when the expression parses. */
export function syntaxErrors(expr: string): string[] {
  const errors: string[] = []
  parser.parse(expr).iterate({
    enter(n) {
      if (n.type.isError) errors.push(`syntax error at ${n.from}: …${expr.slice(Math.max(0, n.from - 20), n.from + 20)}…`)
    },
  })
  return errors
}

// Nodes that contain one expression and keep its labels.
const PASS_THROUGH = new Set(['PromQL', 'ParenExpr', 'MatrixSelector', 'SubqueryExpr', 'OffsetExpr', 'StepInvariantExpr', 'UnaryExpr', 'AnchoredExpr', 'SmoothedExpr'])
const EXPRESSION = new Set([...PASS_THROUGH, 'VectorSelector', 'FunctionCall', 'AggregateExpr', 'BinaryExpr', 'NumberDurationLiteral', 'StringLiteral'])
// Aggregations whose result series keep every label of their input.
const KEEP_LABELS = new Set(['Topk', 'Bottomk', 'LimitK', 'LimitRatio'])
const SCALAR_FUNCTIONS = new Set(['Scalar', 'Time', 'Pi', 'Vector'])

/** Labels of a result, or `scalar`. */
type Labels = ReadonlySet<string> | 'scalar'

/**
 * Checks one expression against what the services export: every metric name exists in the scrape
 * of some service its `job` matcher admits (all of them without one), every label a matcher names
 * exists on that metric, every label of a `by`/`without` clause on what it aggregates, of
 * `on`/`ignoring`/`group_*` on the sides it matches, and every label `wanted` (a legend's
 * `{{label}}`, an alert annotation's `$labels.label`) on the result. Returns the problems found.
 */
export function checkExpression(expr: string, exported: Exported, wanted: readonly string[] = [], opts: CheckOptions = DEFAULT_CHECK): string[] {
  const problems = syntaxErrors(expr)
  if (problems.length > 0) return problems
  const jobs = [...exported.jobs.keys()]
  const target = new Set(opts.targetLabels)

  const selectorLabels = (n: SyntaxNode): ReadonlySet<string> => {
    const name = n.getChild('Identifier') ? text(expr, n.getChild('Identifier')!) : undefined
    const matchers = matchersOf(expr, n)
    const metric = name ?? matchers.find((m) => m.label === '__name__' && m.op === '=')?.value
    if (metric === undefined) {
      problems.push(`${text(expr, n)}: a selector without a metric name cannot be checked`)
      return new Set()
    }
    const synthetic = opts.synthetic[metric]
    const admitted = jobsMatching(jobs, matchers.filter((m) => m.label === 'job'))
    if (admitted.length === 0) problems.push(`${metric}: no service matches ${matchers.filter((m) => m.label === 'job').map(show).join(', ')}`)
    const labels = new Set<string>([...target, '__name__'])
    if (synthetic) {
      for (const l of synthetic) labels.add(l)
    } else {
      const found = admitted.flatMap((job) => {
        const scrape = exported.jobs.get(job)!
        const sample = scrape.samples.get(metric)
        return sample ? [sample] : []
      })
      if (found.length === 0) {
        const declared = admitted.some((job) => exported.jobs.get(job)?.families.has(familyOf(metric)))
        problems.push(
          declared
            ? `${metric}: declared but without series in the scrape of ${admitted.join(', ')} (drive it in the test)`
            : `${metric}: not exported by ${admitted.length === jobs.length ? 'any service' : admitted.join(', ')}`,
        )
        return labels
      }
      for (const s of found) for (const l of s) labels.add(l)
    }
    for (const m of matchers) if (!labels.has(m.label)) problems.push(`${metric}: no label ${m.label} (matcher ${show(m)})`)
    return labels
  }

  const labelsOf = (n: SyntaxNode): Labels => {
    if (PASS_THROUGH.has(n.name)) {
      const inner = children(n).find((c) => EXPRESSION.has(c.name))
      return inner ? labelsOf(inner) : 'scalar'
    }
    switch (n.name) {
      case 'NumberDurationLiteral':
      case 'StringLiteral':
        return 'scalar'
      case 'VectorSelector':
        return selectorLabels(n)
      case 'FunctionCall':
        return functionLabels(n)
      case 'AggregateExpr':
        return aggregateLabels(n)
      case 'BinaryExpr':
        return binaryLabels(n)
      default:
        problems.push(`${text(expr, n)}: ${n.name} is not understood by this check`)
        return new Set()
    }
  }

  const argsOf = (n: SyntaxNode): SyntaxNode[] => children(n.getChild('FunctionCallBody')!).filter((c) => EXPRESSION.has(c.name))

  const functionLabels = (n: SyntaxNode): Labels => {
    const fn = n.getChild('FunctionIdentifier')?.firstChild?.name ?? ''
    const args = argsOf(n)
    const results = args.map((a) => labelsOf(a))
    if (SCALAR_FUNCTIONS.has(fn)) return fn === 'Vector' ? new Set() : 'scalar'
    const vector = results.find((r): r is ReadonlySet<string> => r !== 'scalar') ?? new Set<string>()
    if (fn === 'LabelReplace' || fn === 'LabelJoin') {
      const dst = args[1] ? unquote(text(expr, args[1])) : ''
      return new Set([...vector, dst])
    }
    if (fn === 'HistogramQuantile' || fn === 'HistogramFraction') return new Set([...vector].filter((l) => l !== 'le'))
    if (fn === 'Absent' || fn === 'AbsentOverTime') return new Set()
    return vector
  }

  const aggregateLabels = (n: SyntaxNode): Labels => {
    const op = n.getChild('AggregateOp')?.firstChild?.name ?? ''
    const args = argsOf(n)
    const inner = args.length > 0 ? labelsOf(args[args.length - 1]!) : 'scalar'
    for (const a of args.slice(0, -1)) labelsOf(a)
    const innerSet = inner === 'scalar' ? new Set<string>() : inner
    const modifier = n.getChild('AggregateModifier')
    const grouping = modifier ? groupingLabels(expr, modifier.getChild('GroupingLabels')) : []
    const kind = modifier?.firstChild?.name
    for (const l of grouping) if (!innerSet.has(l)) problems.push(`${kind === 'Without' ? 'without' : 'by'} (${l}): no label ${l} on ${text(expr, args[args.length - 1]!)}`)
    const extra = op === 'CountValues' && args[0] ? [unquote(text(expr, args[0]))] : []
    if (KEEP_LABELS.has(op)) return innerSet
    if (kind === 'Without') return new Set([...[...innerSet].filter((l) => !grouping.includes(l) && l !== '__name__'), ...extra])
    return new Set([...grouping, ...extra])
  }

  const binaryLabels = (n: SyntaxNode): Labels => {
    const sides = children(n).filter((c) => EXPRESSION.has(c.name))
    const [left, right] = [labelsOf(sides[0]!), labelsOf(sides[1]!)]
    const op = children(n).find((c) => !EXPRESSION.has(c.name) && c.name !== 'MatchingModifierClause' && c.name !== 'BoolModifier')?.name ?? ''
    if (left === 'scalar' && right === 'scalar') return 'scalar'
    if (left === 'scalar') return right
    if (right === 'scalar') return left
    const clause = n.getChild('MatchingModifierClause')
    if (op === 'Or') return new Set([...left, ...right])
    if (!clause) return left
    const [matching, include] = clause.getChildren('GroupingLabels').map((g) => groupingLabels(expr, g))
    const on = clause.getChild('On') !== null
    for (const l of matching ?? []) {
      if (on ? !(left.has(l) && right.has(l)) : !(left.has(l) || right.has(l))) problems.push(`${on ? 'on' : 'ignoring'} (${l}): no label ${l} on ${on ? 'both sides' : 'either side'}`)
    }
    const groupLeft = clause.getChild('GroupLeft') !== null
    const groupRight = clause.getChild('GroupRight') !== null
    for (const l of include ?? []) {
      const other = groupLeft ? right : left
      if (!other.has(l)) problems.push(`${groupLeft ? 'group_left' : 'group_right'} (${l}): no label ${l} on the ${groupLeft ? 'right' : 'left'} side`)
    }
    if (groupLeft) return new Set([...left, ...(include ?? [])])
    if (groupRight) return new Set([...right, ...(include ?? [])])
    if (['And', 'Unless'].includes(op)) return left
    return on ? new Set(matching) : new Set([...left].filter((l) => !(matching ?? []).includes(l)))
  }

  const top = parser.parse(expr).topNode
  const result = labelsOf(top)
  for (const l of wanted) {
    if (result === 'scalar' || !result.has(l)) problems.push(`{{${l}}}: the result has no label ${l} (it has ${result === 'scalar' ? 'none: a scalar' : [...result].filter((x) => x !== '__name__').sort().join(', ') || 'none'})`)
  }
  return problems
}

function groupingLabels(src: string, n: SyntaxNode | null): string[] {
  if (!n) return []
  return children(n).map((c) => (c.name === 'QuotedLabelName' || c.name === 'StringLiteral' ? unquote(text(src, c)) : text(src, c)))
}

function matchersOf(src: string, selector: SyntaxNode): Matcher[] {
  const list = selector.getChild('LabelMatchers')
  if (!list) return []
  return children(list).flatMap((m) => {
    const label = m.getChild('LabelName') ?? m.getChild('QuotedLabelName')
    const op = m.getChild('MatchOp')
    const value = m.getChild('StringLiteral')
    if (!op || !value) return []
    const name = label ? (label.name === 'QuotedLabelName' ? unquote(text(src, label)) : text(src, label)) : '__name__'
    return [{ label: name, op: text(src, op) as Matcher['op'], value: unquote(text(src, value)) }]
  })
}

const show = (m: Matcher): string => `${m.label}${m.op}${JSON.stringify(m.value)}`

/** The jobs (services) a selector's `job` matchers admit. */
function jobsMatching(jobs: readonly string[], matchers: readonly Matcher[]): string[] {
  return jobs.filter((job) =>
    matchers.every((m) => {
      const re = new RegExp(`^(?:${m.value})$`)
      switch (m.op) {
        case '=':
          return job === m.value
        case '!=':
          return job !== m.value
        case '=~':
          return re.test(job)
        case '!~':
          return !re.test(job)
      }
    }),
  )
}

/** `foo` for `foo_bucket`, `foo_sum`, `foo_count`, `foo_created`; else the name itself. */
function familyOf(sample: string): string {
  return sample.replace(/_(bucket|sum|count|created)$/, '')
}

/**
 * A Grafana query as Prometheus receives it: the interval variables as durations, `$namespace` as
 * a name, and a `service` variable — single or multi-valued — as "any service" (`job=~".+"`), so
 * the check asks whether some service exports each metric.
 */
export function fromGrafana(expr: string): string {
  return expr
    .replace(/\$\{?__(rate_interval|interval|range)\}?/g, '5m')
    .replace(/job="\$\{?service\}?"/g, 'job=~"$service"')
    .replace(/\$\{?service(:\w+)?\}?/g, '.+')
    .replace(/\$\{?namespace\}?/g, 'orderflow')
}

/** `label_values(<selector>, <label>)` of a Grafana query variable, as a selector and a label; undefined otherwise. */
export function labelValuesQuery(query: string): { selector: string; label: string } | undefined {
  const m = /^\s*label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$/s.exec(query)
  return m ? { selector: m[1]!, label: m[2]! } : undefined
}

/** The labels a Grafana legend (`{{consumer}} {{outcome}}`) or an alert annotation (`$labels.job`) uses. */
export function labelsUsed(template: string): string[] {
  const legend = [...template.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)].map((m) => m[1]!)
  const annotation = [...template.matchAll(/\$labels\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!)
  return [...new Set([...legend, ...annotation])]
}

/**
 * The Prometheus text exposition format (what `/metrics` answers), as the check needs it: sample
 * names with their label names, and the families `# TYPE` declares. Label values may hold any
 * character (escaped `\"`, `\\`, `\n`).
 */
export function parseExposition(body: string): Scrape {
  const samples = new Map<string, Set<string>>()
  const families = new Map<string, string>()
  for (const line of body.split('\n')) {
    if (line.trim() === '') continue
    if (line.startsWith('#')) {
      const type = /^# TYPE (\S+) (\S+)/.exec(line)
      if (type) families.set(type[1]!, type[2]!)
      continue
    }
    const name = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(line)?.[0]
    if (!name) throw new Error(`not a sample line: ${line}`)
    const labels = samples.get(name) ?? new Set<string>()
    samples.set(name, labels)
    let i = name.length
    if (line[i] !== '{') continue
    i++
    while (line[i] !== '}') {
      const label = /^[A-Za-z_][A-Za-z0-9_]*/.exec(line.slice(i))?.[0]
      if (!label || line[i + label.length] !== '=' || line[i + label.length + 1] !== '"') throw new Error(`bad label at ${i}: ${line}`)
      labels.add(label)
      i += label.length + 2
      while (line[i] !== '"') {
        if (i >= line.length) throw new Error(`unterminated label value: ${line}`)
        i += line[i] === '\\' ? 2 : 1
      }
      i++
      if (line[i] === ',') i++
    }
  }
  return { samples, families }
}
