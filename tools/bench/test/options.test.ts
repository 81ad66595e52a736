import t from 'tap'
import { parseOptions, UsageError, type BenchOptions } from '@orderflow/bench'

const parse = (...argv: string[]) => parseOptions(argv) as BenchOptions

t.test('no options: the short default profile, a step run', async (t) => {
  const { settings, writeReport } = parse()
  t.match(settings, { mode: 'step', intake: false, durationSeconds: 20, warmupSeconds: 5, runs: 1 })
  t.same(settings.rates.slice(0, 3), [2, 4, 6])
  t.equal(settings.rates.at(-1), 100)
  t.equal(writeReport, true)
  t.equal(settings.vacuum, true)
})

t.test('fixed rates, steps, intake and thresholds', async (t) => {
  t.match(parse('--rate', '50,100', '--duration', '60', '--warmup', '0', '--runs', '3').settings, {
    mode: 'fixed',
    rates: [50, 100],
    durationSeconds: 60,
    warmupSeconds: 0,
    runs: 3,
  })
  t.same(parse('--step', '--start', '10', '--step-by', '20', '--max', '70').settings.rates, [10, 30, 50, 70])
  t.match(parse('--rate', '20', '--intake', '--max-p99', '250', '--no-report'), { settings: { intake: true, thresholds: { maxP99Ms: 250 } }, writeReport: false })
  t.equal(parseOptions(['--help']), 'help')
  t.same(parseOptions(['--render', 'bench-results/x.json']), { render: 'bench-results/x.json' })
})

t.test('nonsense is refused with a message', async (t) => {
  t.throws(() => parse('--rate', '50', '--step'), UsageError)
  t.throws(() => parse('--rate', 'fast'), { message: '--rate must be a number ≥ 1, got fast' })
  t.throws(() => parse('--runs', '1.5'), UsageError)
  t.throws(() => parse('--start', '100', '--max', '50'), UsageError)
  t.throws(() => parse('--bogus'), TypeError)
})
