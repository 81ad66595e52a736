import type { FastifySchemaValidationError } from 'fastify'
import { HttpErrors } from './errors.js'
import type { FieldError, ProblemError } from './problem.js'

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/**
 * Turns schema validation errors into readable field paths in JavaScript notation, prefixed by
 * the request part: `/items/0/quantity` in the body becomes `body.items[0].quantity`. A missing
 * required property is named itself (`body.customerId`), not its parent object.
 */
export function fieldErrors(context: string | undefined, errors: readonly FastifySchemaValidationError[]): FieldError[] {
  return errors.map((error) => {
    const segments = pointerSegments(error.instancePath)
    let message = error.message ?? 'is invalid'
    const params: Record<string, unknown> = error.params
    if (error.keyword === 'required' && typeof params.missingProperty === 'string') {
      segments.push(params.missingProperty)
      message = 'is required'
    } else if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
      segments.push(params.additionalProperty)
      message = 'is not allowed'
    }
    return { field: fieldPath(context ?? 'request', segments), message }
  })
}

function pointerSegments(pointer: string): string[] {
  if (pointer === '') return []
  // RFC 6901: `~1` is `/` and `~0` is `~`, unescaped in that order.
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
}

/** `('body', ['items', '0', 'sku'])` → `body.items[0].sku`, the notation of a problem's `errors`. */
export function fieldPath(root: string, segments: readonly string[]): string {
  let path = root
  for (const segment of segments) {
    if (/^\d+$/.test(segment)) path += `[${segment}]`
    else if (IDENTIFIER.test(segment)) path += `.${segment}`
    else path += `[${JSON.stringify(segment)}]`
  }
  return path
}

/** The 400 `VALIDATION_FAILED` problem listing `errors`, whoever found them (Ajv or a rule of ours). */
export function validationFailed(errors: readonly FieldError[], cause?: unknown): ProblemError {
  return HttpErrors.VALIDATION_FAILED({
    detail: `${errors.length} invalid field${errors.length === 1 ? '' : 's'}: ${errors.map((e) => e.field).join(', ')}`,
    extra: { errors },
    cause,
  })
}
