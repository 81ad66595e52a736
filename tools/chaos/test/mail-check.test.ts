import t from 'tap'
import { auditMails, expectedMails } from '@orderflow/chaos'

const mail = (id: string) => ({ headers: new Map([['message-id', `<${id}@orderflow.local>`]]) })
const A = '00000000-0000-4000-8000-00000000000a'

t.test('what each end calls for', async (t) => {
  t.same(expectedMails({ status: 'DELIVERED', confirmed: true }), ['ORDER_CONFIRMED', 'SHIPMENT_SHIPPED', 'SHIPMENT_DELIVERED'])
  t.same(expectedMails({ status: 'FAILED', confirmed: false }), ['ORDER_FAILED'])
  t.same(expectedMails({ status: 'CANCELLED', confirmed: true }), ['ORDER_CONFIRMED', 'ORDER_CANCELLED'], 'cancelled after confirmation: told both')
  t.same(expectedMails({ status: 'PENDING', confirmed: false }), [], 'an order still running is judged elsewhere')
})

t.test('each mail exactly once: missing, sent twice, decided twice, unexpected and unrecorded mails are breaches', async (t) => {
  const notifications = new Map([
    ['n1', { orderId: A, kind: 'ORDER_CONFIRMED' }],
    ['n2', { orderId: A, kind: 'SHIPMENT_SHIPPED' }],
    ['n3', { orderId: A, kind: 'ORDER_FAILED' }],
  ])
  const order = { id: A, status: 'DELIVERED', confirmed: true }
  const audit = auditMails([order], [mail('n1'), mail('n1'), mail('n2'), mail('n3'), mail('nobody')], notifications)
  t.equal(audit.received, 5)
  t.match(audit.breaches, [
    /Message-ID <nobody@orderflow.local> matches no notification/,
    /got its ORDER_CONFIRMED mail 2 times, each with Message-ID <n1@…>: sent again/,
    /got 0 SHIPMENT_DELIVERED mails, not 1/,
    /got 1 ORDER_FAILED mail it should not have/,
  ])
  t.same(auditMails([order], [mail('n1'), mail('n2')], new Map([...notifications, ['n4', { orderId: A, kind: 'SHIPMENT_DELIVERED' }]])).breaches, [
    'order 00000000-0000-4000-8000-00000000000a (DELIVERED) got 0 SHIPMENT_DELIVERED mails, not 1',
  ])
  const twice = new Map([...notifications, ['n5', { orderId: A, kind: 'ORDER_CONFIRMED' }]])
  t.match(auditMails([order], [mail('n1'), mail('n5')], twice).breaches, [/got 2 ORDER_CONFIRMED mails \(each its own notification\), not 1/])
})
