// Keeps @fastify/jwt's declarations (`request.user`, `request.jwtVerify`) in this module's emitted
// types, so services that import only @orderflow/http see `request.user` typed as AuthUser.
/// <reference types="@fastify/jwt" preserve="true" />
import fastifyJwt from '@fastify/jwt'
import fp from 'fastify-plugin'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { HttpErrors } from './errors.js'
import { hsKeyResolver, jwksKeyResolver } from './jwt-keys.js'
import { isProblemError, type ProblemError } from './problem.js'
import type { AuthOptions } from './server-options.js'
import { unstorableReason } from './storable-text.js'

/** The claims Orderflow reads from a bearer token; others pass through untouched. */
export interface TokenClaims {
  sub: string
  /** Role names such as `orders:write`. */
  roles?: readonly string[]
  [claim: string]: unknown
}

/** `request.user` on a protected route. */
export interface AuthUser {
  /** The token's subject: a customer or a client id. */
  sub: string
  /** The `roles` claim; empty when absent or not an array of strings. */
  roles: readonly string[]
  /** Every claim of the verified token. */
  claims: Readonly<Record<string, unknown>>
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: TokenClaims
    user: AuthUser
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Verifies the request's bearer token and sets `request.user`; throws a 401 problem otherwise. */
    authenticate: (request: FastifyRequest) => Promise<void>
    /**
     * The `sub` of the request's bearer token when the token verifies, else undefined; never
     * throws and never sets `request.user`. The rate limiter keys callers by it.
     */
    verifiedSubject: (request: FastifyRequest) => Promise<string | undefined>
  }
}

export function toAuthUser(claims: TokenClaims): AuthUser {
  const roles = Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : []
  return { sub: claims.sub, roles, claims }
}

/** Checks the options once at start, so a misconfigured service fails to boot. */
function keyResolver(opts: AuthOptions) {
  const secrets = opts.hsSecrets ?? []
  if (secrets.length > 0 && opts.jwksUrl) throw new TypeError('auth: give hsSecrets or jwksUrl, not both')
  if (opts.jwksUrl) {
    return { algorithm: 'RS256' as const, signingKey: undefined, resolve: jwksKeyResolver(opts.jwksUrl, opts.jwksTimeoutMs ?? 5000) }
  }
  const [first, ...rest] = secrets
  if (first === undefined) throw new TypeError('auth: hsSecrets or jwksUrl is required')
  if (secrets.some((s) => s.length === 0)) throw new TypeError('auth: an HS256 secret is empty')
  return { algorithm: 'HS256' as const, signingKey: first, resolve: hsKeyResolver([first, ...rest]) }
}

function bearer(error?: 'invalid_token' | 'invalid_request'): Record<string, string> {
  // RFC 6750 §3: a request without credentials gets the bare challenge, a bad token its reason.
  return { 'www-authenticate': error === undefined ? 'Bearer' : `Bearer error="${error}"` }
}

/** Turns what `request.jwtVerify()` rejects with into our 401 (or the key resolver's 503). */
function authProblem(err: unknown): ProblemError {
  if (isProblemError(err)) return err
  const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : ''
  const message = err instanceof Error ? err.message : ''
  switch (code) {
    case 'FST_JWT_NO_AUTHORIZATION_IN_HEADER':
      return HttpErrors.UNAUTHORIZED({ detail: 'No bearer token in the Authorization header.', headers: bearer(), cause: err })
    case 'FST_JWT_BAD_REQUEST':
      return HttpErrors.UNAUTHORIZED({
        detail: "The Authorization header must be 'Bearer <token>'.",
        headers: bearer('invalid_request'),
        cause: err,
      })
    case 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED':
      return HttpErrors.UNAUTHORIZED({ detail: 'The token has expired.', headers: bearer('invalid_token'), cause: err })
  }
  // @fastify/jwt (FST_JWT_*) and fast-jwt (FAST_JWT_*) word these for clients: signature,
  // algorithm, issuer, audience, missing claim, malformed token, not yet valid.
  if (code.startsWith('FST_JWT_') || code.startsWith('FAST_JWT_')) {
    return HttpErrors.UNAUTHORIZED({ detail: `The token is invalid: ${message}`, headers: bearer('invalid_token'), cause: err })
  }
  return HttpErrors.INTERNAL({ detail: 'Token verification failed unexpectedly.', cause: err })
}

/**
 * Longest `sub` accepted. Services store the subject as who did something (who placed an order,
 * who counted stock) in columns of this many characters, so a longer one would fail the write.
 */
export const MAX_SUBJECT_LENGTH = 200

/** What is wrong with a verified token's `sub` for the services to record it, if anything. */
function subjectFlaw(sub: unknown): string | undefined {
  if (typeof sub !== 'string' || sub === '') return 'its sub claim must be a non-empty string'
  if (sub.length > MAX_SUBJECT_LENGTH) return `its sub claim is longer than ${MAX_SUBJECT_LENGTH} characters`
  const reason = unstorableReason(sub)
  return reason === undefined ? undefined : `its sub claim ${reason}`
}

/**
 * Verified tokens kept per key, so a client's next request with the same token skips the
 * signature check (an RS256 one above all). fast-jwt keeps a result no longer than the token's
 * `exp`, and a refused token stays refused.
 */
const VERIFIED_TOKEN_CACHE_SIZE = 1000

/** What verifying a request's token came to: its user, or the problem to answer. */
type Verification = { user: AuthUser } | { problem: ProblemError }

/**
 * Verifies the request's token and checks its subject, without touching `request.user`: only
 * `authenticate` sets it, so a role check on a route outside `protectedRoutes` still finds no
 * user and fails closed even after the rate limiter has verified the token.
 */
async function verification(request: FastifyRequest): Promise<Verification> {
  try {
    await request.jwtVerify()
  } catch (err) {
    return { problem: authProblem(err) }
  }
  const user = request.user
  // Taken back from request.user, where jwtVerify put it (FastifyJWT declares it non-null for
  // handlers; it is null until `authenticate` runs).
  const unverified: { user: AuthUser | null } = request
  unverified.user = null
  // A signed token can still carry a subject no service can record: refused like a bad token.
  const flaw = subjectFlaw(user.sub)
  if (flaw) return { problem: HttpErrors.UNAUTHORIZED({ detail: `The token is invalid: ${flaw}.`, headers: bearer('invalid_token') }) }
  return { user }
}

const auth: FastifyPluginAsync<AuthOptions> = async (app, opts) => {
  const { algorithm, signingKey, resolve } = keyResolver(opts)
  const claims = {
    ...(opts.issuer === undefined ? {} : { iss: opts.issuer }),
    ...(opts.audience === undefined ? {} : { aud: opts.audience }),
  }
  await app.register(fastifyJwt, {
    secret: signingKey === undefined ? { public: resolve } : { private: signingKey, public: resolve },
    // The key resolvers need the header (kid, alg) and, for HS256, the signing input.
    decode: { complete: true },
    sign: { algorithm, ...claims },
    verify: {
      // A fixed algorithm list stops "alg: none" and RS/HS confusion.
      algorithms: [algorithm],
      cache: VERIFIED_TOKEN_CACHE_SIZE,
      // fast-jwt checks iss and aud only when the token has them, so configured ones are required.
      requiredClaims: ['exp', 'sub', ...Object.keys(claims)],
      clockTolerance: (opts.clockToleranceSec ?? 0) * 1000,
      ...(opts.issuer === undefined ? {} : { allowedIss: opts.issuer }),
      ...(opts.audience === undefined ? {} : { allowedAud: opts.audience }),
    },
    formatUser: toAuthUser,
  })

  // One verification per request, whoever asks first — the rate limiter for its key or a
  // protected route's hook — so a request pays for one (and a JWKS outage costs one wait).
  const verifications = new WeakMap<FastifyRequest, Promise<Verification>>()
  const verify = (request: FastifyRequest): Promise<Verification> => {
    let pending = verifications.get(request)
    if (pending === undefined) {
      pending = verification(request)
      verifications.set(request, pending)
    }
    return pending
  }

  app.decorate('authenticate', async (request: FastifyRequest): Promise<void> => {
    const verified = await verify(request)
    if ('problem' in verified) throw verified.problem
    request.user = verified.user
  })

  app.decorate('verifiedSubject', async (request: FastifyRequest): Promise<string | undefined> => {
    if (request.headers.authorization === undefined) return undefined
    const verified = await verify(request)
    return 'user' in verified ? verified.user.sub : undefined
  })
}

// fastify-plugin: `app.jwt`, `app.authenticate` and `app.verifiedSubject` must reach the root,
// where protectedRoutes and the rate limiter find them; the hook that calls `authenticate` is
// added only in the protected child contexts.
export const authPlugin = fp(auth, { name: '@orderflow/http/auth', fastify: '5.x' })
