import type { Spread } from './percentiles.js'
import type { BenchResult, BenchSettings, BooksCheck, Counts, RateSummary, WindowCostsSummary } from './results.js'
import { formatMs } from './verdict.js'

/** Which section of docs/benchmarks.md a benchmark fills: one per kind of run, each kept until rerun. */
export function sectionKey(settings: Pick<BenchSettings, 'intake' | 'mode'>): string {
  return `${settings.intake ? 'intake' : 'saga'}-${settings.mode}`
}

const SECTION_ORDER = ['saga-step', 'saga-fixed', 'intake-step', 'intake-fixed']
const TITLES: Record<string, string> = {
  'saga-step': 'Step run: the highest sustainable rate (end to end)',
  'saga-fixed': 'Fixed rates: end to end',
  'intake-step': 'Step run: order intake',
  'intake-fixed': 'Fixed rates: order intake',
}

export interface SectionOptions {
  /** The command that ran it, quoted in the report. */
  command: string
  /** The chart's file name, relative to the report; none for a single rate. */
  chartFile?: string
}

/** One benchmark as a Markdown section. */
export function renderSection(result: BenchResult, opts: SectionOptions): string {
  const { machine: m, settings: s } = result
  const key = sectionKey(s)
  const t = s.thresholds
  const spread = (pick: (r: RateSummary) => Spread) => spreadText(result.summaries.map(pick), (n) => n.toFixed(2))
  const out: string[] = [
    `## ${TITLES[key] ?? key}`,
    '',
    `Measured ${result.startedAt.slice(0, 16).replace('T', ' ')} UTC with \`${opts.command}\` (raw figures: \`bench-results/${result.id}.json\`, not committed).`,
    '',
    `- **Machine:** ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GiB, ${m.kernel}, Node ${m.node}. Load average at start ${m.loadAverage.map((l) => l.toFixed(2)).join(' / ')} (1 / 5 / 15 min). ` +
      `${databaseText(result.database)}The machine is shared: other work used ${spread((r) => r.otherCores)} cores during the measured windows, the whole machine ${spread((r) => r.machineBusyCores)} of ${m.cores}.`,
    `- **Settings:** ${s.warmupSeconds} s warm-up (not counted), ${s.durationSeconds} s measured per rate, ${s.runs} run${s.runs === 1 ? '' : 's'} per rate` +
      `${s.runs > 1 ? ' (cells: median, with min–max across runs)' : ''}; open model (requests leave on schedule whether or not earlier ones were answered); ` +
      `${s.skus} SKUs, ${s.connections} keep-alive connections; drain timeout ${s.drainTimeoutSeconds} s` +
      `${s.vacuum ? '; `VACUUM (ANALYZE)` of the platform databases before each run' : ''}` +
      `${result.vacuumDuringRunsSeconds ? `, and every ${result.vacuumDuringRunsSeconds} s during it of the tables autovacuum's thresholds call due` : ''}` +
      `${result.services ? `; services running: ${result.services.join(', ')}` : ''}${(result.replicas ?? 1) > 1 ? `, ${result.replicas} processes of each (REPLICAS=${result.replicas})` : ''}.`,
    `- **Sustainable** means: ${s.intake ? 'HTTP' : 'end-to-end'} p99 ≤ ${formatMs(t.maxP99Ms)}, failed orders ≤ ${t.maxFailureRate * 100} %, the backlog at stop drained within ${t.maxDrainSeconds} s, ` +
      `completions ≥ ${t.minCompletionRatio * 100} % of the accepted rate, the generator's send lag p99 ≤ ${t.maxSendLagMs} ms.`,
    `- **${s.intake ? 'Completed' : 'End to end'}** is ${s.intake ? 'the POST leaving the client → `order.evt.created` seen on NATS (the outbox relay)' : "the POST leaving the client → the saga's outcome event (`order.evt.saga.confirmed|failed|cancelled`) seen on NATS"}.`,
    '',
  ]
  if (result.stoppedEarly) out.push(`**Stopped early** (${result.stoppedEarly}): the table holds the runs done before.`, '')
  if (s.mode === 'step') {
    const best = result.highestSustainable
    const firstFail = result.summaries.find((r) => !r.verdict.sustainable)
    out.push(
      `**Highest sustainable rate: ${best === null ? 'none of the rates tried' : `${best} orders/s`}**` +
        (firstFail ? ` — at ${firstFail.rate}/s: ${firstFail.verdict.reasons.join('; ')}.` : ' (the last step tried; the limit is higher).'),
      '',
    )
  }
  out.push(...throughputTable(result), '')
  if (result.books) out.push(booksLine(result.books), '')
  if (opts.chartFile) out.push(`![${s.intake ? 'Intake' : 'End-to-end'} latency against offered rate](${opts.chartFile})`, '')
  out.push(
    '### CPU and memory by process during the measured window',
    '',
    'Cores busy on average · CPU milliseconds per accepted order (medians of the runs; `postgres (x)` is the backends of service x\'s database); then peak resident memory.',
    '',
    ...usageTable(result.summaries),
    '',
  )
  out.push(...costSection(result), '')
  const work = workTable(result.summaries)
  if (work.length > 0) {
    out.push(
      '### Work per accepted order',
      '',
      'From PostgreSQL\'s `pg_stat_database` (transactions; rows inserted + updated + deleted; rows returned by scans) and the streams\' message counts, over each whole run.',
      '',
      ...work,
      '',
    )
  }
  const failures = failureLines(result)
  if (failures.length > 0) out.push('### Failures and verdicts', '', ...failures, '')
  return out.join('\n')
}

function throughputTable(result: BenchResult): string[] {
  const ms = (n: number) => String(Math.round(n))
  const perS = (n: number) => n.toFixed(1)
  const e2e = result.settings.intake ? 'published' : 'E2E'
  const rows = result.summaries.map((r) =>
    [
      String(r.rate),
      cell(r.acceptedPerSecond, perS),
      cell(r.completedPerSecond, perS),
      r.http ? `${cell(r.http.p50, ms)} / ${cell(r.http.p90, ms)} / ${cell(r.http.p99, ms)} / ${cell(r.http.max, ms)}` : '–',
      r.endToEnd ? `${cell(r.endToEnd.p50, ms)} / ${cell(r.endToEnd.p90, ms)} / ${cell(r.endToEnd.p99, ms)} / ${cell(r.endToEnd.max, ms)}` : '–',
      cell(r.failures, ms),
      cell(r.deadLetters, ms),
      `${cell(r.backlogAtStop, ms)} / ${cell(r.consumerBacklogAtStop, ms)}`,
      cell(r.drainSeconds, (n) => n.toFixed(1)),
      cell(r.cpuMsPerOrder, perS),
      r.verdict.sustainable ? 'yes' : '**no**',
    ].join(' | '),
  )
  return [
    `| rate /s | accepted /s | completed /s | HTTP p50 / p90 / p99 / max (ms) | ${e2e} p50 / p90 / p99 / max (ms) | failed | dead letters | backlog at stop: orders / messages | drain (s) | CPU ms per order | sustainable |`,
    '|---:|---:|---:|---|---|---:|---:|---:|---:|---:|:---:|',
    ...rows.map((r) => `| ${r} |`),
  ]
}

function usageTable(summaries: readonly RateSummary[]): string[] {
  const groups = [...new Set(summaries.flatMap((r) => Object.keys(r.cores)))]
  // Busiest first, by the highest rate's figure: that is where the time goes.
  const last = summaries[summaries.length - 1]
  groups.sort((a, b) => (last?.cores[b]?.median ?? 0) - (last?.cores[a]?.median ?? 0))
  const header = `| process | ${summaries.map((r) => `${r.rate}/s cores · ms/order`).join(' | ')} | ${summaries.map((r) => `${r.rate}/s peak MiB`).join(' | ')} |`
  const align = `|---|${summaries.map(() => '---:').join('|')}|${summaries.map(() => '---:').join('|')}|`
  const rows = groups.map(
    (g) =>
      `| ${g} | ${summaries.map((r) => cpuCell(r, g)).join(' | ')} | ${summaries.map((r) => (r.peakRssMb[g] ? r.peakRssMb[g].median.toFixed(0) : '–')).join(' | ')} |`,
  )
  const other = `| other work on the machine | ${summaries.map((r) => r.otherCores.median.toFixed(2)).join(' | ')} | ${summaries.map(() => '').join(' | ')} |`
  return [header, align, ...rows, other]
}

function workTable(summaries: readonly RateSummary[]): string[] {
  const dbs = [...new Set(summaries.flatMap((r) => Object.keys(r.databasePerOrder ?? {})))].sort()
  const streams = [...new Set(summaries.flatMap((r) => Object.keys(r.messagesPerOrder)))]
  if (dbs.length === 0 && streams.length === 0) return []
  const one = (n: number) => n.toFixed(1)
  const dbRows = dbs.map((db) => {
    const cells = summaries.map((r) => {
      const c = r.databasePerOrder?.[db]
      return c ? `${one(c.transactions)} / ${one(c.rowsWritten)} / ${Math.round(c.rowsRead)}` : '–'
    })
    return `| database ${db}: transactions / rows written / rows read | ${cells.join(' | ')} |`
  })
  const streamRows = streams.map((s) => `| stream ${s}: messages | ${summaries.map((r) => one(r.messagesPerOrder[s] ?? 0)).join(' | ')} |`)
  return [`| per order | ${summaries.map((r) => `${r.rate}/s`).join(' | ')} |`, `|---|${summaries.map(() => '---:').join('|')}|`, ...dbRows, ...streamRows]
}

/** How many of the most called statements the report quotes, and how much of each. */
const REPORTED_STATEMENTS = 5
const REPORTED_QUERY_CHARS = 100

/**
 * The cost of one completed order, counted over the measured window: CPU, JetStream deliveries,
 * messages published, SQL statements; then statements by database and the most called ones.
 * Nothing for results of benchmarks that did not count them.
 */
function costSection(result: BenchResult): string[] {
  const summaries = result.summaries.filter((r) => r.perCompletedOrder !== null)
  if (summaries.length === 0) return []
  const one = (n: number) => n.toFixed(1)
  const notMeasured = summaries.map((r) => r.perCompletedOrder?.statements).find((st): st is string => typeof st === 'string')
  const allNotMeasured = summaries.every((r) => typeof r.perCompletedOrder?.statements === 'string')
  const rows = summaries.map((r) => {
    const c = r.perCompletedOrder as WindowCostsSummary
    const statements = typeof c.statements === 'string' ? 'not measured' : cell(c.statements.total, one)
    return [
      String(r.rate),
      cell(c.orders, (n) => String(Math.round(n))),
      c.cpuMs ? `${cell(c.cpuMs.machine, one)} / ${cell(c.cpuMs.platform, one)}` : '–',
      c.deliveries ? cell(c.deliveries.total, one) : '–',
      c.published ? cell(c.published.total, one) : '–',
      statements,
    ].join(' | ')
  })
  const out = [
    '### Cost per completed order',
    '',
    "Counted over the measured window and divided by the orders completed in it. CPU: the whole machine's busy time (every process, `/proc/stat`, other people's work included) / " +
      "the platform's processes (services, their PostgreSQL backends and server, NATS), in ms (each process's CPU per accepted order is in the table above). Deliveries: JetStream deliveries to every durable consumer " +
      "of the platform's streams, redeliveries included (the increase of each consumer's `delivered.consumer_seq`). Published: messages stored in the domain streams (the increase of `last_seq`). " +
      `Statements: ${allNotMeasured ? (notMeasured ?? '') : `SQL statements the platform's databases executed, from ${result.statements ?? 'pg_stat_statements'}`}.`,
    '',
    '| rate /s | orders completed | CPU ms per order: machine / platform | deliveries per order | published per order | statements per order |',
    '|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r} |`),
  ]
  const counted = summaries.flatMap((r) => (typeof r.perCompletedOrder?.statements === 'object' ? [{ rate: r.rate, statements: r.perCompletedOrder.statements }] : []))
  if (counted.length === 0) return out
  const dbs = [...new Set(counted.flatMap((c) => Object.keys(c.statements.byDatabase)))].sort()
  out.push(
    '',
    `| statements per order | ${counted.map((c) => `${c.rate}/s`).join(' | ')} |`,
    `|---|${counted.map(() => '---:').join('|')}|`,
    ...dbs.map((db) => `| database ${db} | ${counted.map((c) => cell(c.statements.byDatabase[db], one)).join(' | ')} |`),
  )
  const highest = counted[counted.length - 1] as (typeof counted)[number]
  const top = highest.statements.top.slice(0, REPORTED_STATEMENTS)
  if (top.length > 0) {
    out.push(
      '',
      `The ${top.length} most called statements at ${highest.rate}/s, calls per order:`,
      '',
      '| calls per order | database | statement |',
      '|---:|---|---|',
      ...top.map((st) => `| ${cell(st.callsPerOrder, one)} | ${st.database} | ${codeCell(shortText(st.query, REPORTED_QUERY_CHARS))} |`),
    )
  }
  const evicted = counted.reduce((a, c) => a + (c.statements.evicted ?? 0), 0)
  if (evicted > 0) out.push('', `pg_stat_statements evicted ${evicted} entries during the windows (\`pg_stat_statements.max\` reached): the statement counts are too low.`)
  return out
}

function shortText(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, chars - 1)}…`
}

/** Text as inline code inside a table cell: no backticks, the pipes escaped. */
function codeCell(text: string): string {
  return `\`${text.replaceAll('`', "'").replaceAll('|', '\\|')}\``
}

function cpuCell(r: RateSummary, group: string): string {
  const cores = r.cores[group]
  const ms = r.cpuMsPerOrderByGroup[group]
  return cores && ms ? `${cores.median.toFixed(2)} · ${Math.round(ms.median)}` : '–'
}

function failureLines(result: BenchResult): string[] {
  const lines: string[] = []
  for (const summary of result.summaries) {
    const runs = result.runs.filter((r) => r.rate === summary.rate)
    const kinds: Counts = {}
    const add = (prefix: string, counts: Counts) => {
      for (const [k, n] of Object.entries(counts)) kinds[`${prefix} ${k}`] = (kinds[`${prefix} ${k}`] ?? 0) + n
    }
    for (const r of runs) {
      add('HTTP', r.failures.http)
      add('network', r.failures.network)
      add('saga', r.failures.saga)
      if (r.failures.incomplete > 0) add('never completed', { '': r.failures.incomplete })
    }
    const kindText = Object.entries(kinds).map(([k, n]) => `${k.trim()} ×${n}`)
    if (kindText.length === 0 && summary.verdict.sustainable) continue
    const parts = [...(kindText.length ? [`failures over ${runs.length} run${runs.length === 1 ? '' : 's'}: ${kindText.join(', ')}`] : []), ...summary.verdict.reasons]
    lines.push(`- ${summary.rate}/s: ${parts.join('; ')}`)
  }
  return lines
}

function databaseText(settings: Record<string, string> | null): string {
  if (!settings) return ''
  const version = settings.server_version ? `PostgreSQL ${settings.server_version.split(' ')[0]}` : 'PostgreSQL'
  const rest = Object.entries(settings)
    .filter(([k]) => k !== 'server_version')
    .map(([k, v]) => `${k} ${v}`)
  return `${version} (${rest.join(', ')}). `
}

/** `12.3`, or `12.3 (11.0–14.2)` when runs differ. */
export function cell(s: Spread | undefined, fmt: (n: number) => string): string {
  if (!s) return '–'
  return s.min === s.max ? fmt(s.median) : `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`
}

/** The lowest and highest of several spreads' medians, for a sentence. */
function spreadText(spreads: readonly Spread[], fmt: (n: number) => string): string {
  if (spreads.length === 0) return '–'
  const medians = spreads.map((s) => s.median)
  const lo = Math.min(...medians)
  const hi = Math.max(...medians)
  return lo === hi ? fmt(lo) : `${fmt(lo)}–${fmt(hi)}`
}

const HEADER = `# Benchmarks

Measured by \`make bench\` (tools/bench), which drives orders through the public API at a fixed
arrival rate and times each one until the saga's outcome event. This file is regenerated by the
tool: each kind of run (step or fixed rates, end to end or intake) rewrites its own section and
keeps the others; the notes between the \`notes\` markers are written by hand and kept.
`

const NOTES_PLACEHOLDER = `<!-- notes:begin -->
<!-- notes:end -->`

/**
 * Puts a section into the report, keeping the other sections and the hand-written notes of the
 * existing file.
 */
export function mergeReport(existing: string | undefined, key: string, section: string): string {
  const sections = new Map<string, string>()
  const pattern = /<!-- bench:section (\S+) -->\n([\s\S]*?)<!-- bench:end -->/g
  for (const m of (existing ?? '').matchAll(pattern)) sections.set(m[1] as string, (m[2] as string).trimEnd())
  sections.set(key, section.trimEnd())
  const notes = /<!-- notes:begin -->[\s\S]*?<!-- notes:end -->/.exec(existing ?? '')?.[0] ?? NOTES_PLACEHOLDER
  const ordered = [...SECTION_ORDER.filter((k) => sections.has(k)), ...[...sections.keys()].filter((k) => !SECTION_ORDER.includes(k))]
  const body = ordered.map((k) => `<!-- bench:section ${k} -->\n${sections.get(k)}\n<!-- bench:end -->`)
  return [HEADER, notes, ...body].join('\n\n') + '\n'
}

/** The books check after the runs, in one paragraph: agreed, or the broken rules. */
export function booksLine(books: BooksCheck): string {
  const checked = Object.values(books.statuses).reduce((a, b) => a + b, 0)
  const statuses = Object.entries(books.statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `${n} ${status}`)
    .join(', ')
  const inFlight = books.unfinished > 0 ? ` ${books.unfinished} had not ended when the benchmark stopped waiting.` : ''
  if (books.violationCount === 0) {
    return `**Books after the runs** (\`orderflow books\`' rules, every order the benchmark placed): ${checked} orders (${statuses}); orders, stock and payments agree.${inFlight}`
  }
  const shown = books.violations.slice(0, 5).map((v) => `\`${v}\``).join('; ')
  return `**Books after the runs: ${books.violationCount} broken rule${books.violationCount === 1 ? '' : 's'}** in ${checked} orders (${statuses}), first: ${shown}.${inFlight}`
}
