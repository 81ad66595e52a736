import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { mintToken, TEST_JWT_SECRETS } from '@orderflow/testing'
import { headerText, text } from './values.js'

const ROLES = ['orders:read', 'orders:write', 'ops:dlq', 'inventory:read', 'inventory:write', 'payments:read', 'customer'] as const
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** Subjects a signed token may carry: ordinary, at and over the 200 characters the services store, NUL, lone surrogates. */
const subject: fc.Arbitrary<string> = fc.oneof(
  text,
  fc.integer({ min: 190, max: 400 }).map((n) => 's'.repeat(n)),
  fc.constantFrom('a\u0000', '\ud800', 'ü'.repeat(200), '😀'.repeat(100), '😀'.repeat(101)),
)

/** An HS256 token with any claims, signed by hand: the test minter refuses some of them. */
function signed(claims: Record<string, unknown>): string {
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`
  return `${input}.${createHmac('sha256', TEST_JWT_SECRETS[0]).update(input).digest('base64url')}`
}

/** Claims of the wrong type: a sub that is not text, roles that are not a list of strings, odd times. */
const oddClaims = (roles: readonly string[]): fc.Arbitrary<Record<string, unknown>> => {
  const exp = Math.floor(Date.now() / 1000) + 600
  return fc.oneof(
    fc.constantFrom(42, null, true, {}, [], ['a'], '').map((sub) => ({ sub, roles, exp })),
    fc.constantFrom('orders:write', [1, 2], null, {}, [null], [['orders:write']]).map((odd) => ({ sub: 'fuzz', roles: odd, exp })),
    fc.constantFrom<Record<string, unknown>>({ exp: 'soon' }, { exp: 1e20 }, { exp: -1 }, { exp: 1.5 }, { exp, nbf: 1e12 }, { exp, iat: 'x' }).map((times) => ({ sub: 'fuzz', roles, ...times })),
  )
}

/** Authorization headers that are not a usable token at all. */
const broken: fc.Arbitrary<Record<string, string>> = fc.oneof(
  fc.constant({}),
  fc.constantFrom('Bearer', 'Bearer ', 'bearer x', 'Basic dXNlcjpwYXNz', 'Bearer a.b.c', 'Bearer a b', `Bearer ${'a'.repeat(9000)}`).map((authorization) => ({ authorization })),
  headerText.map((authorization) => ({ authorization })),
  headerText.map((token) => bearer(token)),
  fc.constant(bearer(`${b64({ alg: 'none' })}.${b64({ sub: 'x', exp: 9e9, roles: [...ROLES] })}.`)),
  fc.constant(bearer(mintToken({ roles: [...ROLES], expiresIn: -60 }))),
  fc.constant(bearer(mintToken({ roles: [...ROLES], secret: 'another-secret-0123456789abcdef-xx' }))),
)

/**
 * An Authorization header for a request that needs `roles`: mostly a valid token with them (so
 * the request reaches its handler), else other roles, strange subjects, odd claims, or no usable
 * token at all.
 */
export function authorization(roles: readonly string[]): fc.Arbitrary<Record<string, string>> {
  return fc.oneof(
    { weight: 14, arbitrary: fc.constantFrom('fuzz-a', 'fuzz-b').map((sub) => bearer(mintToken({ sub, roles }))) },
    { weight: 1, arbitrary: fc.subarray([...ROLES]).map((r) => bearer(mintToken({ roles: r }))) },
    { weight: 2, arbitrary: subject.map((sub) => bearer(mintToken({ sub, roles }))) },
    { weight: 1, arbitrary: oddClaims(roles).map((claims) => bearer(signed(claims))) },
    { weight: 1, arbitrary: broken },
  )
}
