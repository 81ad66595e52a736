import { STATUS_CODES } from 'node:http'
import fp from 'fastify-plugin'
import type { FastifyPluginCallback, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify'
import { HttpErrors } from './errors.js'
import { isProblemError, PROBLEM_CONTENT_TYPE, ProblemError } from './problem.js'
import { isUnavailableDependency } from './unavailable.js'
import { fieldErrors, validationFailed } from './validation.js'

/** Stable codes for 4xx errors raised by Fastify or a plugin without a code of ours. */
const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  431: 'HEADERS_TOO_LARGE',
  429: 'RATE_LIMITED',
}

interface ErrorLike {
  code?: unknown
  statusCode?: unknown
  message?: unknown
  validation?: unknown
  validationContext?: unknown
}

/** Fastify's validation errors are Ajv-shaped: keyword, instancePath, params, message. */
function isValidationList(value: unknown): value is FastifySchemaValidationError[] {
  return (
    Array.isArray(value) &&
    value.every((e: unknown) => typeof e === 'object' && e !== null && 'instancePath' in e && typeof e.instancePath === 'string')
  )
}

function isErrorLike(error: unknown): error is ErrorLike {
  return typeof error === 'object' && error !== null
}

/**
 * Maps anything a route, hook or Fastify itself throws to a problem. Client errors (4xx) keep
 * their message as `detail`, because Fastify and its plugins word them for clients; anything
 * else becomes `INTERNAL` with a fixed detail, the original kept only as `cause` for the log.
 */
export function toProblemError(error: unknown, request: FastifyRequest): ProblemError {
  if (isProblemError(error)) return error
  if (!isErrorLike(error)) return HttpErrors.INTERNAL({ detail: INTERNAL_DETAIL, cause: error })

  if (isValidationList(error.validation)) {
    const validation = error.validation
    const context = typeof error.validationContext === 'string' ? error.validationContext : undefined
    return validationFailed(fieldErrors(context, validation), error)
  }

  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return HttpErrors.PAYLOAD_TOO_LARGE({ detail: `The request body exceeds ${request.routeOptions.bodyLimit} bytes.`, cause: error })
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return HttpErrors.UNSUPPORTED_MEDIA_TYPE({
        detail: `Request bodies must be application/json, not ${request.headers['content-type'] ?? 'untyped'}.`,
        cause: error,
      })
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return HttpErrors.MALFORMED_JSON({ detail: 'The request body is not valid JSON.', cause: error })
  }

  const status = typeof error.statusCode === 'number' ? error.statusCode : 500
  if (status >= 400 && status < 500) {
    const code = CODE_BY_STATUS[status] ?? `HTTP_${status}`
    const detail = typeof error.message === 'string' && error.message !== '' ? error.message : undefined
    return new ProblemError(code, { status, title: STATUS_CODES[status] ?? 'Client error' }, { detail, cause: error })
  }
  if (isUnavailableDependency(error)) {
    return HttpErrors.UNAVAILABLE({ detail: UNAVAILABLE_DETAIL, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) }, cause: error })
  }
  return HttpErrors.INTERNAL({ detail: INTERNAL_DETAIL, cause: error })
}

const INTERNAL_DETAIL = 'The server failed to handle the request; quote the requestId when reporting it.'
const UNAVAILABLE_DETAIL = 'A service this request needs is unavailable for the moment. Retry shortly (a POST with the same Idempotency-Key).'
/** A database restart or failover takes seconds; clients that honour Retry-After come back after it. */
const RETRY_AFTER_SECONDS = 2

/** Sends `problem` as `application/problem+json`, logging it at a level matching its cause. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: ProblemError): void {
  if (problem.code === 'INTERNAL') {
    // The only place an unexpected error's message and stack go: the log, with the request id.
    request.log.error({ err: problem.cause, code: problem.code }, 'request failed')
  } else if (problem.status >= 500) {
    request.log.warn({ err: problem.cause, code: problem.code }, problem.detail ?? problem.title)
  } else {
    request.log.info({ code: problem.code, status: problem.status }, problem.detail ?? problem.title)
  }
  const instance = request.url.split('?', 1)[0]
  void reply
    .code(problem.status)
    .headers(problem.headers)
    .header('x-request-id', request.id)
    .type(PROBLEM_CONTENT_TYPE)
    .send(problem.toProblem({ ...(instance === undefined ? {} : { instance }), requestId: request.id }))
}

const errorHandler: FastifyPluginCallback = (app, _opts, done) => {
  app.setErrorHandler((error, request, reply) => {
    sendProblem(request, reply, toProblemError(error, request))
  })
  app.setNotFoundHandler((request, reply) => {
    sendProblem(request, reply, HttpErrors.NOT_FOUND(`No route for ${request.method} ${request.url.split('?', 1)[0]}.`))
  })
  done()
}

// fastify-plugin: the handlers must cover every route of the server, not just this plugin's.
export const errorHandlerPlugin = fp(errorHandler, { name: '@orderflow/http/errors', fastify: '5.x' })
