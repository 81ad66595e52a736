import fp from 'fastify-plugin'
import type { FastifyPluginCallback } from 'fastify'
import type { FieldError } from './problem.js'
import { fieldPath, validationFailed } from './validation.js'

function infinities(root: string, values: unknown): FieldError[] {
  if (typeof values !== 'object' || values === null) return []
  return Object.entries(values).flatMap(([name, value]: [string, unknown]) => {
    const list: unknown[] = Array.isArray(value) ? value : [value]
    return list.some((v) => typeof v === 'number' && !Number.isFinite(v)) ? [{ field: fieldPath(root, [name]), message: 'must be a finite number' }] : []
  })
}

/**
 * Refuses a query string or path parameter that validation coerced to Infinity. Ajv (8.x) turns
 * the text `Infinity`, `-Infinity` or `1e400` into that number for an `integer` schema and then
 * skips the integer's own check and its `minimum` and `maximum`, so `?limit=Infinity` reached
 * the handlers and failed their queries with a 500. Bodies are not coerced, and JSON has no
 * Infinity that Ajv lets through.
 */
const finiteNumbers: FastifyPluginCallback = (app, _opts, done) => {
  app.addHook('preHandler', (request, _reply, next) => {
    const errors = [...infinities('params', request.params), ...infinities('querystring', request.query)]
    next(errors.length === 0 ? undefined : validationFailed(errors))
  })
  done()
}

// fastify-plugin: the hook must run for every route of the server.
export const finiteNumbersPlugin = fp(finiteNumbers, { name: '@orderflow/http/finite-numbers', fastify: '5.x' })
