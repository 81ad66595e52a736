import type { AuthOptions } from './server-options.js'

/** The `AuthSettings` of `@orderflow/config`, as `loadConfig` returns them. */
export interface AuthSettingValues {
  JWT_SECRETS?: string | undefined
  JWT_JWKS_URL?: string | undefined
  JWT_ISSUER?: string | undefined
  JWT_AUDIENCE?: string | undefined
}

/**
 * Maps the `JWT_*` settings every API service loads to {@link AuthOptions}:
 * `buildServer({ auth: authOptionsFromSettings(config), … })`. `JWT_SECRETS` is comma-separated,
 * newest first. Throws when neither `JWT_SECRETS` nor `JWT_JWKS_URL` is set (or both are), so a
 * service cannot start with its API unprotected.
 */
export function authOptionsFromSettings(settings: AuthSettingValues): AuthOptions {
  const hsSecrets = (settings.JWT_SECRETS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
  const jwksUrl = settings.JWT_JWKS_URL || undefined
  if (hsSecrets.length > 0 && jwksUrl) throw new TypeError('set JWT_SECRETS or JWT_JWKS_URL, not both')
  if (hsSecrets.length === 0 && !jwksUrl) throw new TypeError('JWT_SECRETS or JWT_JWKS_URL must be set')
  return {
    ...(jwksUrl ? { jwksUrl } : { hsSecrets }),
    issuer: settings.JWT_ISSUER || undefined,
    audience: settings.JWT_AUDIENCE || undefined,
  }
}
