import { context, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { AlwaysOffSampler, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace'

export interface TracingOptions {
  /** `service.name` of every span, e.g. `order`. */
  serviceName: string
  /**
   * OTLP/HTTP traces endpoint (e.g. `http://otel-collector:4318/v1/traces`). Without one, new
   * traces are not recorded (nothing would read them), but each span still gets its ids, so trace
   * ids propagate over NATS and appear in logs at the cost of an id, not of a span.
   */
  otlpEndpoint?: string | undefined
  /** Share of new traces that are sampled for export; a caller's decision is kept. @default 1 */
  sampleRatio?: number
}

export interface Tracing {
  /** Flushes and stops exporting; call last during shutdown. */
  shutdown(): Promise<void>
}

/**
 * Installs the OpenTelemetry SDK for this process: an AsyncLocalStorage context manager (so the
 * active span follows async calls), the W3C `traceparent` propagator (so NATS headers and HTTP
 * requests carry the trace) and a tracer provider. The `@opentelemetry/api` calls in the libs do
 * nothing until this has run, which keeps the libs free of SDK choices.
 */
export function initTracing(opts: TracingOptions): Tracing {
  const contextManager = new AsyncLocalStorageContextManager().enable()
  context.setGlobalContextManager(contextManager)
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': opts.serviceName }),
    // With no exporter a recorded span is built (attributes, events, timing) only to be dropped:
    // 17 deliveries and their spans per order. So new traces are not recorded, which keeps their
    // ids (logs and traceparent headers still carry each order's trace); a caller's decision to
    // sample is still honoured and passed on, for the services downstream that do export.
    sampler: new ParentBasedSampler({ root: opts.otlpEndpoint ? new TraceIdRatioBasedSampler(opts.sampleRatio ?? 1) : new AlwaysOffSampler() }),
    spanProcessors: opts.otlpEndpoint ? [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: opts.otlpEndpoint }) })] : [],
  })
  trace.setGlobalTracerProvider(provider)
  return {
    async shutdown() {
      await provider.shutdown()
      trace.disable()
      propagation.disable()
      context.disable()
    },
  }
}

/** The ids of the active span, for log lines; empty when there is none. */
export function activeTraceIds(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan()
  if (!span) return {}
  const { traceId, spanId } = span.spanContext()
  return { trace_id: traceId, span_id: spanId }
}
