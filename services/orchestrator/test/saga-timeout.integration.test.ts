import t from 'tap'
import { StockReleased } from '@orderflow/contracts'
import { eventually, sagaTestbed, short, untilMessages } from './testbed.js'

// A real, short step timeout: the deadline worker gives up on a silent inventory by itself.
const tb = await sagaTestbed(t, { SAGA_STEP_TIMEOUT_MS: '400' })
await tb.startWorkers()

t.test('no answer to ReserveStock: compensate, re-send the release until confirmed, FAILED TIMEOUT', async (t) => {
  const id = await tb.createOrder()
  await tb.untilState(id, 'COMPENSATING')
  // Unanswered, the release is sent again at the compensation's own deadline.
  await eventually(async () => {
    const sent = (await tb.messages('INVENTORY', id, '.cmd.')).map(short)
    return sent.filter((s) => s === 'inventory.release').length >= 2 ? true : undefined
  }, 'the release sent again')
  await tb.publish(StockReleased, id, { orderId: id })
  const saga = await tb.untilState(id, 'FAILED')
  t.match(saga, { failureReason: 'TIMEOUT', deadlineAt: null })
  const events = await untilMessages(tb, 'ORDERS', id, '.evt.saga.', ['order.progressed', 'order.progressed', 'order.failed'])
  t.match(events.at(-1)?.data, { reason: 'TIMEOUT', message: /took too long/ })
  t.same(await tb.messages('PAYMENTS', id, '.cmd.'), [], 'no payment was asked for, so none is voided')
})
