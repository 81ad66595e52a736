import fp from 'fastify-plugin'
import type { FastifyPluginCallback } from 'fastify'
import { HttpErrors } from './errors.js'

/** Where the server is in its life; `/readyz` and the shutdown sequence share it. */
export interface Lifecycle {
  /** True from the moment shutdown begins: `/readyz` answers 503 so load balancers move away. */
  readonly shuttingDown: boolean
  /** True once `app.close()` has started: new requests on kept-alive connections get 503. */
  readonly closing: boolean
  /** Marks the start of shutdown (idempotent); `installShutdown` calls it on SIGTERM. */
  beginShutdown(): void
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Shutdown state of this server. */
    lifecycle: Lifecycle
  }
}

function createLifecycle(): Lifecycle & { markClosing(): void } {
  let shuttingDown = false
  let closing = false
  return {
    get shuttingDown() {
      return shuttingDown
    },
    get closing() {
      return closing
    },
    beginShutdown() {
      shuttingDown = true
    },
    markClosing() {
      shuttingDown = true
      closing = true
    },
  }
}

const lifecycle: FastifyPluginCallback = (app, _opts, done) => {
  const state = createLifecycle()
  app.decorate('lifecycle', state)
  // `return503OnClosing` is turned off (its body is not a problem document); this hook does the
  // same job: once close() starts, a request arriving on a kept-alive connection is refused with
  // a problem instead of starting work the load balancer should send elsewhere. Fastify has
  // already set `Connection: close` on such a response, so the client reconnects elsewhere.
  app.addHook('preClose', (next) => {
    state.markClosing()
    next()
  })
  app.addHook('onRequest', (_request, _reply, next) => {
    next(state.closing ? HttpErrors.SHUTTING_DOWN('The server is shutting down; retry on another instance.') : undefined)
  })
  done()
}

// fastify-plugin: the decorator and the closing hook must apply to the whole server.
export const lifecyclePlugin = fp(lifecycle, { name: '@orderflow/http/lifecycle', fastify: '5.x' })
