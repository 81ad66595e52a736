import pg from 'pg'
import type { Logger } from 'pino'

export interface NotificationListenerOptions {
  url: string
  channel: string
  /** Called on every notification, and after each reconnection (notifications may have been missed). */
  onNotify: () => void
  logger: Logger
  /** First delay before reconnecting; doubles up to `maxReconnectDelayMs`. */
  reconnectDelayMs: number
  maxReconnectDelayMs: number
}

/**
 * A dedicated connection LISTENing on one channel. LISTEN binds to a session, so it cannot share
 * a pool; when the connection drops it reconnects with backoff and signals a wake-up, since
 * whatever was notified meanwhile is lost.
 */
export class NotificationListener {
  #client: pg.Client | undefined
  #closed = false
  #timer: NodeJS.Timeout | undefined
  #delay: number

  constructor(private readonly options: NotificationListenerOptions) {
    this.#delay = options.reconnectDelayMs
  }

  /** Connects and LISTENs; rejects if the first connection fails (a start-up should fail fast). */
  async start(): Promise<void> {
    await this.#connect()
  }

  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    const client = this.#client
    this.#client = undefined
    await client?.end().catch(() => undefined)
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.url, application_name: 'orderflow-outbox-listener' })
    // Without a listener an 'error' event on an idle client would crash the process.
    client.on('error', (error) => this.#lost(client, error))
    client.on('end', () => this.#lost(client))
    client.on('notification', (msg) => {
      if (msg.channel === this.options.channel) this.options.onNotify()
    })
    try {
      await client.connect()
      await client.query(`listen "${this.options.channel.replace(/"/g, '""')}"`)
    } catch (error) {
      client.removeAllListeners('end')
      await client.end().catch(() => undefined)
      throw error
    }
    if (this.#closed) {
      await client.end().catch(() => undefined)
      return
    }
    this.#client = client
    this.#delay = this.options.reconnectDelayMs
  }

  #lost(client: pg.Client, error?: Error): void {
    if (this.#closed || this.#client !== client) return
    this.#client = undefined
    client.removeAllListeners('end')
    client.end().catch(() => undefined)
    this.options.logger.warn({ err: error }, 'outbox listener connection lost; reconnecting')
    this.#scheduleReconnect()
  }

  #scheduleReconnect(): void {
    if (this.#closed) return
    const delay = this.#delay
    this.#delay = Math.min(this.#delay * 2, this.options.maxReconnectDelayMs)
    this.#timer = setTimeout(() => {
      this.#connect().then(
        () => {
          if (this.#closed) return
          this.options.logger.info('outbox listener reconnected')
          this.options.onNotify()
        },
        (error: unknown) => {
          this.options.logger.warn({ err: error }, 'outbox listener reconnection failed; retrying')
          this.#scheduleReconnect()
        },
      )
    }, delay)
  }
}
