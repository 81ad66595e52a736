// What the services themselves declare: package.json "orderflow" (port, database) and the
// config schema of their definition (the environment variable names they read).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from './render.js'

export interface ServiceFacts {
  readonly name: string
  readonly port: number
  readonly database: boolean
  readonly hasDefinition: boolean
}

/** Every folder under services/ whose package.json has an "orderflow" block. */
export function serviceFolders(): ServiceFacts[] {
  const dir = join(repoRoot, 'services')
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'package.json')))
    .flatMap((name) => {
      const pkg = JSON.parse(readFileSync(join(dir, name, 'package.json'), 'utf8')) as { orderflow?: { port: number; database?: boolean } }
      if (pkg.orderflow === undefined) return []
      return [{ name, port: pkg.orderflow.port, database: pkg.orderflow.database === true, hasDefinition: existsSync(join(dir, name, 'src/service.ts')) }]
    })
    .sort((a, b) => a.name.localeCompare(b.name))
}

export interface ConfigKeys {
  readonly all: Set<string>
  /** Keys the service cannot start without: required and with no default. */
  readonly mandatory: Set<string>
  readonly portDefault: unknown
}

interface SchemaLike {
  readonly properties: Record<string, { default?: unknown }>
  readonly required?: readonly string[]
}

function isSchema(value: unknown): value is SchemaLike {
  return typeof value === 'object' && value !== null && typeof (value as { properties?: unknown }).properties === 'object'
}

/** The config schema of `@orderflow/<name>`'s exported service definition (its `configSchema`). */
export async function configKeys(name: string): Promise<ConfigKeys> {
  const mod = (await import(`@orderflow/${name}`)) as Record<string, unknown>
  const schemas = Object.values(mod).flatMap((v) => {
    const schema = typeof v === 'object' && v !== null ? (v as { configSchema?: unknown }).configSchema : undefined
    return isSchema(schema) ? [schema] : []
  })
  const schema = schemas[0]
  if (schemas.length !== 1 || schema === undefined) throw new Error(`@orderflow/${name} exports ${schemas.length} service definitions with a configSchema, expected 1`)
  const required = new Set(schema.required ?? [])
  const mandatory = Object.entries(schema.properties).filter(([key, prop]) => required.has(key) && prop.default === undefined).map(([key]) => key)
  return { all: new Set(Object.keys(schema.properties)), mandatory: new Set(mandatory), portDefault: schema.properties.PORT?.default }
}
