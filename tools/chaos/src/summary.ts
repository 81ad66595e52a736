import type { ChaosResult } from './results.js'

const secs = (s: number | null) => (s === null ? 'never' : `${s.toFixed(1)} s`)
const counts = (r: Record<string, number>) =>
  Object.entries(r)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || 'none'

/** The summary a person reads at the end of a run: faults, orders, checks. */
export function renderText(r: ChaosResult): string {
  const o = r.orders
  const lines = [
    `Chaos run (${r.settings.profile}): ${r.settings.durationS} s at ${r.settings.rate} orders/s, started ${r.startedAt}`,
    '',
    'Faults                                                        at      outage  ready after  caught up after',
    ...r.faults.map(
      (f) =>
        `  ${f.description.padEnd(58)} ${`${f.atS.toFixed(1)} s`.padStart(7)} ${`${f.outageS.toFixed(1)} s`.padStart(7)} ${secs(f.readyAfterS).padStart(11)}  ${secs(f.caughtUpAfterS).padStart(15)}${f.error ? `  (${f.error})` : ''}`,
    ),
    '',
    `Orders: ${o.sent} sent, ${o.accepted} accepted (202), refused: ${counts(o.refused)}, no answer: ${counts(o.noAnswer)}`,
    `  stored ${o.stored}; ended as: ${counts(o.byOutcome)}`,
    ...Object.entries(o.byKind).map(([kind, by]) => `  ${kind.padEnd(8)} ${counts(by)}`),
    `  cancels: ${counts(o.cancels)}`,
    `Mails received: ${r.mailsReceived}; dead letters: ${r.deadLetters}; settled ${secs(r.settledAfterS)} after the last fault`,
    '',
    'Checks',
    ...r.checks.flatMap((c) => [
      `  ${c.passed ? 'PASS' : 'FAIL'}  ${c.name}: ${c.summary}`,
      ...c.breaches.map((b) => `          ${b}`),
      ...(c.breachCount > c.breaches.length ? [`          … and ${c.breachCount - c.breaches.length} more`] : []),
    ]),
    '',
    r.passed ? 'The run passed.' : 'The run FAILED.',
    `Logs: ${r.logDir}`,
  ]
  return lines.join('\n')
}

/** The same as Markdown, for docs/reliability.md. */
export function renderMarkdown(r: ChaosResult): string {
  const o = r.orders
  const cell = (s: string) => s.replace(/\|/g, '\\|')
  return [
    `- Run: \`${r.command}\`, ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC: **${r.passed ? 'passed' : 'FAILED'}**.`,
    `- ${r.settings.durationS} s of load at ${r.settings.rate} orders/s; ${r.machine.cpus} CPUs, Node ${r.machine.node}, services from \`${r.settings.source}\`.`,
    `- Orders: ${o.sent} sent, ${o.accepted} accepted (202); refused: ${counts(o.refused)}; no answer: ${counts(o.noAnswer)}.`,
    `- Ended as: ${counts(o.byOutcome)}.`,
    `- Cancels: ${counts(o.cancels)}. Mails: ${r.mailsReceived}. Dead letters: ${r.deadLetters}.`,
    `- Nothing left in flight: ${r.settledAfterS === null ? `not within ${r.settings.endWithinS} s of the last fault` : `${r.settledAfterS.toFixed(1)} s after the last fault`}.`,
    '',
    '| at | fault | outage | ready after | caught up after |',
    '|---:|---|---:|---:|---:|',
    ...r.faults.map((f) => `| ${f.atS.toFixed(1)} s | ${cell(f.description)}${f.error ? ` (${cell(f.error)})` : ''} | ${f.outageS.toFixed(1)} s | ${secs(f.readyAfterS)} | ${secs(f.caughtUpAfterS)} |`),
    '',
    '| check | result |',
    '|---|---|',
    ...r.checks.map((c) => `| ${cell(c.name)} | ${c.passed ? 'pass' : '**FAIL**'}: ${cell(c.summary)}${c.breaches.length > 0 ? `; e.g. ${cell(c.breaches[0] ?? '')}` : ''} |`),
  ].join('\n')
}

export const REPORT_START = '<!-- chaos:latest:start (written by make chaos) -->'
export const REPORT_END = '<!-- chaos:latest:end -->'

/** Puts `section` between the markers of `doc`, keeping the hand-written text around them. */
export function mergeReport(doc: string, section: string): string {
  const start = doc.indexOf(REPORT_START)
  const end = doc.indexOf(REPORT_END)
  if (start < 0 || end < start) throw new Error(`the report has no ${REPORT_START} … ${REPORT_END} section`)
  return `${doc.slice(0, start + REPORT_START.length)}\n${section}\n${doc.slice(end)}`
}
