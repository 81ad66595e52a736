import t from 'tap'
import { describeFault, planFaults, PlanError, type PlannedFault } from '@orderflow/chaos'

const STALL = 35_000
const endOf = (f: PlannedFault) => f.atMs + f.outageMs

t.test('the short plan has one fault of each kind, one at a time, inside the run', async (t) => {
  const plan = planFaults({ durationMs: 75_000, profile: 'short', stallMs: STALL })
  t.same(new Set(plan.map((f) => f.kind)), new Set(['kill-service', 'kill-nats', 'stop-postgres', 'stall-service', 'poison']))
  t.equal(plan.length, 5)
  for (const [i, f] of plan.entries()) {
    const next = plan[i + 1]
    if (next) t.ok(next.atMs >= endOf(f) + 3_000, `${f.kind} ends at least 3 s before ${next.kind} starts`)
  }
  t.ok((plan.at(-1)?.atMs ?? 0) + (plan.at(-1)?.outageMs ?? 0) <= 70_000, 'the last fault ends before the load does')
  t.equal(plan.find((f) => f.kind === 'stall-service')?.outageMs, STALL, 'the stall lasts as long as asked')
})

t.test('a full run kills every service in turn, and repeats its round when there is room', async (t) => {
  const one = planFaults({ durationMs: 180_000, profile: 'full', stallMs: STALL })
  t.match(one.filter((f) => f.kind === 'kill-nats' || f.kind === 'stop-postgres'), [{ outageMs: 30_000 }, { outageMs: 30_000 }], 'the broker and the database down for 30 s each')
  t.same(one.filter((f) => f.kind === 'kill-service').map((f) => f.target).sort(), ['fulfillment', 'inventory', 'notification', 'order', 'payment'])
  t.equal(one.filter((f) => f.kind === 'stall-service').length, 1)
  const three = planFaults({ durationMs: 900_000, profile: 'full', stallMs: STALL })
  const stalled = three.filter((f) => f.kind === 'stall-service').map((f) => f.target)
  t.ok(stalled.length >= 3, `${stalled.length} rounds in 15 minutes`)
  t.same(stalled.slice(0, 3), ['inventory', 'payment', 'order'], 'a different service stalled each round')
  t.ok(three.every((f, i) => i === 0 || f.atMs >= endOf(three[i - 1] as PlannedFault)), 'never two faults at once')
})

t.test('a run too short for its faults is refused before anything starts', async (t) => {
  t.throws(() => planFaults({ durationMs: 60_000, profile: 'short', stallMs: STALL }), PlanError)
  t.throws(() => planFaults({ durationMs: 120_000, profile: 'full', stallMs: STALL }), /at least \d+ s/)
})

t.test('faults read as what was done', async (t) => {
  t.equal(describeFault({ kind: 'kill-service', target: 'payment', outageMs: 2_000 }), 'kill -9 payment, restart after 2 s')
  t.equal(describeFault({ kind: 'stall-service', target: 'inventory', outageMs: 35_000 }), 'SIGSTOP inventory, SIGCONT after 35 s')
})
