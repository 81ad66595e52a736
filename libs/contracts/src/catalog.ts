import { Compile, type Validator } from 'typebox/compile'
import type { Static, TProperties, TSchema } from 'typebox'
import { CloudEventEnvelope, type CloudEvent, type MessageDefinition } from './envelope.js'
import * as fulfillment from './events/fulfillment.events.js'
import * as inventory from './events/inventory.events.js'
import * as order from './events/order.events.js'
import * as payment from './events/payment.events.js'

function isDefinition(value: unknown): value is MessageDefinition {
  return typeof value === 'object' && value !== null && 'type' in value && 'subject' in value && 'stream' in value && 'data' in value
}

/** Every event and command of the platform, by CloudEvents type: whatever the event modules declare. */
export const catalog: ReadonlyMap<string, MessageDefinition> = new Map(
  [order, inventory, payment, fulfillment]
    .flatMap((module): unknown[] => Object.values(module))
    .flatMap((value) => (isDefinition(value) ? [[value.type, value] as const] : [])),
)

/** Finds the definition of a type, or `undefined` for a type this build does not know. */
export function findDefinition(type: string): MessageDefinition | undefined {
  return catalog.get(type)
}

/** One reason a message failed validation: where (a JSON pointer) and what. */
export interface ValidationIssue {
  readonly path: string
  readonly message: string
}

export type EventCheck =
  | { readonly ok: true; readonly event: CloudEvent; readonly definition: MessageDefinition }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] }

// Compiling a schema costs far more than checking with it: compile each once, on first use.
const compiled = new WeakMap<TSchema, Validator>()
function validatorFor(schema: TSchema): Validator {
  let v = compiled.get(schema)
  if (!v) {
    v = Compile(schema)
    compiled.set(schema, v)
  }
  return v
}

function issuesOf(v: Validator<TProperties, TSchema>, value: unknown, prefix = ''): ValidationIssue[] {
  return v.Errors(value).map((e) => ({ path: prefix + (e.instancePath || '/'), message: e.message }))
}

/**
 * Checks a decoded message: the CloudEvents envelope first, then `data` against the schema its
 * `type` names. An unknown type fails too: a consumer cannot act on what it cannot read.
 */
const envelope = Compile(CloudEventEnvelope)

export function checkEvent(value: unknown): EventCheck {
  if (!envelope.Check(value)) return { ok: false, issues: issuesOf(envelope, value) }
  const definition = catalog.get(value.type)
  if (!definition) return { ok: false, issues: [{ path: '/type', message: `unknown event type ${value.type}` }] }
  const data = validatorFor(definition.data)
  if (!data.Check(value.data)) return { ok: false, issues: issuesOf(data, value.data, '/data') }
  return { ok: true, event: value, definition }
}

/** Thrown by {@link assertEvent} for a message that does not match its contract. */
export class ContractViolationError extends Error {
  override readonly name = 'ContractViolationError'
  constructor(readonly issues: readonly ValidationIssue[]) {
    super(`message violates its contract: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`)
  }
}

/** Like {@link checkEvent}, but throws {@link ContractViolationError}. */
export function assertEvent(value: unknown): { event: CloudEvent; definition: MessageDefinition } {
  const result = checkEvent(value)
  if (!result.ok) throw new ContractViolationError(result.issues)
  return result
}

/**
 * Narrows an event that passed {@link checkEvent} to a definition's data type, by its `type`.
 * Only sound for checked events: the type alone says nothing about unchecked data.
 */
export function isEventOf<S extends TSchema>(definition: MessageDefinition<S>, event: CloudEvent): event is CloudEvent<Static<S>> {
  return event.type === definition.type
}
