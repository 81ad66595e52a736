import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import fp from 'fastify-plugin'
import type { ConnectionError, FastifyInstance, FastifyPluginCallback } from 'fastify'
import { HttpErrors } from './errors.js'
import { PROBLEM_CONTENT_TYPE, type ProblemError } from './problem.js'

function problemFor(error: ConnectionError): ProblemError {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return HttpErrors.REQUEST_TIMEOUT({ detail: 'The request was not received in time; the connection is closed.', cause: error })
    case 'HPE_HEADER_OVERFLOW':
      return HttpErrors.HEADERS_TOO_LARGE({ detail: 'The request headers are too large.', cause: error })
    default:
      return HttpErrors.BAD_REQUEST({ detail: 'The request is not valid HTTP.', cause: error })
  }
}

/**
 * Fastify's `clientErrorHandler`: answers what fails before there is a request to route — a
 * client too slow with its headers or body (Node's `headersTimeout` and `requestTimeout`),
 * headers over Node's limit, bytes that are not HTTP — with a problem document like every other
 * error, then closes the socket: a request cut short cannot be read any further. (Fastify's own
 * handler sends a body of another shape.)
 */
export function answerClientError(this: FastifyInstance, error: ConnectionError, socket: Socket): void {
  // A reset connection has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const problem = problemFor(error)
  this.log.info({ code: problem.code, status: problem.status, reason: error.code }, problem.detail ?? problem.title)
  if (socket.writable) {
    const body = JSON.stringify(problem.toProblem())
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? problem.title}\r\n` +
        `Connection: close\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    )
  }
  socket.destroy(error)
}

/**
 * A request answered before all of it arrived — a 401 from the token check, a 413 or 415 before
 * the body is read — closes its connection after the answer. Kept alive, the connection would
 * wait for a body nobody reads, and a client that never sends it would get a second answer, a
 * 408, on the same request once the request timeout ran out.
 */
const slowClients: FastifyPluginCallback = (app, _opts, done) => {
  app.addHook('onSend', (request, reply, payload, next) => {
    // `complete` is false only on a real socket whose request has not fully arrived.
    if (request.raw.complete === false) void reply.header('connection', 'close')
    next(null, payload)
  })
  done()
}

// fastify-plugin: the hook must run for every route of the server.
export const slowClientsPlugin = fp(slowClients, { name: '@orderflow/http/slow-clients', fastify: '5.x' })
