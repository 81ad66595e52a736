import t from 'tap'
import Type from 'typebox'
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import type { Plugin } from '@orderflow/http'
import { buildTestServer, json } from './fixtures.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

void t.test('x-request-id is honoured, echoed and logged; a missing or unreasonable one is replaced', async (t) => {
  const { app, logs } = buildTestServer()
  t.teardown(() => app.close())

  const given = await app.inject({ method: 'GET', url: '/v1/things/a', headers: { 'x-request-id': 'edge-7f3a:01' } })
  t.equal(given.headers['x-request-id'], 'edge-7f3a:01')
  const lines = logs.filter((l) => l.reqId === 'edge-7f3a:01')
  t.equal(lines.length, 1, 'one line per request')
  t.match(lines[0], { msg: 'request completed', req: { method: 'GET', url: '/v1/things/a' }, res: { statusCode: 200 }, responseTime: Number }, 'it says what was asked, the answer and its time')

  const generated = await app.inject({ method: 'GET', url: '/v1/things/a' })
  t.match(generated.headers['x-request-id'], UUID)

  for (const bad of ['x'.repeat(129), 'a b', 'id\u0007', '<script>']) {
    const res = await app.inject({ method: 'GET', url: '/v1/things/a', headers: { 'x-request-id': bad } })
    t.match(res.headers['x-request-id'], UUID, JSON.stringify(bad))
  }

  const failed = await app.inject({ method: 'POST', url: '/v1/widgets', headers: { 'x-request-id': 'req-415' }, payload: 'x' })
  t.equal(failed.headers['x-request-id'], 'req-415', 'echoed on errors')
  t.equal(json(failed).requestId, 'req-415')
})

void t.test('each request runs in a server span continuing the caller trace, and its logs carry the ids', async (t) => {
  const exporter = new InMemorySpanExporter()
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] })
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  trace.setGlobalTracerProvider(provider)
  t.teardown(async () => {
    await provider.shutdown()
    trace.disable()
    propagation.disable()
    context.disable()
  })

  const { app, logs } = buildTestServer()
   
  const traced: Plugin = async (api) => {
    // Reports the span active in the handler, after the body has been read.
    api.post('/traced/:id', { schema: { params: Type.Object({ id: Type.String() }), body: Type.Object({ n: Type.Integer() }) } }, async (request) => {
      await new Promise((resolve) => setTimeout(resolve, 5))
      request.log.info('in handler')
      return { traceId: trace.getActiveSpan()?.spanContext().traceId, spanId: trace.getActiveSpan()?.spanContext().spanId }
    })
  }
  void app.register(traced)
  t.teardown(() => app.close())

  const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736'
  const res = await app.inject({
    method: 'POST',
    url: '/traced/x1',
    headers: { traceparent: `00-${callerTrace}-00f067aa0ba902b7-01`, 'x-request-id': 'traced-1' },
    payload: { n: 1 },
  })
  t.equal(res.statusCode, 200)
  const active = json(res)
  t.equal(active.traceId, callerTrace, 'the handler runs inside the caller trace')

  const [span] = exporter.getFinishedSpans()
  t.ok(span, 'the span ended with the response')
  t.equal(span?.name, 'POST /traced/:id')
  t.equal(span?.kind, SpanKind.SERVER)
  t.equal(span?.spanContext().spanId, active.spanId, 'the active span is the request span')
  t.equal(span?.parentSpanContext?.spanId, '00f067aa0ba902b7')
  t.match(span?.attributes, { 'http.request.method': 'POST', 'http.route': '/traced/:id', 'url.path': '/traced/x1', 'http.response.status_code': 200 })

  const handlerLine = logs.find((l) => l.msg === 'in handler')
  t.match(handlerLine, { reqId: 'traced-1', trace_id: callerTrace, span_id: active.spanId })
  t.match(logs.find((l) => l.msg === 'request completed' && l.reqId === 'traced-1'), { trace_id: callerTrace })

  exporter.reset()
  const fresh = await app.inject({ method: 'GET', url: '/v1/boom' })
  t.equal(fresh.statusCode, 500)
  const [failed] = exporter.getFinishedSpans()
  t.equal(failed?.name, 'GET /v1/boom')
  t.equal(failed?.status.code, SpanStatusCode.ERROR, 'a 5xx marks the span as failed')
  t.not(failed?.spanContext().traceId, callerTrace, 'without traceparent a new trace starts')
  t.match(logs.find((l) => l.msg === 'request failed'), { trace_id: failed?.spanContext().traceId })

  exporter.reset()
  await app.inject({ method: 'GET', url: '/nowhere' })
  t.equal(exporter.getFinishedSpans()[0]?.name, 'GET', 'an unmatched request is named by its method only')

  // An HTTP instrumentation around the server already made a span: it is used, not duplicated.
  exporter.reset()
  const outer = await trace.getTracer('test').startActiveSpan('instrumentation span', async (span) => {
    const res = await app.inject({ method: 'POST', url: '/traced/x2', payload: { n: 2 } })
    span.end()
    return { res: json(res), spanId: span.spanContext().spanId }
  })
  t.equal(outer.res.spanId, outer.spanId, 'the handler runs in the outer span')
  t.same(
    exporter.getFinishedSpans().map((s) => s.name),
    ['instrumentation span'],
    'no second server span',
  )
})
