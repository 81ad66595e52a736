import fc from 'fast-check'

/** A JSON value, as a request body carries it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/**
 * Text that broke, or could break, something below the API: NUL and unpaired surrogates (which
 * PostgreSQL cannot store), look-alikes of other types, markup and SQL, control characters.
 */
export const NASTY_TEXT = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', 'x\udfff', '\udc00\ud800', '😀', '\ufeff', '\u202e', 'İ', 'ﬀ', '%00', '%', '%zz',
  '../..', '<script>', "' or 1=1 --", 'null', 'true', '0', '-1', '1e309', 'NaN', '\\', '"', '\n', '\r\n', '\t', '🙂'.repeat(60),
] as const

/** Numbers at the limits the schemas and the database draw: counts, money, exact integers. */
export const NASTY_NUMBERS = [
  0, -0, 1, -1, 0.5, 1.5, 999, 1000, 1001, 1e9, 1e9 + 1, 2 ** 31, 1e11 - 1, 1e11, 1e11 + 1, 1e14, 9e15, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 1e20, 1e308,
  -1e308, Number.MIN_VALUE,
] as const

const LENGTHS = [99, 100, 101, 199, 200, 201, 254, 255, 256, 499, 500, 501, 1000, 5000] as const

/** Text of every kind: printable, any code point, nasty, near a length limit, with a lone surrogate. */
export const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_TEXT) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...LENGTHS), fc.constantFrom('x', 'é', '😀', '\u0000')).map(([n, c]) => c.repeat(n)) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 5 }), fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff'), fc.string({ maxLength: 5 })).map((p) => p.join('')) },
)

export const number: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.constantFrom(...NASTY_NUMBERS),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
)

/** Any JSON value, small, with nasty leaves. */
export const anyJson: fc.Arbitrary<Json> = fc.letrec<{ json: Json }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    number,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('json'), { maxLength: 3 }),
    fc.dictionary(text, tie('json'), { maxKeys: 3 }),
  ),
})).json

/** A string as it might wrongly stand for `value`: `"2"` for 2, `"true"` for true. */
const asText = (value: Json): Json => (typeof value === 'object' ? JSON.stringify(value) : String(value))

type Path = readonly (string | number)[]

function pathsOf(value: Json, path: Path = [], out: Path[] = []): Path[] {
  out.push(path)
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...path, i], out))
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) pathsOf(v, [...path, k], out)
  return out
}

const DROP = Symbol('drop')

function childOf(value: Json, key: string | number): Json {
  if (Array.isArray(value)) return value[Number(key)] ?? null
  if (value !== null && typeof value === 'object') return value[String(key)] ?? null
  return null
}

function setChild(parent: Json, key: string | number, next: Json | typeof DROP): void {
  if (Array.isArray(parent)) {
    if (next === DROP) parent.splice(Number(key), 1)
    else parent[Number(key)] = next
  } else if (parent !== null && typeof parent === 'object') {
    if (next === DROP) delete parent[String(key)]
    else parent[String(key)] = next
  }
}

/** A copy of `root` with `change` applied to the value at `path` (the root itself when the path is empty). */
function edit(root: Json, path: Path, change: (old: Json) => Json | typeof DROP): Json {
  const copy = structuredClone(root)
  const key = path.at(-1)
  if (key === undefined) {
    const next = change(copy)
    return next === DROP ? null : next
  }
  const parent = path.slice(0, -1).reduce<Json>(childOf, copy)
  setChild(parent, key, change(childOf(parent, key)))
  return copy
}

type Mutation = (value: Json, path: Path) => fc.Arbitrary<Json>

/** The ways one spot of a valid body is spoilt. */
const MUTATIONS: readonly Mutation[] = [
  // Another value of any type.
  (v, p) => anyJson.map((x) => edit(v, p, () => x)),
  (v, p) => text.map((x) => edit(v, p, () => x)),
  (v, p) => number.map((x) => edit(v, p, () => x)),
  // The same value as text: coercion must not turn it back.
  (v, p) => fc.constant(edit(v, p, (old) => asText(old))),
  (v, p) => fc.constant(edit(v, p, () => DROP)),
  (v, p) => fc.constant(edit(v, p, () => null)),
  (v, p) => fc.constant(edit(v, p, (old) => [old])),
  // An extra property where there is an object.
  (v, p) =>
    fc.tuple(fc.oneof(text, fc.constantFrom('__proto__', 'constructor', 'toString')), anyJson).map(([k, x]) =>
      edit(v, p, (old) => (old !== null && typeof old === 'object' && !Array.isArray(old) ? { ...old, [k]: x } : old)),
    ),
  // A long list where there is a list.
  (v, p) => fc.integer({ min: 50, max: 150 }).map((n) => edit(v, p, (old) => (Array.isArray(old) ? Array.from({ length: n }, () => old[0] ?? null) : old))),
]

/** `value` with one to three spots spoilt. */
export function mutated(value: Json, times = 3): fc.Arbitrary<Json> {
  const paths = pathsOf(value)
  const once = fc.tuple(fc.constantFrom(...paths), fc.integer({ min: 0, max: MUTATIONS.length - 1 })).chain(([path, m]) => (MUTATIONS[m] as Mutation)(value, path))
  return times <= 1 ? once : once.chain((v) => fc.oneof(fc.constant(v), mutated(v, times - 1)))
}

/** Bodies that are not JSON at all, or JSON of surprising shape. */
export const RAW_BODIES = [
  '', '{', '{"a":', '[]', '""', 'null', '0', 'true', '1e400', '{"a":1e400}', '{"a":-0}', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}',
  '{"a":1,"a":2}', '\ufeff{}', '{}garbage', 'not json', '\u0000', '{"\\u0000":1}', '{"a":"\\ud800"}', `${'['.repeat(5000)}${']'.repeat(5000)}`,
] as const

/** The body of a request that takes JSON: mostly a valid one spoilt, sometimes valid, sometimes not JSON at all. */
export function jsonBody(valid: fc.Arbitrary<Json>): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 4, arbitrary: valid.map((v) => JSON.stringify(v)) },
    { weight: 8, arbitrary: valid.chain((v) => mutated(v)).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: anyJson.map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_BODIES) },
    { weight: 1, arbitrary: text },
    { weight: 1, arbitrary: fc.constant(undefined) },
  )
}

/** Content types, mostly JSON's. */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json; charset=latin1', 'application/json;;', 'application/problem+json',
      'application/jsonx', 'text/plain', 'text/json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', '*/*', undefined,
    ),
  },
)

/** Printable ASCII, as a header value may hold. */
export const headerText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 }),
  fc.constantFrom('', ' ', 'a'.repeat(255), 'a'.repeat(256), 'a'.repeat(4000)),
)

/** A percent-encoded URL component: what a client would send for `value`. */
export const encoded = (value: string): string => {
  try {
    return encodeURIComponent(value)
  } catch {
    // An unpaired surrogate has no UTF-8: sent as the bytes a careless client might send.
    return [...value].map((c) => (/[\uD800-\uDFFF]/u.test(c) ? '%ED%A0%80' : encodeURIComponent(c))).join('')
  }
}

/** A path segment: a value sent properly, or a malformed one. */
export function segment(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: valid.map(encoded) },
    { weight: 3, arbitrary: text.map(encoded) },
    { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%00', '%C0%80', '%ED%A0%80', '%FF', '..', '.', '%2e%2e', 'a%2Fb', 'x'.repeat(101), 'x'.repeat(3000)) },
  )
}

/** A query string of the given parameters, each optional, with unknown and repeated ones now and then. */
export function queryString(params: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const entries = Object.entries(params).map(([name, value]) => sometimes(value.map((v): [string, string] => [name, v]), 2))
  const extra = fc.array(
    fc.oneof(
      fc.tuple(fc.constantFrom(...Object.keys(params)), text),
      fc.tuple(text, text),
    ),
    { maxLength: 2 },
  )
  const raw = sometimes(fc.constantFrom('&', '&&', '=', '==x', 'a=%', 'a=%zz', '%00=1', 'a[b]=1', 'a[]=1&a[]=2', '__proto__[x]=1', 'constructor[prototype][x]=1'), 8)
  return fc.tuple(fc.tuple(...entries), fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: extra }), raw).map(([named, more, tail]) => {
    const pairs = [...named.filter((e): e is [string, string] => e !== undefined), ...more]
    const query = [...pairs.map(([k, v]) => `${encoded(k)}=${encoded(v)}`), ...(tail === undefined ? [] : [tail])].join('&')
    return query === '' ? '' : `?${query}`
  })
}

/** `value` once in `every` times, else undefined. */
export function sometimes<T>(value: fc.Arbitrary<T>, every: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: every - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: value })
}

/** Mostly `valid`, so that requests get past validation to the handlers, else `other`. */
export function mostly<T>(valid: fc.Arbitrary<T>, other: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: other })
}

/** A value for an integer query parameter: numbers as text, and text that is almost a number. */
export const integerText: fc.Arbitrary<string> = mostly(
  fc.integer({ min: 0, max: 120 }).map(String),
  fc.oneof(
    fc.constantFrom(...NASTY_NUMBERS).map(String),
    fc.constantFrom('99999999999999999999', '9007199254740991', '9007199254740992', '1e3', '0x10', '01', '+1', ' 1', '1.0', '1.5', '-0', 'NaN', 'Infinity', '-Infinity', '1e400', '', 'true'),
    text,
  ),
)

/** UUIDs as clients send them, and things that nearly are. */
export function uuidText(known: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...known) },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.uuid().map((u) => u.toUpperCase()) },
    {
      weight: 1,
      arbitrary: fc.uuid().chain((u) => fc.constantFrom(`urn:uuid:${u}`, `{${u}}`, u.replaceAll('-', ''), `${u} `, `${u}0`, u.slice(1), '00000000-0000-0000-0000-000000000000')),
    },
    { weight: 1, arbitrary: text },
  )
}
