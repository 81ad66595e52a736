import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream'
import { connect, type NatsConnection, type Status } from '@nats-io/transport-node'
import type { Logger } from 'pino'
import { BusConnectError } from './messaging.errors.js'

export interface BusOptions {
  /** One URL, a comma-separated list or an array (the servers of a cluster). */
  readonly servers: string | readonly string[]
  /** Connection name the server shows in its monitoring, e.g. the service name. */
  readonly name: string
  readonly logger: Logger
  /** Pause between two reconnect attempts; attempts never stop. @default 2_000 */
  readonly reconnectTimeWaitMs?: number
  /** Time a JetStream API call or publish waits for its answer. @default 5_000 */
  readonly timeoutMs?: number
  /** The process's NATS user, where the server has users. @default none */
  readonly user?: string | undefined
  readonly pass?: string | undefined
}

/** One NATS connection of a process and its JetStream handles. */
export interface Bus {
  readonly nc: NatsConnection
  readonly js: JetStreamClient
  readonly jsm: JetStreamManager
  /** For readiness: connected now, not reconnecting, draining or closed. */
  isConnected(): boolean
  /** Drains (in-flight messages are delivered, subscriptions end) and closes; idempotent. */
  close(): Promise<void>
}

/**
 * Connects to NATS. The first connection must succeed (a process without its bus should not
 * start: it rejects with {@link BusConnectError}); afterwards the client reconnects for ever,
 * and each status change is logged so an outage is visible in the logs.
 */
export async function connectBus(opts: BusOptions): Promise<Bus> {
  const servers = typeof opts.servers === 'string' ? opts.servers.split(',').map((s) => s.trim()).filter(Boolean) : [...opts.servers]
  const log = opts.logger.child({ component: 'nats' })
  let nc: NatsConnection
  try {
    nc = await connect({
      servers,
      name: opts.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: opts.reconnectTimeWaitMs ?? 2_000,
      timeout: opts.timeoutMs ?? 5_000,
      // Otherwise every request, and so every JetStream publish and pull, builds an Error up
      // front to hold the caller's stack in case it fails: 6 % of the order service's CPU at
      // intake. A failed request still says what failed, without the caller's frames.
      noAsyncTraces: true,
      ...(opts.user === undefined ? {} : { user: opts.user, pass: opts.pass ?? '' }),
    })
  } catch (err) {
    throw new BusConnectError(servers, { cause: err })
  }
  let connected = true
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') connected = false
      if (s.type === 'reconnect') connected = true
      logStatus(log, s)
    }
  })()
  const js = jetstream(nc, { timeout: opts.timeoutMs ?? 5_000 })
  let jsm: JetStreamManager
  try {
    // Also checks that JetStream is enabled: a bus without it is as useless as no bus.
    jsm = await jetstreamManager(nc, { timeout: opts.timeoutMs ?? 5_000 })
  } catch (err) {
    await nc.close()
    throw new BusConnectError(servers, { cause: err })
  }
  log.info({ server: nc.getServer(), version: nc.info?.version }, 'connected to NATS')
  let closing: Promise<void> | undefined
  return {
    nc,
    js,
    jsm,
    isConnected: () => connected && !nc.isClosed() && !nc.isDraining(),
    close() {
      closing ??= (async () => {
        if (nc.isClosed()) return
        await nc.drain()
        log.info('NATS connection drained and closed')
      })()
      return closing
    },
  }
}

function logStatus(log: Logger, s: Status): void {
  switch (s.type) {
    case 'disconnect':
      log.warn({ server: s.server }, 'disconnected from NATS; reconnecting')
      break
    case 'reconnect':
      log.info({ server: s.server }, 'reconnected to NATS')
      break
    case 'error':
      log.error({ err: s.error }, 'NATS connection error')
      break
    case 'ldm':
      log.warn({ server: s.server }, 'NATS server entering lame duck mode')
      break
    case 'staleConnection':
    case 'slowConsumer':
    case 'forceReconnect':
      log.warn({ status: s.type }, 'NATS connection status')
      break
    case 'reconnecting':
    case 'update':
      log.debug({ status: s.type }, 'NATS connection status')
      break
    default:
      break
  }
}
