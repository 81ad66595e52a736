import t from 'tap'
import { allowedOutcome, caughtUpAfterMs, kindOf, mergeReport, mixedOrder, REPORT_END, REPORT_START, runChecks, type CheckInputs } from '@orderflow/chaos'

const row = (n: number, status: string, failureReason: string | null = null) => ({
  id: `id-${n}`,
  customerId: `chaos-${n}`,
  status,
  failureReason,
  createdAt: new Date(1_000),
  endedAt: status === 'PENDING' ? null : new Date(2_000),
  confirmed: status === 'DELIVERED',
})
const inputs = (over: Partial<CheckInputs>): CheckInputs => ({
  sent: [],
  orders: [],
  settled: { settledAt: 5_000, busy: '' },
  lastFaultEnd: 4_000,
  endWithinMs: 60_000,
  books: { violations: [], unfinished: [], statuses: {} },
  mails: { received: 0, breaches: [] },
  deadLetters: [],
  injected: [],
  unexpectedExits: [],
  ...over,
})
const failed = (i: CheckInputs) => runChecks(i).filter((c) => !c.passed).map((c) => c.name)

t.test('the mix: one in ten declined, scarce, cancelled; the rest should be delivered', async (t) => {
  const kinds = Array.from({ length: 100 }, (_, n) => kindOf(n))
  t.equal(kinds.filter((k) => k === 'decline').length, 10)
  t.equal(kinds.filter((k) => k === 'scarce').length, 10)
  t.equal(kinds.filter((k) => k === 'cancel').length, 10)
  t.equal(mixedOrder(3).body.payment.token, 'tok_decline')
  t.ok(mixedOrder(9).cancelAfterMs !== undefined)
  t.ok(allowedOutcome('scarce', 'FAILED', 'OUT_OF_STOCK'))
  t.notOk(allowedOutcome('normal', 'FAILED', 'TIMEOUT'), 'an outage is not a reason to fail')
  t.notOk(allowedOutcome('decline', 'DELIVERED', null), 'a declined card is never delivered')
})

t.test('a clean run passes every check', async (t) => {
  const orders = [row(0, 'DELIVERED'), row(3, 'FAILED', 'PAYMENT_DECLINED'), row(9, 'CANCELLED')]
  t.same(failed(inputs({ orders })), [])
})

t.test('a TIMEOUT, an order still running, an extra dead letter and a crash each fail their check', async (t) => {
  const orders = [row(0, 'FAILED', 'TIMEOUT'), row(1, 'PENDING')]
  const deadLetter = { seq: 1, reason: 'max_deliveries', error: 'boom', origin: { subject: 'payment.cmd.capture', stream: 'PAYMENTS', seq: 7, consumer: 'payment-capture', deliveries: 15 } }
  const exit = { name: 'order', at: new Date(0), code: 1, signal: null, wasReady: true }
  t.same(failed(inputs({ orders, deadLetters: [deadLetter], unexpectedExits: [exit] })), [
    'every accepted order ended within 60 s of the last fault',
    'the dead letters hold exactly the injected poison messages',
    'no order failed for an outage (TIMEOUT) or for any reason its kind does not call for',
    'no process died by itself (each survives its database and broker going away)',
  ])
  const injected = [{ what: 'garbage', subject: 'inventory.cmd.reserve', stream: 'INVENTORY', seq: 3 }]
  t.same(failed(inputs({ injected })), ['the dead letters hold exactly the injected poison messages'], 'a poison message not dead-lettered')
  const late = { ...row(2, 'DELIVERED'), endedAt: new Date(4_000 + 61_000) }
  t.same(failed(inputs({ orders: [late] })), ['every accepted order ended within 60 s of the last fault'], 'ended, but too late')
  t.same(failed(inputs({ settled: { settledAt: null, busy: 'consumer payment-capture has 1 messages to settle' } })), [
    'nothing was left in flight (outboxes published, consumers settled, mails sent)',
  ])
})

t.test('caught up: when every order placed before the repair had ended and had its mails', async (t) => {
  const orders = [row(0, 'DELIVERED'), { ...row(1, 'DELIVERED'), createdAt: new Date(9_000) }]
  t.equal(caughtUpAfterMs(1_500, orders, new Map([['id-0', [{ at: 3_500 }]]])), 2_000, 'the last mail came 2 s after the repair')
  t.equal(caughtUpAfterMs(5_000, orders, new Map()), 0, 'all done before the repair')
  t.equal(caughtUpAfterMs(1_500, [row(0, 'PENDING')], new Map()), null, 'never')
})

t.test('the report keeps what is written around its section', async (t) => {
  const doc = `# Reliability\nprose\n${REPORT_START}\nold\n${REPORT_END}\nmore prose\n`
  t.equal(mergeReport(doc, 'new'), `# Reliability\nprose\n${REPORT_START}\nnew\n${REPORT_END}\nmore prose\n`)
  t.throws(() => mergeReport('# nothing', 'new'))
})
