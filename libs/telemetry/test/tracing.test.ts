import { context, propagation, trace } from '@opentelemetry/api'
import t from 'tap'
import { createLogger, initTracing } from '@orderflow/telemetry'

function captureLines(): { lines: Record<string, unknown>[]; raw: string[]; destination: { write(s: string): void } } {
  const lines: Record<string, unknown>[] = []
  const raw: string[] = []
  return {
    lines,
    raw,
    destination: {
      write: (s: string) => {
        raw.push(s)
        lines.push(JSON.parse(s) as Record<string, unknown>)
      },
    },
  }
}

t.test('spans propagate as traceparent and stamp log lines with their ids', async (t) => {
  const tracing = initTracing({ serviceName: 'telemetry-test' })
  t.teardown(() => tracing.shutdown())
  const { lines, raw, destination } = captureLines()
  const logger = createLogger({ serviceName: 'telemetry-test', destination })

  logger.info('outside any span')
  await trace.getTracer('test').startActiveSpan('outer', async (span) => {
    const headers: Record<string, string> = {}
    propagation.inject(context.active(), headers)
    const { traceId, spanId } = span.spanContext()
    // No exporter: nothing is recorded, but the ids travel (flags 00: not sampled).
    t.equal(headers.traceparent, `00-${traceId}-${spanId}-00`)
    t.notOk(span.isRecording(), 'a span nobody exports is not recorded')

    const extracted = propagation.extract(context.active(), headers)
    t.equal(trace.getSpanContext(extracted)?.traceId, traceId, 'extracting restores the trace')

    await Promise.resolve() // the context survives an await
    logger.info('inside')
    t.match(lines.at(-1), { service: 'telemetry-test', level: 'info', trace_id: traceId, span_id: spanId, msg: 'inside' })
    logger.child({ trace_id: 'bound', span_id: 'bound' }).info('bound child')
    t.match(lines.at(-1), { trace_id: 'bound', span_id: 'bound', msg: 'bound child' }, 'ids bound on a child are kept')
    span.end()
  })
  t.notOk('trace_id' in (lines[0] ?? {}), 'no trace id outside a span')
  t.equal(raw.at(-1)?.match(/"trace_id"/g)?.length, 1, 'the key is written once')
})

t.test('with an exporter, spans are recorded and sampled', async (t) => {
  const tracing = initTracing({ serviceName: 'telemetry-test', otlpEndpoint: 'http://127.0.0.1:9/v1/traces' })
  t.teardown(() => tracing.shutdown().catch(() => undefined))
  trace.getTracer('test').startActiveSpan('recorded', (span) => {
    const headers: Record<string, string> = {}
    propagation.inject(context.active(), headers)
    t.ok(span.isRecording())
    t.match(headers.traceparent, /-01$/, 'sampled')
    span.end()
  })
})

t.test("without an exporter, a caller's sampled trace stays sampled", async (t) => {
  const tracing = initTracing({ serviceName: 'telemetry-test' })
  t.teardown(() => tracing.shutdown())
  const parent = propagation.extract(context.active(), { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' })
  const span = trace.getTracer('test').startSpan('child', {}, parent)
  const headers: Record<string, string> = {}
  propagation.inject(trace.setSpan(context.active(), span), headers)
  t.match(headers.traceparent, /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/)
  span.end()
})
