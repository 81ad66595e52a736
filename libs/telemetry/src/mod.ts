/**
 * @orderflow/telemetry — process-wide tracing set-up (OpenTelemetry SDK, W3C propagation,
 * optional OTLP export) and the JSON logger that stamps trace ids on every line.
 */
export { activeTraceIds, initTracing } from './tracing.js'
export type { Tracing, TracingOptions } from './tracing.js'
export { createLogger } from './logger.js'
export type { LoggerOptions } from './logger.js'
