import type { FastifySchemaValidationError } from 'fastify'
import type { FieldError } from './problem.js'

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
    return { field: toPath(context ?? 'request', segments), message }
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

function toPath(root: string, segments: readonly string[]): string {
  let path = root
  for (const segment of segments) {
    if (/^\d+$/.test(segment)) path += `[${segment}]`
    else if (IDENTIFIER.test(segment)) path += `.${segment}`
    else path += `[${JSON.stringify(segment)}]`
  }
  return path
}
