import { AjvCompiler, type BuildCompilerFromPool } from '@fastify/ajv-compiler'
import type { FastifyServerOptions } from 'fastify'

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>
type AjvInstance = Parameters<NonNullable<NonNullable<Parameters<BuildCompilerFromPool>[1]>['onCreate']>>[0]

/**
 * `format: 'uuid'` as PostgreSQL's uuid type reads it: ajv-formats also accepts a `urn:uuid:`
 * prefix, which passed validation and then failed the query with a 500.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function ourFormats(ajv: AjvInstance): void {
  ajv.addFormat('uuid', UUID)
}

/**
 * Fastify's validators with two Ajv instances instead of one. Query strings, path parameters and
 * headers arrive as text, so they are coerced to their schema's types (`?limit=5` is the number
 * 5). A JSON body already carries its types, and coercing it would accept what a client got
 * wrong: `"quantity": "2"` or `"customerId": 42` are type errors, not conversions.
 *
 * Both instances are Fastify's own (`@fastify/ajv-compiler`, with ajv-formats and the server's
 * `ajv` options), with our stricter `uuid`. One caveat of any custom compiler: Fastify no longer
 * lower-cases the property names of `headers` schemas, so they must name headers in lower case.
 */
export function requestValidators(): CompilersFactory {
  const coercing = AjvCompiler()
  const exact = AjvCompiler()
  const buildValidator: BuildCompilerFromPool = (externalSchemas, options = {}) => {
    const onCreate = (ajv: AjvInstance) => {
      options.onCreate?.(ajv)
      ourFormats(ajv)
    }
    const forText = coercing(externalSchemas, { ...options, onCreate })
    // JTD schemas (not used here) never coerce; JSON Schema ones are told not to for bodies.
    const forBody = exact(
      externalSchemas,
      options.mode === 'JTD' ? { ...options, onCreate } : { ...options, onCreate, customOptions: { ...options.customOptions, coerceTypes: false } },
    )
    return (route) => (route.httpPart === 'body' ? forBody : forText)(route)
  }
  return { buildValidator }
}
