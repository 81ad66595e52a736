import Type from 'typebox'
import { defineErrors, problemResponse, requireRoles, type Plugin } from '@orderflow/http'
import { DeadLetterNotFoundError, deadLetterView, type DeadLetters } from '@orderflow/messaging'

export const DeadLetterErrors = defineErrors({
  DEAD_LETTER_NOT_FOUND: { status: 404, title: 'Dead letter not found' },
  PURGE_NEEDS_CONFIRMATION: { status: 400, title: 'Purging every dead letter needs ?all=true' },
})

const Origin = Type.Object({
  subject: Type.String(),
  stream: Type.String(),
  seq: Type.Integer(),
  consumer: Type.String(),
  deliveries: Type.Integer(),
})
const Summary = Type.Object({
  seq: Type.Integer(),
  time: Type.String({ format: 'date-time' }),
  reason: Type.String(),
  error: Type.String(),
  origin: Origin,
  eventId: Type.Union([Type.String(), Type.Null()]),
  type: Type.Union([Type.String(), Type.Null()]),
  missing: Type.Boolean(),
})
const Full = Type.Object({
  ...Summary.properties,
  body: Type.Unknown(),
  encoding: Type.Enum(['json', 'base64'] as const),
  headers: Type.Record(Type.String(), Type.String()),
})
// Stream sequences are read as JavaScript numbers: one past the exact integers would reach NATS
// rounded (or as 1e+20) and fail there, so it is refused as a malformed sequence instead.
const Seq = { maximum: Number.MAX_SAFE_INTEGER }
const SeqParams = Type.Object({ seq: Type.Integer({ minimum: 1, ...Seq }) })
const ListQuery = Type.Object(
  { limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }), after: Type.Integer({ minimum: 0, default: 0, ...Seq }) },
  { additionalProperties: false },
)
const notFound = (seq: number) => DeadLetterErrors.DEAD_LETTER_NOT_FOUND({ detail: `There is no dead letter ${seq}.`, extra: { seq } })
const role = requireRoles('ops:dlq')

/**
 * The operators' dead-letter API (role `ops:dlq`): list, inspect, replay (to the original subject,
 * with the original event id in the body, so consumers' inboxes still deduplicate) and purge.
 */
export const deadLetterRoutes: Plugin<{ deadLetters: DeadLetters }> = async (app, { deadLetters }) => {
  app.get(
    '/dead-letters',
    {
      onRequest: role,
      schema: {
        summary: 'List dead letters, oldest first',
        tags: ['operations'],
        querystring: ListQuery,
        response: {
          200: Type.Object({
            items: Type.Array(Summary),
            nextCursor: Type.Union([Type.Integer(), Type.Null()], { description: 'Pass as `after` for the next page; null on the last page' }),
          }),
        },
      },
    },
    async (request) => {
      const items = await deadLetters.list({ limit: request.query.limit, afterSeq: request.query.after })
      const last = items.at(-1)
      return { items: items.map((d) => deadLetterView(d)), nextCursor: items.length === request.query.limit && last ? last.seq : null }
    },
  )

  app.get(
    '/dead-letters/:seq',
    {
      onRequest: role,
      schema: { summary: 'A dead letter with its body and headers', tags: ['operations'], params: SeqParams, response: { 200: Full, 404: problemResponse('No such dead letter') } },
    },
    async (request) => {
      const dl = await deadLetters.get(request.params.seq)
      if (!dl) throw notFound(request.params.seq)
      const view = deadLetterView(dl, { full: true })
      return { ...view, body: view.body, encoding: view.encoding ?? 'json', headers: view.headers ?? {} }
    },
  )

  app.post(
    '/dead-letters/:seq/replay',
    {
      onRequest: role,
      schema: {
        summary: 'Publish a dead letter again to its original subject, then remove it',
        tags: ['operations'],
        params: SeqParams,
        response: {
          202: Type.Object({ subject: Type.String(), stream: Type.String(), seq: Type.Integer(), eventId: Type.Union([Type.String(), Type.Null()]) }),
          404: problemResponse('No such dead letter'),
        },
      },
    },
    async (request, reply) => {
      try {
        const r = await deadLetters.replay(request.params.seq)
        return reply.code(202).send({ subject: r.subject, stream: r.stream, seq: r.seq, eventId: r.eventId ?? null })
      } catch (error) {
        if (error instanceof DeadLetterNotFoundError) throw notFound(request.params.seq)
        throw error
      }
    },
  )

  app.delete(
    '/dead-letters/:seq',
    { onRequest: role, schema: { summary: 'Remove one dead letter', tags: ['operations'], params: SeqParams, response: { 204: Type.Null(), 404: problemResponse('No such dead letter') } } },
    async (request, reply) => {
      if ((await deadLetters.purge(request.params.seq)) === 0) throw notFound(request.params.seq)
      return reply.code(204).send(null)
    },
  )

  app.delete(
    '/dead-letters',
    {
      onRequest: role,
      schema: {
        summary: 'Remove every dead letter',
        tags: ['operations'],
        querystring: Type.Object({ all: Type.Optional(Type.Boolean()) }),
        response: { 200: Type.Object({ purged: Type.Integer() }), 400: problemResponse('Missing ?all=true') },
      },
    },
    async (request) => {
      if (request.query.all !== true) throw DeadLetterErrors.PURGE_NEEDS_CONFIRMATION()
      return { purged: await deadLetters.purge() }
    },
  )
}
