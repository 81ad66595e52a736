import { randomUUID } from 'node:crypto'
import t from 'tap'
import { sql } from 'kysely'
import { claimStatement, inTransaction, outboxCte, outboxRows, runBatchTransaction, type OutboxRow } from '@orderflow/db'
import { confirmedEvent, eventually, query, queryBlocking, recordingDb, setupDatabase, sqlDb } from './fixtures/helpers.js'

const { url, orm } = await setupDatabase(t)
const db = sqlDb(orm)

async function widget(name = 'widget'): Promise<string> {
  const id = randomUUID()
  await query(url, 'insert into widget (id, name) values ($1, $2)', [id, name])
  return id
}

async function inboxOf(consumer: string): Promise<string[]> {
  return (await query<{ event_id: string }>(url, 'select event_id from inbox where consumer = $1 order by event_id', [consumer])).map((r) => r.event_id)
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

void t.test('statement one records the batch in the inbox and locks what it loads, in one statement, until the commit', async (t) => {
  const id = await widget('as made')
  const eventIds = [randomUUID(), randomUUID()]
  const recorded = recordingDb(db)
  const claimed = deferred()
  const release = deferred()
  let seen: { fresh: boolean[]; rows: unknown[]; inboxInside: number; statements: number } | undefined
  const first = runBatchTransaction({ db: recorded.db, consumer: 'lock-first', eventIds }, async (tx) => {
    const before = recorded.statements.length
    const { isNew, rows } = await tx.claim<{ id: string; name: string }>(sql`select id, name from widget where id = ${id} order by id for update`)
    const statements = recorded.statements.length - before
    const inside = await sql<{ n: number }>`select count(*)::int as n from inbox where consumer = 'lock-first'`.execute(tx.db)
    seen = { fresh: eventIds.map(isNew), rows, inboxInside: inside.rows[0]?.n ?? -1, statements }
    claimed.resolve()
    await release.promise
    await sql`update widget set name = 'changed by the first' where id = ${id}`.execute(tx.db)
  })
  await claimed.promise
  t.same(seen, { fresh: [true, true], rows: [{ id, name: 'as made' }], inboxInside: 2, statements: 1 }, 'both new, the row loaded, the inbox written: one statement')
  t.same(await inboxOf('lock-first'), [], 'nothing is visible outside before the commit')

  let secondSaw: string | undefined
  const second = runBatchTransaction({ db, consumer: 'lock-second', eventIds: [randomUUID()] }, async (tx) => {
    const { rows } = await tx.claim<{ name: string }>(sql`select name from widget where id = ${id} for update`)
    secondSaw = rows[0]?.name
  })
  t.ok(
    await eventually(async () => {
      const [waiting] = await query<{ n: number }>(url, `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)
      return waiting?.n === 1
    }, 5_000),
    'a second transaction locking the same row waits for the lock',
  )
  t.equal(secondSaw, undefined, 'its claim has not returned')
  release.resolve()
  await Promise.all([first, second])
  t.equal(secondSaw, 'changed by the first', 'it went on after the commit, and read the row as the first left it')
  t.same(await inboxOf('lock-first'), [...eventIds].sort())
})

void t.test('an event this consumer recorded before is not new, whatever the case of its id; other consumers have their own inbox', async (t) => {
  const [x, y] = [randomUUID(), randomUUID()]
  await runBatchTransaction({ db, consumer: 'seen', eventIds: [x] }, async (tx) => void (await tx.claim()))
  const again = await runBatchTransaction({ db, consumer: 'seen', eventIds: [x.toUpperCase(), y] }, async (tx) => {
    const { isNew, rows } = await tx.claim()
    return { answers: [isNew(x), isNew(x.toUpperCase()), isNew(y)], rows }
  })
  t.same(again, { answers: [false, false, true], rows: [] }, 'x was redelivered, y is new; nothing to load')
  const other = await runBatchTransaction({ db, consumer: 'seen-elsewhere', eventIds: [x] }, async (tx) => (await tx.claim()).isNew(x))
  t.equal(other, true)
  t.same(await inboxOf('seen'), [x, y].sort())
  await t.rejects(
    runBatchTransaction({ db, consumer: 'seen', eventIds: [randomUUID()] }, async (tx) => {
      await tx.claim()
      await tx.claim()
    }),
    { message: 'claim() runs once per batch transaction' },
  )
})

void t.test('a handler that throws rolls everything back: no inbox row, no effect, no outbox row, no after-commit work', async (t) => {
  const eventId = randomUUID()
  const widgetId = randomUUID()
  const rows = outboxRows([confirmedEvent()])
  const afterCommit: Array<readonly OutboxRow[]> = []
  let onCommitCalls = 0
  const failure = new Error('the handler failed after writing')
  const err = await t.rejects(
    runBatchTransaction({ db, consumer: 'doomed', eventIds: [eventId], afterCommit: (r) => void afterCommit.push(r) }, async (tx) => {
      await tx.claim()
      await sql`with ${tx.outbox(rows)}, w as (insert into widget (id, name) values (${widgetId}, 'doomed')) select 1`.execute(tx.db)
      tx.onCommit(() => onCommitCalls++)
      throw failure
    }),
  )
  t.equal(err, failure, 'the handler’s own error, rethrown')
  t.same(await inboxOf('doomed'), [])
  t.same(await query(url, 'select 1 from widget where id = $1', [widgetId]), [])
  t.same(await query(url, 'select 1 from outbox where id = $1', [rows[0]!.id]), [])
  t.same(afterCommit, [])
  t.equal(onCommitCalls, 0)
  const retried = await runBatchTransaction({ db, consumer: 'doomed', eventIds: [eventId] }, async (tx) => (await tx.claim()).isNew(eventId))
  t.equal(retried, true, 'so the event is new again for its retry')
})

void t.test('after the commit: afterCommit gets exactly the outbox rows written, then the onCommit callbacks run in order', async (t) => {
  const widgetId = await widget()
  const rows = outboxRows([confirmedEvent(), confirmedEvent()], { traceContext: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } })
  const order: string[] = []
  const visible: Record<string, unknown> = {}
  const result = await runBatchTransaction(
    {
      db,
      consumer: 'committer',
      eventIds: [randomUUID()],
      afterCommit: (written) => {
        order.push('afterCommit')
        visible.afterCommit = { written, stored: queryBlocking(url, 'select id from outbox where id = any($1::uuid[]) order by seq', [written.map((r) => r.id)]) }
      },
    },
    async (tx) => {
      await tx.claim()
      tx.onCommit(() => {
        order.push('first')
        // This process is blocked while another one looks: the commit cannot happen meanwhile.
        visible.onCommit = queryBlocking<{ name: string }>(url, 'select name from widget where id = $1', [widgetId])
      })
      await sql`with ${tx.outbox(rows)}, w as (update widget set name = 'committed' where id = ${widgetId}) select 1`.execute(tx.db)
      tx.onCommit(() => order.push('second'))
      order.push('work done')
      return 'result'
    },
  )
  t.equal(result, 'result', 'the handler’s result is returned')
  t.same(order, ['work done', 'afterCommit', 'first', 'second'])
  t.same(visible.afterCommit, { written: rows, stored: rows.map((r) => ({ id: r.id })) }, 'the very rows, already committed')
  t.same(visible.onCommit, [{ name: 'committed' }], 'the change was committed when the callback ran')
  const stored = await query<{ id: string; subject: string; type: string; payload: unknown; headers: unknown; sent_at: Date | null }>(
    url,
    'select id, subject, type, payload, headers, sent_at from outbox where id = any($1::uuid[]) order by seq',
    [rows.map((r) => r.id)],
  )
  t.same(
    stored,
    rows.map((r) => ({ id: r.id, subject: r.subject, type: r.type, payload: r.payload, headers: r.headers, sent_at: null })),
    'inserted as given, in order, unsent',
  )

  let called = 0
  await runBatchTransaction({ db, consumer: 'committer', eventIds: [randomUUID()], afterCommit: () => void called++ }, async (tx) => {
    await tx.claim()
    await sql`with ${tx.outbox([])}, w as (update widget set name = 'again' where id = ${widgetId}) select 1`.execute(tx.db)
  })
  t.equal(called, 0, 'no rows, no afterCommit call')
  t.same(await query(url, 'select name from widget where id = $1', [widgetId]), [{ name: 'again' }], 'an empty outbox CTE is harmless')
})

void t.test('the statements do not depend on the batch size', async (t) => {
  const ids = (n: number) => Array.from({ length: n }, () => randomUUID())
  const load = (n: number) => sql`select id from widget where id = any(${ids(n)}::uuid[]) order by id for update`
  const claims = [1, 5, 64].map((n) => claimStatement('c', ids(n), load(n)).compile(db).sql)
  t.equal(new Set(claims).size, 1, 'statement one')
  const outbox = [0, 1, 7].map((n) => outboxCte(outboxRows(Array.from({ length: n }, () => confirmedEvent()))).compile(db).sql)
  t.equal(new Set(outbox).size, 1, 'the outbox CTE')
})

void t.test('two batches locking two rows in opposite orders: the deadlock victim is run again, and both commit', async (t) => {
  const [a, b] = [await widget('a'), await widget('b')]
  const runs: Record<string, number> = { ab: 0, ba: 0 }
  const afterCommit: Record<string, number> = { ab: 0, ba: 0 }
  const committed: string[] = []
  const bothLocked = deferred()
  let firstLocks = 0
  const lockInOrder = (name: 'ab' | 'ba', first: string, second: string) =>
    runBatchTransaction(
      { db, consumer: `deadlock-${name}`, eventIds: [randomUUID()], afterCommit: (rows) => void (afterCommit[name] = (afterCommit[name] ?? 0) + rows.length) },
      async (tx) => {
        runs[name] = (runs[name] ?? 0) + 1
        await tx.claim(sql`select id from widget where id = ${first} for update`)
        if (++firstLocks === 2) bothLocked.resolve()
        await bothLocked.promise
        const rows = outboxRows([confirmedEvent()])
        await sql`with ${tx.outbox(rows)}, w as (update widget set name = name || ${`+${name}`} where id = ${second}) select 1`.execute(tx.db)
        tx.onCommit(() => committed.push(name))
      },
    )
  const results = await Promise.allSettled([lockInOrder('ab', a, b), lockInOrder('ba', b, a)])
  t.same(results.map((r) => r.status), ['fulfilled', 'fulfilled'], 'both succeed')
  t.same(Object.values(runs).sort(), [1, 2], `one of them was chosen as the victim and ran again (${JSON.stringify(runs)})`)
  t.same(committed.sort(), ['ab', 'ba'], 'each onCommit ran once: none from the attempt that rolled back')
  t.same(afterCommit, { ab: 1, ba: 1 }, 'each afterCommit got its final attempt’s one row')
  const names = await query<{ id: string; name: string }>(url, 'select id, name from widget where id = any($1::uuid[])', [[a, b]])
  t.same(Object.fromEntries(names.map((r) => [r.id, r.name])), { [a]: 'a+ba', [b]: 'b+ab' }, 'each change applied once')
  t.same([...(await inboxOf('deadlock-ab')), ...(await inboxOf('deadlock-ba'))].length, 2)
})

void t.test('inTransaction runs again only for deadlocks and serialization failures, three attempts at most', async (t) => {
  for (const code of ['40P01', '40001']) {
    let runs = 0
    const failure = Object.assign(new Error(`sqlstate ${code}`), { code })
    const err = await t.rejects(
      inTransaction(db, async (tx) => {
        runs++
        await sql`select 1`.execute(tx)
        throw failure
      }),
    )
    t.equal(err, failure)
    t.equal(runs, 3, `${code}: three attempts, then the error is the caller's`)
  }
  let runs = 0
  await t.rejects(
    inTransaction(db, async (tx) => {
      runs++
      await sql`insert into widget (id, name) values (${'not-a-uuid'}, 'x')`.execute(tx)
    }),
    { code: '22P02' },
  )
  t.equal(runs, 1, 'any other error is not retried')
  let attempt = 0
  const value = await inTransaction(db, async () => {
    if (++attempt === 1) throw Object.assign(new Error('serialization'), { code: '40001' })
    return attempt
  })
  t.equal(value, 2, 'a retry that succeeds returns its result')
})
