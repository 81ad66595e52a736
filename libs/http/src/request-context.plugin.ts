import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
} from '@opentelemetry/api'
import fp from 'fastify-plugin'
import type { FastifyPluginCallback, FastifyRequest } from 'fastify'

export const REQUEST_ID_HEADER = 'x-request-id'

// An incoming id is echoed in a header and written to logs, so only a bounded, inert one is kept.
const ACCEPTABLE_REQUEST_ID = /^[\w.:@-]{1,128}$/

/** Fastify's `genReqId`: the caller's `x-request-id` when it is sane, else a new UUID. */
export function requestIdFrom(req: IncomingMessage): string {
  const incoming = req.headers[REQUEST_ID_HEADER]
  return typeof incoming === 'string' && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : randomUUID()
}

interface RequestTrace {
  span: Span
  ctx: Context
  /** False when an outer instrumentation made the span; then it also ends it. */
  owned: boolean
}

const tracer = trace.getTracer('@orderflow/http')

/**
 * Request id and trace context for every request.
 *
 * Each request runs inside a SERVER span, continued from the caller's `traceparent` when there is
 * one, so the events a handler publishes (and the consumers downstream) join the caller's trace.
 * `@opentelemetry/api` is a no-op until the process installs an SDK (`@orderflow/telemetry`), in
 * which case no ids are bound and nothing is recorded.
 */
const requestContext: FastifyPluginCallback = (app, _opts, done) => {
  const traces = new WeakMap<FastifyRequest, RequestTrace>()
  const ours = new WeakSet<Span>()

  app.addHook('onRequest', (request, reply, next) => {
    reply.header(REQUEST_ID_HEADER, request.id)
    // A span active here comes from an HTTP instrumentation wrapping the server, unless it is one
    // of ours still in context (a pipelined request handled as the previous response ended).
    const active = trace.getActiveSpan()
    const outer = active && !ours.has(active) ? active : undefined
    const route = request.routeOptions.url
    const span =
      outer ??
      tracer.startSpan(
        route === undefined ? request.method : `${request.method} ${route}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': request.method,
            'url.path': request.url.split('?', 1)[0],
            ...(route === undefined ? {} : { 'http.route': route }),
          },
        },
        // The caller's traceparent, if any, is the only parent our span may have.
        propagation.extract(ROOT_CONTEXT, request.headers),
      )
    if (!outer) ours.add(span)
    const ctx = trace.setSpan(outer ? context.active() : ROOT_CONTEXT, span)
    traces.set(request, { span, ctx, owned: outer === undefined })

    const { traceId, spanId } = span.spanContext()
    if (isSpanContextValid(span.spanContext())) {
      // Both loggers: Fastify logs the request's completion through reply.log.
      request.log = reply.log = request.log.child({ trace_id: traceId, span_id: spanId })
    }
    // Everything after this hook that runs synchronously or awaits from here sees the span.
    context.with(ctx, next)
  })

  // Reading the body happens in the socket's own async context, which loses the span; entering
  // it again here makes it active for the handler and the hooks around it.
  app.addHook('preHandler', (request, _reply, next) => {
    const t = traces.get(request)
    if (t) context.with(t.ctx, next)
    else next()
  })

  app.addHook('onResponse', (request, reply, next) => {
    const t = traces.get(request)
    if (t?.owned) {
      t.span.setAttribute('http.response.status_code', reply.statusCode)
      if (reply.statusCode >= 500) t.span.setStatus({ code: SpanStatusCode.ERROR })
      t.span.end()
    }
    traces.delete(request)
    next()
  })

  app.addHook('onRequestAbort', (request, next) => {
    const t = traces.get(request)
    if (t?.owned) {
      t.span.setStatus({ code: SpanStatusCode.ERROR, message: 'client aborted the request' })
      t.span.end()
    }
    traces.delete(request)
    next()
  })

  done()
}

// fastify-plugin: the hooks must run for every route of the server.
export const requestContextPlugin = fp(requestContext, { name: '@orderflow/http/request-context', fastify: '5.x' })
