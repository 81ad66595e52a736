import type { RateLimitOptions } from './server-options.js'

/** The `RATE_LIMIT_*` settings of `@orderflow/config`'s `HttpSettings`, as `loadConfig` returns them. */
export interface RateLimitSettingValues {
  RATE_LIMIT_ENABLED: boolean
  RATE_LIMIT_READS_PER_MINUTE: number
  RATE_LIMIT_WRITES_PER_MINUTE: number
  RATE_LIMIT_ADMIN_PER_MINUTE: number
}

/**
 * Maps the `RATE_LIMIT_*` settings every API service loads to {@link RateLimitOptions}:
 * `buildServer({ rateLimits: rateLimitsFromSettings(config), … })`; undefined (no limiter at
 * all) when `RATE_LIMIT_ENABLED` is false.
 */
export function rateLimitsFromSettings(settings: RateLimitSettingValues): RateLimitOptions | undefined {
  if (!settings.RATE_LIMIT_ENABLED) return undefined
  return {
    perMinute: {
      reads: settings.RATE_LIMIT_READS_PER_MINUTE,
      writes: settings.RATE_LIMIT_WRITES_PER_MINUTE,
      admin: settings.RATE_LIMIT_ADMIN_PER_MINUTE,
    },
  }
}
