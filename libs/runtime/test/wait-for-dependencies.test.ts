import t from 'tap'
import pino from 'pino'
import { DependencyUnavailable, waitForDependencies } from '@orderflow/runtime'

interface Line {
  level: number
  msg: string
  waitingFor?: string
}

function recordingLogger(): { logger: pino.Logger; lines: Line[] } {
  const lines: Line[] = []
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Line) })
  return { logger, lines }
}

/** An attempt that fails with the given reasons in turn, then succeeds; records when it ran. */
function attempts(reasons: readonly string[]) {
  const at: number[] = []
  let i = 0
  return {
    at,
    attempt: async () => {
      at.push(Date.now())
      const reason = reasons[i++]
      if (reason !== undefined) throw new DependencyUnavailable('database', reason)
      return 'opened'
    },
  }
}

void t.test('retries until the attempt succeeds, pausing longer each time, and logs a reason once per change', async (t) => {
  const { logger, lines } = recordingLogger()
  const reasons = ['connect ECONNREFUSED', 'connect ECONNREFUSED', 'connect ECONNREFUSED', 'database "x" does not exist', 'database "x" does not exist']
  const { at, attempt } = attempts(reasons)
  const shown: string[] = []
  const value = await waitForDependencies({
    attempt,
    logger,
    signal: new AbortController().signal,
    onWaiting: (reason) => shown.push(reason),
    initialDelayMs: 20,
    maxDelayMs: 80,
    random: () => 0, // no jitter: the pauses are the ceilings
  })
  t.equal(value, 'opened')
  t.equal(at.length, 6)
  t.same(shown, reasons.map((r) => `database: ${r}`), 'every failed attempt updates what readiness shows')
  const pauses = at.slice(1).map((time, i) => time - (at[i] ?? time))
  const ceilings = [20, 40, 80, 80, 80]
  pauses.forEach((pause, i) => {
    const ceiling = ceilings[i] ?? 0
    t.ok(pause >= ceiling - 2 && pause < ceiling + 150, `pause ${i + 1} doubles up to the longest: ${pause} ms for ${ceiling}`)
  })
  t.same(
    lines.map((l) => [l.msg, l.waitingFor]),
    [
      ['waiting for a dependency', 'database: connect ECONNREFUSED'],
      ['waiting for a dependency', 'database: database "x" does not exist'],
      ['dependencies available; starting', undefined],
    ],
    'one line per change of reason, and one when it starts',
  )
})

void t.test('an unchanged reason is logged again after the reminder interval', async (t) => {
  const { logger, lines } = recordingLogger()
  const { attempt } = attempts(Array.from({ length: 8 }, () => 'connection refused'))
  await waitForDependencies({ attempt, logger, signal: new AbortController().signal, initialDelayMs: 15, maxDelayMs: 15, reminderMs: 40, random: () => 0 })
  const waiting = lines.filter((l) => l.waitingFor !== undefined).map((l) => l.msg)
  t.equal(waiting[0], 'waiting for a dependency')
  t.ok(waiting.length >= 2 && waiting.length <= 4, `a reminder every 40 ms over 8 attempts 15 ms apart, not a line each (${waiting.length})`)
  t.ok(waiting.slice(1).every((m) => m === 'still waiting for a dependency'))
})

void t.test('jitter shortens a pause by up to half, never lengthens it', async (t) => {
  const { at, attempt } = attempts(['a', 'b'])
  await waitForDependencies({ attempt, logger: pino({ level: 'silent' }), signal: new AbortController().signal, initialDelayMs: 100, random: () => 0.999 })
  const first = (at[1] ?? 0) - (at[0] ?? 0)
  t.ok(first >= 49 && first < 90, `about half of 100 ms (${first} ms)`)
})

void t.test('an abort ends the wait at once, during a pause', async (t) => {
  const stop = new AbortController()
  const { attempt } = attempts(Array.from({ length: 100 }, () => 'down'))
  const started = Date.now()
  setTimeout(() => stop.abort(), 50)
  const value = await waitForDependencies({ attempt, logger: pino({ level: 'silent' }), signal: stop.signal, initialDelayMs: 10_000 })
  t.equal(value, undefined)
  t.ok(Date.now() - started < 1_000, 'did not sleep out the 10 s pause')
})

void t.test('anything but a missing dependency fails the wait at once', async (t) => {
  let calls = 0
  const attempt = async () => {
    calls++
    throw new TypeError('a bug')
  }
  await t.rejects(waitForDependencies({ attempt, logger: pino({ level: 'silent' }), signal: new AbortController().signal }), TypeError)
  t.equal(calls, 1)
})
