import t from 'tap'
import { authorizationAttempted, authorizeStep, captureStep, needsProviderVoid, refundStep, voidedMayStillHold, voidStep } from '../src/domain/payment-status.js'

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
  t.ok(authorizationAttempted({ status: 'VOIDED', amount: null, providerRef: null, authorizeCalled: true }), 'a void that came after a failed attempt')
  t.ok(needsProviderVoid({ status: 'VOIDED', amount: null, providerRef: null, authorizeCalled: true }), 'cancelled by order reference')
  t.ok(needsProviderVoid({ status: 'VOIDED', amount: 100, providerRef: null }), 'an authorization whose answer may be lost')
  t.ok(needsProviderVoid({ status: 'AUTHORIZED', amount: 100, providerRef: 'ref' }))
  t.notOk(needsProviderVoid({ status: 'DECLINED', amount: 100, providerRef: null }), 'nothing is held after a decline')
  t.notOk(needsProviderVoid({ status: 'CAPTURED', amount: 100, providerRef: 'ref' }))
})

t.test('a voided payment asks the provider again only when a void came first and an attempt left a trace since', async (t) => {
  t.notOk(voidedMayStillHold({ status: 'VOIDED', amount: 100, providerRef: 'ref' }), 'voided at the provider when VOIDED was recorded')
  t.notOk(voidedMayStillHold({ status: 'VOIDED', amount: null, providerRef: null }), 'a void that came first, nothing attempted')
  t.ok(voidedMayStillHold({ status: 'VOIDED', amount: null, providerRef: null, authorizeCalled: true }), 'a failed attempt was recorded')
  t.ok(voidedMayStillHold({ status: 'VOIDED', amount: null, providerRef: null }, true), 'the authorize command comes again')
  t.notOk(voidedMayStillHold({ status: 'AUTHORIZED', amount: 100, providerRef: 'ref' }, true), 'not voided at all')
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
