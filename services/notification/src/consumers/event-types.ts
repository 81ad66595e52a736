import { catalog } from '@orderflow/contracts'

/** Whether a NATS subject filter (`*` one token, `>` the rest) takes the subject. */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.')
  const s = subject.split('.')
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i
    if (i >= s.length || (f[i] !== '*' && f[i] !== s[i])) return false
  }
  return f.length === s.length
}

/**
 * The event types the contracts publish on the subjects a consumer's filters take. A consumer
 * acknowledges any of them — those that call for no mail without effect — so a type the
 * producer adds or retires on those subjects never lands in the dead letters; anything else
 * (another type, one this build does not know) is dead-lettered by the runner.
 */
export function eventTypesOn(filters: readonly string[]): ReadonlySet<string> {
  return new Set([...catalog.values()].filter((d) => filters.some((f) => subjectMatches(f, d.subject))).map((d) => d.type))
}
