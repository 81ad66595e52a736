import t from 'tap'
import pino from 'pino'
import { isNatsAway, startWorkersRetrying } from '../src/start-workers.js'

const named = (name: string, message = name) => Object.assign(new Error(message), { name })
const silent = pino({ level: 'silent' })

t.test('a start that fails while NATS is away is tried again until it succeeds', async (t) => {
  const errors = [named('TimeoutError', 'TIMEOUT'), new Error('consumer not found', { cause: named('ClosedConnectionError') })]
  let calls = 0
  const workers = await startWorkersRetrying(
    async () => {
      const error = errors[calls++]
      if (error) throw error
      return 'workers'
    },
    silent,
    new AbortController().signal,
    { initialDelayMs: 5 },
  )
  t.equal(workers, 'workers')
  t.equal(calls, 3, 'two failed starts, then one that worked')
})

t.test('any other failure fails the start at once', async (t) => {
  let calls = 0
  await t.rejects(
    startWorkersRetrying(() => Promise.reject(new Error(`bug ${++calls}`)), silent, new AbortController().signal, { initialDelayMs: 5 }),
    /bug 1/,
  )
  t.equal(calls, 1)
})

t.test('SIGTERM while waiting: resolves with undefined', async (t) => {
  const stop = new AbortController()
  const pending = startWorkersRetrying(() => Promise.reject(named('TimeoutError')), silent, stop.signal, { initialDelayMs: 10_000 })
  setTimeout(() => stop.abort(), 20)
  t.equal(await pending, undefined)
})

t.test('what counts as NATS being away', async (t) => {
  for (const name of ['TimeoutError', 'NoRespondersError', 'RequestError', 'ClosedConnectionError', 'ConnectionError']) t.ok(isNatsAway(named(name)), name)
  t.ok(isNatsAway(new Error('wrapped', { cause: named('TimeoutError') })), 'as a cause')
  t.ok(isNatsAway(Object.assign(new Error('jetstream not ready'), { code: 10008, status: 503 })), 'JetStream answering 503')
  t.notOk(isNatsAway(new Error('consumer not found')))
  t.notOk(isNatsAway(named('TypeError')))
})
