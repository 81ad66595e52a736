import type { Static, TObject } from 'typebox'
import Value from 'typebox/value'

/** A setting is missing or malformed; the message names every variable at fault. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`)
  }
}

/**
 * Reads settings from the environment against a TypeBox object schema whose keys are the
 * variable names. Strings are converted to the schema's types (numbers, booleans), defaults
 * fill what is unset, unknown variables are ignored. Throws {@link ConfigError} listing every
 * problem at once, so a misconfigured pod fails at start with one readable message.
 */
export function loadConfig<S extends TObject>(schema: S, env: NodeJS.ProcessEnv = process.env): Static<S> {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(schema.properties)) {
    const value = env[key]
    // An empty variable means "unset" (the usual way to clear a setting in a shell or a chart).
    if (value !== undefined && value !== '') raw[key] = value
  }
  const withDefaults = Value.Default(schema, raw)
  const converted = Value.Convert(schema, withDefaults)
  const problems = Value.Errors(schema, converted).map((e) => {
    const variable = e.instancePath.replace(/^\//, '')
    if (e.keyword === 'required') {
      const missing = (e.params as { requiredProperties?: string[] }).requiredProperties ?? []
      return `${missing.join(', ')}: required but not set`
    }
    return `${variable}: ${e.message} (got ${JSON.stringify(env[variable] ?? null)})`
  })
  if (problems.length > 0) throw new ConfigError(problems)
  return converted as Static<S>
}

/** Splits a comma-separated setting into trimmed, non-empty items. */
export function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}
