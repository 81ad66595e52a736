/**
 * Whether an error means a service the request needs — PostgreSQL, most often — could not be
 * reached or went away mid-request, rather than that the request or our code is wrong. Such a
 * request is worth retrying shortly (503 with Retry-After), and is not a bug to page anyone
 * about (500). Looks through `cause` chains: ORMs and pools wrap the driver's error.
 */
export function isUnavailableDependency(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, name, message } = e as { code?: unknown; name?: unknown; message?: unknown }
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true
    if (name === 'ConnectionException') return true // MikroORM's wrapper of a lost connection
    if (typeof message === 'string' && LOST_CONNECTION.test(message)) return true
  }
  return false
}

/** The socket errors of a server that is down, restarting or unreachable. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'])

/**
 * SQLSTATE class 08 (connection exception) and 57P01–57P03 (the server shutting down, crashed
 * or still starting). Not 57014 (a statement cancelled) or 57P04: those are not outages.
 */
const UNAVAILABLE_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[123])$/

/** What `pg` says, with no code, when the server closes the connection or none can be had in time. */
const LOST_CONNECTION = /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect)/
