import { randomUUID } from 'node:crypto'
import t from 'tap'
import { context, propagation, trace, TraceFlags } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { ContractViolationError } from '@orderflow/contracts'
import { captureTraceContext, enqueueEvents, OutboxMessage } from '@orderflow/db'
import { confirmedEvent, query, setupDatabase } from './fixtures/helpers.js'
import { Widget } from './fixtures/widget.entity.js'

const { url, orm } = await setupDatabase(t)

void t.test('a state change and its events commit together', async (t) => {
  const widgetId = randomUUID()
  const events = [confirmedEvent(widgetId), confirmedEvent(widgetId)]
  const returned = await orm.em.fork().transactional((em) => {
    em.create(Widget, { id: widgetId, name: 'sprocket' })
    return enqueueEvents(em, events)
  })
  t.same(
    returned.map((r) => ({ id: r.id, subject: r.subject, type: r.type, payload: r.payload })),
    events.map((e) => ({ id: e.id, subject: 'order.evt.saga.confirmed', type: e.type, payload: e })),
    'the rows are returned, for publishing after the commit',
  )
  const rows = await query<{ id: string; subject: string; type: string; payload: unknown; sent_at: Date | null; attempts: number }>(
    url,
    'select id, subject, type, payload, sent_at, attempts from outbox where id = any($1::uuid[]) order by seq',
    [events.map((e) => e.id)],
  )
  t.same(rows.map((r) => r.id), events.map((e) => e.id), 'in the order they were enqueued')
  t.equal(rows[0]?.subject, 'order.evt.saga.confirmed', 'the subject comes from the contract')
  t.equal(rows[0]?.type, 'orderflow.order.confirmed.v1')
  t.same(rows[0]?.payload, events[0], 'the whole CloudEvent is stored')
  t.equal(rows[0]?.sent_at, null)
  t.equal(rows[0]?.attempts, 0)
  t.equal((await query(url, 'select 1 from widget where id = $1', [widgetId])).length, 1)
})

void t.test('a failed transaction rolls back the state change and its events together', async (t) => {
  const widgetId = randomUUID()
  const event = confirmedEvent(widgetId)
  await t.rejects(
    orm.em.fork().transactional(async (em) => {
      em.create(Widget, { id: widgetId, name: 'doomed' })
      enqueueEvents(em, [event])
      await em.flush()
      throw new Error('business rule broken after the flush')
    }),
    { message: 'business rule broken after the flush' },
  )
  t.equal((await query(url, 'select 1 from widget where id = $1', [widgetId])).length, 0)
  t.equal((await query(url, 'select 1 from outbox where id = $1', [event.id])).length, 0)
})

void t.test('enqueueing one event twice fails the transaction (the id is the primary key)', async (t) => {
  const event = confirmedEvent()
  const em = orm.em.fork()
  enqueueEvents(em, [event])
  await em.flush()
  const again = orm.em.fork()
  enqueueEvents(again, [event])
  await t.rejects(again.flush(), { name: 'UniqueConstraintViolationException' })
})

void t.test('an event that breaks its contract is refused before anything is written', async (t) => {
  const widgetId = randomUUID()
  const bad = { ...confirmedEvent(widgetId), data: { orderId: 'not-a-uuid' } }
  const unknown = { ...confirmedEvent(widgetId), type: 'orderflow.order.teleported.v1' }
  for (const event of [bad, unknown]) {
    await t.rejects(
      orm.em.fork().transactional((em) => {
        em.create(Widget, { id: widgetId, name: 'never' })
        enqueueEvents(em, [event])
      }),
      ContractViolationError,
    )
  }
  t.equal((await query(url, 'select 1 from widget where id = $1', [widgetId])).length, 0)
})

void t.test('a subject can be chosen per event', async (t) => {
  const event = confirmedEvent()
  const em = orm.em.fork()
  enqueueEvents(em, [event], { subjectOf: (e) => `custom.${e.subject}` })
  await em.flush()
  const [row] = await query<{ subject: string }>(url, 'select subject from outbox where id = $1', [event.id])
  t.equal(row?.subject, `custom.${event.subject}`)
})

void t.test('the active trace context is captured as headers', async (t) => {
  const manager = new AsyncLocalStorageContextManager().enable()
  context.setGlobalContextManager(manager)
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  t.teardown(() => {
    context.disable()
    propagation.disable()
  })
  const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED }
  const event = confirmedEvent()
  await context.with(trace.setSpanContext(context.active(), spanContext), async () => {
    const em = orm.em.fork()
    enqueueEvents(em, [event])
    await em.flush()
  })
  const untraced = confirmedEvent()
  const em = orm.em.fork()
  enqueueEvents(em, [untraced])
  await em.flush()
  const rows = await query<{ id: string; headers: Record<string, string> }>(url, 'select id, headers from outbox where id = any($1::uuid[])', [
    [event.id, untraced.id],
  ])
  const byId = new Map(rows.map((r) => [r.id, r.headers]))
  t.same(byId.get(event.id), { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' })
  t.same(byId.get(untraced.id), {}, 'outside a trace there is nothing to carry')

  // Work done later (a scheduler) continues the trace it captured, whatever is active then.
  const captured = await context.with(trace.setSpanContext(context.active(), spanContext), () => Promise.resolve(captureTraceContext()))
  t.same(captured, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' })
  const later = confirmedEvent()
  const laterEm = orm.em.fork()
  enqueueEvents(laterEm, [later], { traceContext: captured })
  await laterEm.flush()
  const [row] = await query<{ headers: Record<string, string> }>(url, 'select headers from outbox where id = $1', [later.id])
  t.same(row?.headers, captured, 'a stored trace context is sent instead of the (empty) active one')
})

void t.test('the global EntityManager refuses work: fork one per request or message', (t) => {
  t.throws(() => orm.em.create(OutboxMessage, { id: randomUUID(), subject: 's', type: 't', payload: confirmedEvent(), headers: {} }), {
    name: 'ValidationError',
  })
  t.end()
})

void t.test('the outbox table has no trigger: nothing is notified on insert', async (t) => {
  // Committed rows are published by the process that wrote them; the relay only sweeps leftovers.
  const triggers = await query<{ tgname: string }>(url, `select tgname from pg_trigger where tgrelid = 'outbox'::regclass and not tgisinternal`)
  t.same(triggers, [])
})
