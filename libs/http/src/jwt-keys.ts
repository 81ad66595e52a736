import { createHmac, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { TokenOrHeader } from '@fastify/jwt'
import buildGetJwks from 'get-jwks'
import { HttpErrors } from './errors.js'
import type { ProblemError } from './problem.js'

/** A header field of the token @fastify/jwt decoded (complete, so the header is nested). */
function headerField(token: TokenOrHeader, name: 'alg' | 'kid'): string | undefined {
  const header: unknown = 'header' in token ? token.header : token
  if (typeof header !== 'object' || header === null) return undefined
  const fields: { alg?: unknown; kid?: unknown } = header
  const value = fields[name]
  return typeof value === 'string' ? value : undefined
}

/**
 * Picks, among the configured HS256 secrets, the one whose HMAC matches the token's signature.
 * @fastify/jwt verifies with one key per token, so without this only the first secret would
 * verify. The selection can only turn a token away, never let one in: fast-jwt still checks the
 * signature (and the claims) with the key picked here, and an unmatched token gets the first
 * secret, which fails that check with "signature is invalid".
 */
export function hsKeyResolver(
  secrets: readonly [string, ...string[]],
): (request: FastifyRequest, token: TokenOrHeader, cb: (err: Error | null, secret: string) => void) => void {
  const pick = (token: TokenOrHeader): string => {
    if (headerField(token, 'alg') !== 'HS256') return secrets[0] // fast-jwt refuses the algorithm
    // With `decode: { complete: true }` the decoded token carries its signing input and signature.
    if ('input' in token && 'signature' in token && typeof token.input === 'string' && typeof token.signature === 'string') {
      const signature = Buffer.from(token.signature, 'base64url')
      for (const secret of secrets) {
        const expected = createHmac('sha256', secret).update(token.input).digest()
        if (expected.length === signature.length && timingSafeEqual(expected, signature)) return secret
      }
    }
    return secrets[0]
  }
  // With one secret there is nothing to pick: fast-jwt's check is the only one needed.
  if (secrets.length === 1) return (_request, _token, cb) => cb(null, secrets[0])
  return (_request, token, cb) => cb(null, pick(token))
}

/**
 * Fetches the RS256 public key named by the token's `kid` from a fixed JWKS URL (get-jwks caches
 * keys and refetches on an unknown `kid`, which is how an identity provider's key rotation is
 * picked up). The URL comes from configuration, never from the token's `iss`, so a token cannot
 * point the server at keys of its choosing.
 */
export function jwksKeyResolver(jwksUrl: string, timeoutMs: number): (request: FastifyRequest, token: TokenOrHeader) => Promise<string> {
  const url = new URL(jwksUrl)
  const domain = `${url.origin}/`
  const getJwks = buildGetJwks({ jwksPath: `${url.pathname}${url.search}` })
  return async (_request, token) => {
    const alg = headerField(token, 'alg')
    const kid = headerField(token, 'kid')
    // Refused before any fetch, so foreign tokens cannot make the server call the provider.
    if (alg !== 'RS256') throw invalidToken('The token algorithm is invalid: expected RS256.')
    let timer: NodeJS.Timeout | undefined
    // get-jwks' own `timeout` is not a fetch option and would be ignored; a stuck identity
    // provider must not hold requests open.
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`JWKS fetch from ${jwksUrl} took longer than ${timeoutMs} ms`)), timeoutMs)
    })
    try {
      return await Promise.race([
        getJwks.getPublicKey({ domain, alg, ...(kid === undefined ? {} : { kid }) }),
        timeout,
      ])
    } catch (err) {
      throw keyProblem(err)
    } finally {
      clearTimeout(timer)
    }
  }
}

function invalidToken(detail: string, cause?: unknown): ProblemError {
  return HttpErrors.UNAUTHORIZED({ detail, headers: { 'www-authenticate': 'Bearer error="invalid_token"' }, cause })
}

function keyProblem(err: unknown): ProblemError {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined
  if (code === 'JWK_NOT_FOUND') return invalidToken('The token was signed with a key the identity provider does not publish.', err)
  // Unreachable, failing or empty JWKS: not the client's fault, so not a 401.
  return HttpErrors.AUTH_UNAVAILABLE({
    detail: 'The keys to verify tokens cannot be fetched right now; retry shortly.',
    headers: { 'retry-after': '5' },
    cause: err,
  })
}
