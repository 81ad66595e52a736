import fp from 'fastify-plugin'
import type { FastifyPluginCallback } from 'fastify'
import { unstorableText } from './storable-text.js'
import { validationFailed } from './validation.js'

/**
 * Refuses, for every route, a request with text PostgreSQL cannot store — NUL anywhere, or an
 * unpaired surrogate — in its body, query string, path parameters or headers: 400
 * `VALIDATION_FAILED` naming each field. Without it such a string passes every schema
 * (`maxLength` counts it like any character) and fails the query it reaches with a 500.
 * It runs before schema validation, on the request as sent.
 */
const storableText: FastifyPluginCallback = (app, _opts, done) => {
  app.addHook('preValidation', (request, _reply, next) => {
    const errors = [
      ...unstorableText('params', request.params),
      ...unstorableText('querystring', request.query),
      ...unstorableText('headers', request.headers),
      ...unstorableText('body', request.body),
    ]
    next(errors.length === 0 ? undefined : validationFailed(errors))
  })
  done()
}

// fastify-plugin: the hook must run for every route of the server.
export const storableTextPlugin = fp(storableText, { name: '@orderflow/http/storable-text', fastify: '5.x' })
