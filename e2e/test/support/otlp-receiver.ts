import { once } from 'node:events'
import { createServer, type IncomingMessage } from 'node:http'
import { promisify } from 'node:util'
import { gunzip } from 'node:zlib'

interface TestLike {
  teardown(fn: () => unknown): void
}

/** OpenTelemetry's span kinds as OTLP numbers them (SPAN_KIND_INTERNAL = 1 …). */
export const OtlpSpanKind = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const

export type AttributeValue = string | number | boolean

/** One span as received, with the resource and scope it came under. */
export interface ReceivedSpan {
  /** The resource's `service.name`. */
  readonly service: string
  /** The instrumentation scope (the tracer's name). */
  readonly scope: string
  readonly traceId: string
  readonly spanId: string
  /** Empty for a root span. */
  readonly parentSpanId: string
  readonly name: string
  readonly kind: number
  readonly attributes: Readonly<Record<string, AttributeValue>>
  readonly links: readonly { readonly traceId: string; readonly spanId: string }[]
  /** 0 unset, 1 ok, 2 error. */
  readonly statusCode: number
}

/** An OTLP/HTTP trace receiver, as a collector would be: `url` is what OTEL_EXPORTER_OTLP_TRACES_ENDPOINT names. */
export interface OtlpReceiver {
  readonly url: string
  /** Every span received so far, in arrival order. */
  readonly spans: readonly ReceivedSpan[]
}

// OTLP/JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding): ids are hex, enums numbers.
interface JsonAnyValue {
  stringValue?: string
  boolValue?: boolean
  intValue?: number | string
  doubleValue?: number
}
interface JsonKeyValue {
  key: string
  value?: JsonAnyValue
}
interface JsonSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  attributes?: JsonKeyValue[]
  links?: { traceId: string; spanId: string }[]
  status?: { code?: number }
}
interface JsonExportRequest {
  resourceSpans?: {
    resource?: { attributes?: JsonKeyValue[] }
    scopeSpans?: { scope?: { name?: string }; spans?: JsonSpan[] }[]
  }[]
}

function valueOf(v: JsonAnyValue | undefined): AttributeValue | undefined {
  if (!v) return undefined
  if (v.stringValue !== undefined) return v.stringValue
  if (v.boolValue !== undefined) return v.boolValue
  if (v.intValue !== undefined) return Number(v.intValue)
  return v.doubleValue
}

function attributesOf(list: readonly JsonKeyValue[] = []): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {}
  for (const { key, value } of list) {
    const v = valueOf(value)
    if (v !== undefined) out[key] = v
  }
  return out
}

/** The spans of one OTLP/JSON export request, flattened. */
export function spansOf(request: JsonExportRequest): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap((rs) => {
    const service = String(attributesOf(rs.resource?.attributes)['service.name'] ?? '')
    return (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((s) => ({
        service,
        scope: ss.scope?.name ?? '',
        traceId: s.traceId,
        spanId: s.spanId,
        parentSpanId: s.parentSpanId ?? '',
        name: s.name,
        kind: s.kind,
        attributes: attributesOf(s.attributes),
        links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
        statusCode: s.status?.code ?? 0,
      })),
    )
  })
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const body = Buffer.concat(chunks)
  return req.headers['content-encoding'] === 'gzip' ? promisify(gunzip)(body) : body
}

/**
 * A plain HTTP server taking `POST /v1/traces` in OTLP/JSON — what `@opentelemetry/exporter-trace-otlp-http`
 * sends (`application/json`). Protobuf is refused with 415, so an exporter switched to it fails
 * loudly rather than the test waiting for spans that never come.
 */
export async function startOtlpReceiver(t: TestLike): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = []
  const server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') return res.writeHead(404).end()
      if (!String(req.headers['content-type']).startsWith('application/json')) return res.writeHead(415).end()
      try {
        spans.push(...spansOf(JSON.parse((await bodyOf(req)).toString('utf8')) as JsonExportRequest))
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      } catch {
        res.writeHead(400).end()
      }
    })()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => {
    server.closeAllConnections()
    return new Promise((resolve) => server.close(resolve))
  })
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no TCP port')
  return { url: `http://127.0.0.1:${address.port}/v1/traces`, spans }
}
