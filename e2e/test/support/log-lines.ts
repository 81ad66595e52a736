/** One JSON log line as a service wrote it: the raw text and what it parses to. */
export interface LogLine {
  readonly raw: string
  readonly fields: Readonly<Record<string, unknown>>
}

/** The JSON lines of a process's output; anything else it printed is left out. */
export function jsonLines(output: string): LogLine[] {
  const lines: LogLine[] = []
  for (const raw of output.split('\n')) {
    if (!raw.startsWith('{')) continue
    try {
      const fields: unknown = JSON.parse(raw)
      if (fields && typeof fields === 'object' && !Array.isArray(fields)) lines.push({ raw, fields: fields as Record<string, unknown> })
    } catch {
      // A line cut by the output's size limit.
    }
  }
  return lines
}

/**
 * The keys written more than once at the top of a JSON object's text. `JSON.parse` keeps the
 * last of repeated members silently, so only the text shows them (pino writes a binding made
 * twice — a child's, its parent's — as two members).
 */
export function repeatedKeys(json: string): string[] {
  const seen = new Set<string>()
  const repeated = new Set<string>()
  let depth = 0
  let expectKey = false
  for (let i = 0; i < json.length; i++) {
    const c = json[i]
    if (c === '"') {
      // A string: find its end, skipping escapes.
      let end = i + 1
      while (end < json.length && json[end] !== '"') end += json[end] === '\\' ? 2 : 1
      if (depth === 1 && expectKey) {
        const key = JSON.parse(json.slice(i, end + 1)) as string
        if (seen.has(key)) repeated.add(key)
        seen.add(key)
        expectKey = false
      }
      i = end
    } else if (c === '{' || c === '[') {
      depth++
      expectKey = depth === 1 && c === '{'
    } else if (c === '}' || c === ']') {
      depth--
    } else if (c === ',' && depth === 1) {
      expectKey = true
    }
  }
  return [...repeated]
}
