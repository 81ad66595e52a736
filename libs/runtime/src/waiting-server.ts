import { once } from 'node:events'
import { createServer, type ServerResponse } from 'node:http'
import { HttpErrors, PROBLEM_CONTENT_TYPE } from '@orderflow/http'

/** Seconds a client is asked to wait before trying again: about the longest pause between two attempts. */
const RETRY_AFTER_SECONDS = 10

/** The service's port while it waits for its dependencies: alive, not ready, saying why. */
export interface WaitingServer {
  /** What `/readyz` names as missing from now on. */
  setWaitingFor(reason: string): void
  /** Stops listening and ends open connections (a kubelet's keep-alive one), so the real server can take the port. */
  close(): Promise<void>
}

export interface WaitingServerOptions {
  host: string
  port: number
  /** What `/readyz` says before the first attempt has failed. */
  waitingFor: string
}

/**
 * Listens on the service's port before its API can: `GET /livez` answers 200 (the process is
 * fine and must not be restarted), `GET /readyz` 503 with `{ status: 'starting', waitingFor }`,
 * everything else (the API, `/metrics`) 503 `UNAVAILABLE` with `Retry-After`. A plain node:http
 * server: it must start in milliseconds and hold nothing the real server needs.
 *
 * `waitingFor` may name a host and port. It is shown anyway: while not ready the pod gets no
 * traffic through its Service, so only the kubelet and an operator reach it, and they need it.
 */
export async function startWaitingServer(opts: WaitingServerOptions): Promise<WaitingServer> {
  let waitingFor = opts.waitingFor
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    if (path === '/livez') return send(res, 200, 'application/json', { status: 'ok' })
    if (path === '/readyz') return send(res, 503, 'application/json', { status: 'starting', waitingFor })
    const problem = HttpErrors.UNAVAILABLE({ detail: 'The service is starting: it waits for its database or NATS.' }).toProblem({ instance: path })
    res.setHeader('retry-after', String(RETRY_AFTER_SECONDS))
    send(res, 503, PROBLEM_CONTENT_TYPE, problem)
  })
  server.listen(opts.port, opts.host)
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error as Error))])
  return {
    setWaitingFor(reason) {
      waitingFor = reason
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await closed
    },
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' })
  res.end(text)
}
