import type { FieldError } from './problem.js'
import { fieldPath } from './validation.js'

// A UTF-16 surrogate without its other half (with the `u` flag a pair is one code point and
// does not match): JSON.stringify writes it as `\udXXX`, which PostgreSQL's jsonb refuses, and
// text columns would silently store U+FFFD in its place.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u

/** Why PostgreSQL cannot store `text`, or `undefined` when it can. */
export function unstorableReason(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain NUL (U+0000)'
  if (LONE_SURROGATE.test(text)) return 'must not contain an unpaired UTF-16 surrogate'
  return undefined
}

interface Node {
  value: unknown
  segment: string | undefined
  parent: Node | undefined
}

function pathOf(node: Node): string[] {
  const segments: string[] = []
  for (let n: Node | undefined = node; n?.segment !== undefined; n = n.parent) segments.unshift(n.segment)
  return segments
}

/** Every string and property name in `value` that PostgreSQL cannot store, named from `root`. */
export function unstorableText(root: string, value: unknown): FieldError[] {
  const found: FieldError[] = []
  // An explicit stack, children pushed last-first so fields come out in document order: a
  // 64 KiB body can nest arrays thousands deep, too deep for recursion.
  const stack: Node[] = [{ value, segment: undefined, parent: undefined }]
  for (let node = stack.pop(); node; node = stack.pop()) {
    const v = node.value
    if (typeof v === 'string') {
      const reason = unstorableReason(v)
      if (reason) found.push({ field: fieldPath(root, pathOf(node)), message: reason })
    } else if (typeof v === 'object' && v !== null) {
      const list = Array.isArray(v)
      const entries: [string, unknown][] = list ? v.map((item: unknown, i): [string, unknown] => [String(i), item]) : Object.entries(v)
      for (const [key, item] of entries.reverse()) {
        const child = { value: item, segment: key, parent: node }
        // A property name is text too: it is reported at its own path.
        const reason = list ? undefined : unstorableReason(key)
        if (reason) found.push({ field: fieldPath(root, pathOf(child)), message: `names a property that ${reason}` })
        stack.push(child)
      }
    }
  }
  return found
}
