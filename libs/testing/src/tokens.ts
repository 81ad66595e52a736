import { createSigner } from 'fast-jwt'

/** The HS256 secrets tests configure their apps with: the first signs, both verify. */
export const TEST_JWT_SECRETS = ['test-secret-current-0123456789abcdef', 'test-secret-previous-0123456789abcdef'] as const

export interface TokenOptions {
  /** @default 'test-user' */
  sub?: string
  roles?: readonly string[]
  /** @default TEST_JWT_SECRETS[0] */
  secret?: string
  /** Lifetime in seconds; negative for a token that has already expired. @default 300 */
  expiresIn?: number
  extra?: Record<string, unknown>
}

/** Signs an HS256 bearer token the way an identity provider would. */
export function mintToken(opts: TokenOptions = {}): string {
  const now = Math.floor(Date.now() / 1000)
  const sign = createSigner({ key: opts.secret ?? TEST_JWT_SECRETS[0], algorithm: 'HS256' })
  return sign({
    sub: opts.sub ?? 'test-user',
    roles: opts.roles ?? [],
    iat: now,
    exp: now + (opts.expiresIn ?? 300),
    ...opts.extra,
  })
}
