import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import pino from 'pino'
import { startPeriodic } from '@orderflow/runtime'

function recordingLogger(): { logger: pino.Logger; warnings: string[] } {
  const warnings: string[] = []
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push((JSON.parse(line) as { msg: string }).msg) })
  return { logger, warnings }
}

void t.test('passes follow each other at once while a batch comes back full, then wait the interval', async (t) => {
  const started: number[] = []
  let left = 3 // three full batches, then a short one
  const periodic = startPeriodic({
    name: 'drain',
    intervalMs: 200,
    logger: pino({ level: 'silent' }),
    run: async () => {
      started.push(Date.now())
      return left-- > 0
    },
  })
  await sleep(300)
  await periodic.stop()
  t.equal(started.length, 4, 'the backlog drained in one go: three full passes and the short one')
  const gaps = started.slice(1).map((at, i) => at - (started[i] ?? at))
  t.ok(gaps.every((g) => g < 100), `no interval between full passes (${gaps.join(', ')} ms)`)
})

void t.test('a pass that fails is logged and tried again after the interval', async (t) => {
  const { logger, warnings } = recordingLogger()
  let calls = 0
  const periodic = startPeriodic({
    name: 'flaky',
    intervalMs: 50,
    logger,
    run: async () => {
      calls++
      if (calls === 1) throw new Error('database away')
      return false
    },
  })
  await sleep(180)
  await periodic.stop()
  t.ok(calls >= 2, `tried again (${calls} passes)`)
  t.match(warnings[0], /flaky failed; trying again after the interval/)
})

void t.test('stop waits for the pass in progress, and no pass starts after it', async (t) => {
  let finished = false
  let calls = 0
  const periodic = startPeriodic({
    name: 'slow',
    intervalMs: 20,
    logger: pino({ level: 'silent' }),
    run: async () => {
      calls++
      await sleep(100)
      finished = true
      return true // "more is due": only stop() ends the loop
    },
  })
  await sleep(40)
  await periodic.stop()
  t.ok(finished, 'the pass under way ended before stop() resolved')
  const after = calls
  await sleep(100)
  t.equal(calls, after, 'nothing ran after stop()')
})

void t.test('an interval that is not a positive integer is refused', async (t) => {
  t.throws(() => startPeriodic({ name: 'bad', intervalMs: 0, logger: pino({ level: 'silent' }), run: async () => false }), /intervalMs must be a positive integer/)
})
