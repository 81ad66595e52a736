import fp from 'fastify-plugin'
import type { FastifyPluginCallback } from 'fastify'

/**
 * One log line per request, written when it ends: what was asked (`req`), the answer (`res`)
 * and how long it took. Fastify's own request logging (off in buildServer) writes two, one as
 * the request arrives and one as it completes; at a thousand requests a second the second line
 * costs more CPU than it tells, since every request that arrives also completes or is aborted.
 */
const accessLog: FastifyPluginCallback = (app, _opts, done) => {
  app.addHook('onResponse', (request, reply, next) => {
    reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
    next()
  })
  app.addHook('onRequestAbort', (request, next) => {
    request.log.info({ req: request }, 'request aborted by the client')
    next()
  })
  done()
}

// fastify-plugin: the hooks must run for every route of the server.
export const accessLogPlugin = fp(accessLog, { name: '@orderflow/http/access-log', fastify: '5.x' })
