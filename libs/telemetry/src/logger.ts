import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino'
import { activeTraceIds } from './tracing.js'

export interface LoggerOptions {
  /** Added to every line as `service`. */
  serviceName: string
  /** @default info */
  level?: LevelWithSilent
  /** Where lines go. @default standard output */
  destination?: DestinationStream
}

/**
 * The process's JSON logger. Every line carries the service name and, inside a traced
 * operation (an HTTP request, a consumed message), its `trace_id` and `span_id`, so one order's
 * lines across services can be found by trace id.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const options = {
    level: opts.level ?? 'info',
    base: { service: opts.serviceName },
    timestamp: pino.stdTimeFunctions.isoTime,
    // A child that already carries the ids (the HTTP server binds them per request) keeps its own.
    mixin: (_merge: object, _level: number, logger: Logger) => ('trace_id' in logger.bindings() ? {} : activeTraceIds()),
    formatters: { level: (label: string) => ({ level: label }) },
  }
  return opts.destination ? pino(options, opts.destination) : pino(options)
}
