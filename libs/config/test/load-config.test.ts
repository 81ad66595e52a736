import t from 'tap'
import Type from 'typebox'
import { ConfigError, HttpSettings, loadConfig, splitList } from '@orderflow/config'

const Schema = Type.Object({ ...HttpSettings, PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 8081 }) })

t.test('applies defaults and converts strings to the schema types', async (t) => {
  const config = loadConfig(Schema, { BODY_LIMIT_BYTES: '2048', SHUTDOWN_DRAIN_DELAY_MS: '' })
  t.equal(config.PORT, 8081)
  t.equal(config.HOST, '0.0.0.0')
  t.equal(config.BODY_LIMIT_BYTES, 2048)
  t.equal(config.SHUTDOWN_DRAIN_DELAY_MS, 0, 'an empty variable counts as unset')
  t.equal(config.REQUEST_TIMEOUT_MS, 10_000, 'a slow client is cut off after 10 s')
  t.equal(config.HEADERS_TIMEOUT_MS, 5_000)
})

t.test('a malformed setting names the variable and the value', async (t) => {
  const error = t.throws(() => loadConfig(Schema, { PORT: 'eighty' })) as ConfigError
  t.type(error, ConfigError)
  t.match(error.message, /PORT: .*"eighty"/)
})

t.test('every problem is reported at once, missing variables by name', async (t) => {
  const Required = Type.Object({ DATABASE_URL: Type.String(), PORT: Type.Integer({ maximum: 10 }) })
  const error = t.throws(() => loadConfig(Required, { PORT: '99' })) as ConfigError
  t.equal(error.problems.length, 2)
  t.match(error.message, /DATABASE_URL: required but not set/)
  t.match(error.message, /PORT: must be <= 10/)
})

t.test('rate limits: on with per-group defaults, 0 turns a group off, a negative limit is refused', async (t) => {
  const defaults = loadConfig(Schema, {})
  t.equal(defaults.RATE_LIMIT_ENABLED, true)
  t.same(
    [defaults.RATE_LIMIT_READS_PER_MINUTE, defaults.RATE_LIMIT_WRITES_PER_MINUTE, defaults.RATE_LIMIT_ADMIN_PER_MINUTE],
    [1200, 600, 120],
  )
  const tuned = loadConfig(Schema, { RATE_LIMIT_ENABLED: 'false', RATE_LIMIT_WRITES_PER_MINUTE: '0' })
  t.equal(tuned.RATE_LIMIT_ENABLED, false)
  t.equal(tuned.RATE_LIMIT_WRITES_PER_MINUTE, 0)
  const error = t.throws(() =>
    loadConfig(Schema, { RATE_LIMIT_READS_PER_MINUTE: '-1', RATE_LIMIT_ENABLED: 'maybe' }),
  ) as ConfigError
  t.match(error.message, /RATE_LIMIT_READS_PER_MINUTE: must be >= 0 \(got "-1"\)/)
  t.match(error.message, /RATE_LIMIT_ENABLED: .*"maybe"/)
})

t.test('splitList trims and drops empty items', async (t) => {
  t.same(splitList(' a, b,,c '), ['a', 'b', 'c'])
  t.same(splitList(undefined), [])
})

t.test('runEntryPoint prints a ConfigError without a stack and sets exit code 1', async (t) => {
  const { runEntryPoint } = await import('@orderflow/config')
  const lines: string[] = []
  const before = process.exitCode
  t.teardown(() => void (process.exitCode = before))
  await runEntryPoint(async () => {
    loadConfig(Schema, { PORT: 'x' })
  }, (s) => lines.push(s))
  t.equal(process.exitCode, 1)
  t.match(lines[0], /^invalid configuration:\n {2}PORT: /)
  t.notMatch(lines[0], /at .*load-config/, 'no stack trace')
  process.exitCode = 0
  await runEntryPoint(async () => {
    throw new Error('boom')
  }, (s) => lines.push(s))
  t.match(lines[1], /Error: boom\n\s+at /, 'other errors keep their stack')
  process.exitCode = before
})
