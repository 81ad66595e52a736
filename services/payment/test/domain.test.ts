import t from 'tap'
import { KeyedQueue } from '../src/consumers/keyed-queue.js'
import { authorizationAttempted, authorizeStep, captureStep, needsProviderVoid, refundStep, voidStep } from '../src/domain/payment-status.js'

t.test('authorize: call the provider only while AUTHORIZING; replay or refuse otherwise', async (t) => {
  t.equal(authorizeStep('AUTHORIZING'), 'call-provider')
  for (const s of ['AUTHORIZED', 'CAPTURED', 'REFUNDED'] as const) t.equal(authorizeStep(s), 'replay-authorized', s)
  t.equal(authorizeStep('DECLINED'), 'replay-declined')
  t.equal(authorizeStep('VOIDED'), 'refuse-voided')
})

t.test('void: voids what is held, confirms what holds nothing, refuses what was captured', async (t) => {
  t.equal(voidStep('AUTHORIZING'), 'void')
  t.equal(voidStep('AUTHORIZED'), 'void')
  t.equal(voidStep('DECLINED'), 'confirm')
  t.equal(voidStep('VOIDED'), 'confirm')
  t.equal(voidStep('CAPTURED'), 'refuse-captured')
  t.equal(voidStep('REFUNDED'), 'refuse-captured')
})

t.test('a void reaches the provider only when an authorization was attempted', async (t) => {
  t.notOk(authorizationAttempted({ status: 'VOIDED', amount: null, providerRef: null }), 'a void that came first')
  t.notOk(needsProviderVoid({ status: 'VOIDED', amount: null, providerRef: null }))
  t.ok(needsProviderVoid({ status: 'VOIDED', amount: 100, providerRef: null }), 'an authorization whose answer may be lost')
  t.ok(needsProviderVoid({ status: 'AUTHORIZED', amount: 100, providerRef: 'ref' }))
  t.notOk(needsProviderVoid({ status: 'DECLINED', amount: 100, providerRef: null }), 'nothing is held after a decline')
  t.notOk(needsProviderVoid({ status: 'CAPTURED', amount: 100, providerRef: 'ref' }))
})

t.test('capture and refund: once from their one status, replayed after, refused elsewhere', async (t) => {
  t.equal(captureStep('AUTHORIZED'), 'call-provider')
  t.equal(captureStep('CAPTURED'), 'replay')
  t.equal(captureStep('REFUNDED'), 'replay')
  t.equal(captureStep('AUTHORIZING'), 'wait')
  t.equal(captureStep('DECLINED'), 'refuse')
  t.equal(captureStep('VOIDED'), 'refuse')
  t.equal(refundStep('CAPTURED'), 'call-provider')
  t.equal(refundStep('REFUNDED'), 'replay')
  for (const s of ['AUTHORIZING', 'AUTHORIZED', 'DECLINED', 'VOIDED'] as const) t.equal(refundStep(s), 'refuse', s)
})

t.test('the keyed queue runs one key at a time, other keys alongside, and survives failures', async (t) => {
  const queue = new KeyedQueue()
  const log: string[] = []
  const step = (name: string, ms: number, fail = false) => async () => {
    log.push(`${name}:start`)
    await new Promise((r) => setTimeout(r, ms))
    log.push(`${name}:end`)
    if (fail) throw new Error(name)
    return name
  }
  const a1 = queue.run('a', step('a1', 30, true))
  const a2 = queue.run('a', step('a2', 5))
  const b1 = queue.run('b', step('b1', 5))
  t.equal(queue.size, 2)
  await t.rejects(a1, { message: 'a1' })
  t.equal(await a2, 'a2', 'runs after a failed predecessor')
  t.equal(await b1, 'b1')
  t.ok(log.indexOf('a1:end') < log.indexOf('a2:start'), 'same key: one after the other')
  t.ok(log.indexOf('b1:end') < log.indexOf('a1:end'), 'other key: alongside')
  await new Promise((r) => setTimeout(r, 0))
  t.equal(queue.size, 0, 'finished keys are forgotten')
})
