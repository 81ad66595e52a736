import type { LogContext, Logger as OrmLogger, LoggerNamespace, LoggerOptions } from '@mikro-orm/core'
import type { Logger } from 'pino'

/**
 * MikroORM's logger interface over the service's pino logger, so ORM output is JSON lines with the
 * same trace ids as everything else instead of coloured console text.
 */
export class PinoOrmLogger implements OrmLogger {
  #debugMode: boolean | LoggerNamespace[]

  constructor(
    private readonly logger: Logger,
    options: Pick<LoggerOptions, 'debugMode'>,
  ) {
    this.#debugMode = options.debugMode ?? false
  }

  log(namespace: string, message: string, context?: LogContext): void {
    if (!this.isEnabled(namespace as LoggerNamespace, context)) return
    const fields = { namespace, ...(context?.label ? { label: context.label } : {}) }
    const text = message.replace(/\s+/g, ' ').trim()
    if (context?.level === 'error') this.logger.error(fields, text)
    else if (context?.level === 'warning') this.logger.warn(fields, text)
    else this.logger.debug(fields, text)
  }

  error(namespace: string, message: string, context?: LogContext): void {
    this.log(namespace, message, { ...context, level: 'error', enabled: true })
  }

  warn(namespace: string, message: string, context?: LogContext): void {
    this.log(namespace, message, { ...context, level: 'warning', enabled: true })
  }

  logQuery(context: LogContext & { query: string }): void {
    const namespace = context.namespace ?? 'query'
    if (!this.isEnabled(namespace, context)) return
    const fields = { namespace, took_ms: context.took, results: context.results, affected: context.affected }
    // Slow queries arrive here with `enabled: true` whatever the debug mode: worth a warning.
    if (namespace === 'slow-query') this.logger.warn(fields, context.query)
    else this.logger.debug(fields, context.query)
  }

  setDebugMode(debugMode: boolean | LoggerNamespace[]): void {
    this.#debugMode = debugMode
  }

  isEnabled(namespace: LoggerNamespace, context?: LogContext): boolean {
    if (context?.enabled !== undefined) return context.enabled
    const mode = context?.debugMode ?? this.#debugMode
    return Array.isArray(mode) ? mode.includes(namespace) : mode
  }
}
