import { randomBytes } from 'node:crypto'
import t, { type Test } from 'tap'
import { mintToken } from '@orderflow/testing'
import { eventually } from '@orderflow/testing/service'
import { checkConsistency } from './support/consistency.js'
import { startPlatform, type Platform } from './support/platform.js'
import { cancelOrder, getOrder, placeOrder, stock, uniqueSku, waitForStatus } from './support/shop.js'

// Every outcome of one order's saga, each service in this process, on its own database, all in
// one NATS namespace. Tests use SKUs of their own, so they share the platform.
// One retry inside the payment client: tok_unavailable's two failures then outlast the client and
// the consumer's backoff redelivers the command, so both layers of retry are exercised.
// Steps re-sent every 2 s; the give-up time is far away (2 min), so an order that fails with
// TIMEOUT here was ended by the payment service's answer, not by the saga giving up.
const p = await startPlatform(t, { env: { payment: { PROVIDER_RETRIES: '1' }, order: { SAGA_STEP_TIMEOUT_MS: '2000', SAGA_GIVE_UP_MS: '120000' } } })

async function consistent(t: Test, ids: string[], stockBefore: Record<string, number>) {
  const report = await checkConsistency(p, ids, stockBefore)
  t.same(report.violations, [], 'orders, stock and payments agree')
}

async function units(sku: string): Promise<{ onHand: number; reserved: number }> {
  const res = await p.tb.inventory.app.inject({ method: 'GET', url: `/v1/inventory/${sku}`, headers: p.tb.inventory.auth(['inventory:read']) })
  return res.json<{ onHand: number; reserved: number }>()
}

const nothingReserved = (sku: string) =>
  eventually(async () => ((await units(sku)).reserved === 0 ? true : undefined), `${sku}: nothing reserved`)

/** Every message about the order in the platform's domain streams, with the trace id it carries. */
async function messagesAbout(orderId: string): Promise<{ subject: string; traceId: string | undefined }[]> {
  const found: { subject: string; traceId: string | undefined }[] = []
  const { jsm } = p.tb.order.bus
  for (const stream of ['ORDERS', 'INVENTORY', 'PAYMENTS', 'FULFILLMENT'].map((s) => p.topology.stream(s))) {
    const { state } = await jsm.streams.info(stream)
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null)
      if (!m || m.json<{ subject?: string }>().subject !== orderId) continue
      found.push({ subject: m.subject, traceId: m.header.get('traceparent').split('-')[1] })
    }
  }
  return found
}

const sagaState = (p: Platform, orderId: string) =>
  p.tb.order.orm.em
    .fork()
    .execute<{ state: string }[]>(`select state from sagas where order_id = '${orderId}'`)
    .then((rows) => rows[0]?.state)

t.test('happy path: reserved, paid, confirmed, shipped, delivered, and the customer is told', async (t) => {
  const sku = uniqueSku('happy')
  const before = { [sku]: await stock(p, sku, 10) }
  const traceId = randomBytes(16).toString('hex')
  const id = await placeOrder(p, { sku, quantity: 2, unitPrice: 1250, email: 'happy@example.com', headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } })

  await waitForStatus(p, id, ['DELIVERED'])
  // Capture and shipping run side by side after confirmation: either may reach the timeline first.
  const expected = ['CREATED', 'STOCK_RESERVED', 'PAYMENT_AUTHORIZED', 'CONFIRMED', 'STOCK_COMMITTED', 'PAYMENT_CAPTURED', 'PICKING', 'SHIPPED', 'DELIVERED']
  const order = await eventually(async () => {
    const o = await getOrder(p, id)
    return o.timeline.length >= expected.length ? o : undefined
  }, 'every step on the timeline')
  const steps = order.timeline.map((e) => e.type)
  t.same([...steps].sort(), [...expected].sort(), 'the timeline lists every step once')
  const at = (step: string) => steps.indexOf(step)
  t.ok(at('CREATED') < at('CONFIRMED') && at('CONFIRMED') < at('SHIPPED') && at('SHIPPED') < at('DELIVERED'), 'in the order they happened')
  t.ok(order.timeline.every((e) => !Number.isNaN(Date.parse(e.at))), 'each step has a time')
  t.same(await units(sku), { ...(await units(sku)), onHand: 8, reserved: 0 }, 'two units left the warehouse')

  const payments = await p.tb.payment.app.inject({ method: 'GET', url: `/v1/payments?orderId=${id}`, headers: p.tb.payment.auth(['payments:read']) })
  t.match(payments.json(), { orderId: id, status: 'CAPTURED', amount: 2500 }, 'captured in full')
  t.match(
    payments.json<{ transactions: { operation: string; outcome: string }[] }>().transactions.map((x) => `${x.operation} ${x.outcome}`),
    ['AUTHORIZE SUCCEEDED', 'CAPTURE SUCCEEDED'],
    'authorized then captured, once each',
  )

  const mails = await eventually(() => {
    const mine = p.smtp.mails.filter((m) => m.to.includes('happy@example.com'))
    return mine.length >= 3 ? mine : undefined
  }, 'three mails to the customer')
  const subjects = mails.map((m) => m.headers.get('subject') ?? '')
  t.equal(mails.length, 3, 'one mail per step')
  t.match(subjects[0], /confirmed/i)
  t.ok(subjects.some((s) => /shipped/i.test(s)), 'told it shipped')
  t.ok(subjects.some((s) => /delivered/i.test(s)), 'told it arrived')
  await consistent(t, [id], before)

  const messages = await messagesAbout(id)
  t.ok(messages.length >= 12, `commands and events of every service (${messages.length})`)
  t.same(
    messages.filter((m) => m.traceId !== traceId).map((m) => m.subject),
    [],
    "every one carries the request's trace id",
  )

  const late = await cancelOrder(p, id)
  t.equal(late.statusCode, 409, 'a delivered order cannot be cancelled')
  t.equal(late.body.code, 'ORDER_NOT_CANCELLABLE')
})

t.test('out of stock: FAILED / OUT_OF_STOCK, no payment attempted, stock unchanged', async (t) => {
  const sku = uniqueSku('short')
  const before = { [sku]: await stock(p, sku, 1) }
  const id = await placeOrder(p, { sku, quantity: 2 })
  const order = await waitForStatus(p, id, ['FAILED'])
  t.equal(order.failure?.reason, 'OUT_OF_STOCK')
  t.match(order.failure?.message, /stock/i, 'a human reason too')
  const payments = await p.tb.payment.orm.em.fork().execute<{ n: string }[]>(`select count(*) as n from payment_transactions where order_id = '${id}'`)
  t.equal(Number(payments[0]?.n), 0, 'the provider was never called')
  t.match(await units(sku), { onHand: 1, reserved: 0 })
  await consistent(t, [id], before)
})

t.test('declined payment: FAILED / PAYMENT_DECLINED, the reservation released', async (t) => {
  const sku = uniqueSku('declined')
  const before = { [sku]: await stock(p, sku, 5) }
  const declined = await placeOrder(p, { sku, quantity: 3, token: 'tok_decline' })
  const poor = await placeOrder(p, { sku, quantity: 1, token: 'tok_insufficient_funds' })
  for (const id of [declined, poor]) {
    const order = await waitForStatus(p, id, ['FAILED'])
    t.equal(order.failure?.reason, 'PAYMENT_DECLINED', `${id} declined`)
  }
  t.match((await getOrder(p, poor)).failure?.message, /insufficient/i, 'the decline reason reaches the customer')
  t.match(await units(sku), { onHand: 5, reserved: 0 }, 'stock back where it was')
  await consistent(t, [declined, poor], before)
})

t.test('a transient provider failure that recovers within the deadline still confirms', async (t) => {
  const sku = uniqueSku('flaky')
  const before = { [sku]: await stock(p, sku, 5) }
  const id = await placeOrder(p, { sku, token: 'tok_unavailable' })
  await waitForStatus(p, id, ['CONFIRMED', 'SHIPPED', 'DELIVERED'])
  const attempts = await p.tb.payment.orm.em
    .fork()
    .execute<{ outcome: string }[]>(`select outcome from payment_transactions where order_id = '${id}' and operation = 'AUTHORIZE' order by id`)
  t.same(attempts.map((a) => a.outcome).slice(-1), ['SUCCEEDED'], 'the last attempt authorized')
  t.ok(attempts.some((a) => a.outcome === 'UNAVAILABLE'), 'after failed attempts')
  await waitForStatus(p, id, ['DELIVERED'])
  await consistent(t, [id], before)
})

t.test('a provider that never answers: the payment service declines it, and the order is FAILED / TIMEOUT long before the give-up time', async (t) => {
  const sku = uniqueSku('timeout')
  const before = { [sku]: await stock(p, sku, 5) }
  const placed = Date.now()
  const id = await placeOrder(p, { sku, quantity: 2, token: 'tok_timeout' })
  const order = await waitForStatus(p, id, ['FAILED'], 20_000)
  t.ok(Date.now() - placed < 20_000, `ended in ${Date.now() - placed} ms, not at the give-up time`)
  t.equal(order.failure?.reason, 'TIMEOUT')
  t.match(order.failure?.message, /payment provider did not answer in time.*Nothing was charged/)
  const payment = await p.tb.payment.app.inject({ method: 'GET', url: `/v1/payments?orderId=${id}`, headers: p.tb.payment.auth(['payments:read']) })
  t.match(payment.json(), { status: 'DECLINED', decline: { reason: 'PROVIDER_TIMEOUT' } }, 'declined by the payment service, after cancelling at the provider')
  await nothingReserved(sku)
  t.match(await units(sku), { onHand: 5, reserved: 0 })
  await consistent(t, [id], before)
})

// An outage of a participant longer than the step timeout, shorter than the give-up time.
for (const { waitsOn, command } of [
  { waitsOn: 'inventory', command: '.cmd.reserve' },
  { waitsOn: 'payment', command: '.cmd.authorize' },
] as const) {
  t.test(`${waitsOn} down past the step deadline: the command is sent again and the order is delivered`, async (t) => {
    const sku = uniqueSku(`outage-${waitsOn}`)
    const before = { [sku]: await stock(p, sku, 5) }
    await p.pause(waitsOn)
    const id = await placeOrder(p, { sku, quantity: 2 })
    await eventually(
      async () => ((await messagesAbout(id)).filter((m) => m.subject.endsWith(command)).length >= 2 ? true : undefined),
      `${command} sent again while ${waitsOn} is down`,
    )
    await p.resume(waitsOn)
    await waitForStatus(p, id, ['DELIVERED'])
    await consistent(t, [id], before)
  })
}

// The step a cancellation overtakes is held open by pausing the service that would answer it.
const cancellable = [
  { step: 'RESERVING', waitsOn: 'inventory', heldMeanwhile: 0 },
  { step: 'AUTHORIZING', waitsOn: 'payment', heldMeanwhile: 2 },
] as const
for (const { step, waitsOn, heldMeanwhile } of cancellable) {
  t.test(`cancelled while ${step.toLowerCase()}: CANCELLED, nothing held or charged`, async (t) => {
    const sku = uniqueSku(`cancel-${step}`)
    const before = { [sku]: await stock(p, sku, 5) }
    await p.pause(waitsOn)
    const id = await placeOrder(p, { sku, quantity: 2 })
    await eventually(async () => ((await sagaState(p, id)) === step ? true : undefined), `the saga to wait for ${waitsOn}`)
    t.match(await units(sku), { reserved: heldMeanwhile }, 'what is held while it waits')
    t.equal((await cancelOrder(p, id)).statusCode, 202)
    await p.resume(waitsOn)
    await waitForStatus(p, id, ['CANCELLED'])
    await nothingReserved(sku)
    t.match(await units(sku), { onHand: 5, reserved: 0 })
    await consistent(t, [id], before)
  })
}

t.test('after shipment a cancellation is refused with 409', async (t) => {
  const sku = uniqueSku('shipped')
  const before = { [sku]: await stock(p, sku, 5) }
  await p.pause('fulfillment')
  const id = await placeOrder(p, { sku })
  await waitForStatus(p, id, ['CONFIRMED'])
  await p.resume('fulfillment')
  await waitForStatus(p, id, ['SHIPPED', 'DELIVERED'])
  const res = await cancelOrder(p, id)
  t.equal(res.statusCode, 409)
  t.match(res.body, { code: 'ORDER_NOT_CANCELLABLE', status: 409 })
  await waitForStatus(p, id, ['DELIVERED'])
  await consistent(t, [id], before)
})

t.test("a customer places an order and follows it in every service; another customer sees none of it", async (t) => {
  const sku = uniqueSku('customer')
  const before = { [sku]: await stock(p, sku, 5) }
  const customer = `c-${randomBytes(4).toString('hex')}`
  const as = (sub: string) => ({ authorization: `Bearer ${mintToken({ sub, roles: ['customer'] })}` })
  const placed = await p.tb.order.app.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: as(customer),
    payload: { customerId: customer, email: 'own@example.com', currency: 'EUR', items: [{ sku, quantity: 1, unitPrice: 1250 }], payment: { method: 'card', token: 'tok_visa' } },
  })
  t.equal(placed.statusCode, 202)
  const id = placed.json<{ id: string }>().id
  await waitForStatus(p, id, ['DELIVERED'])

  const reads = {
    order: { app: p.tb.order.app, url: `/v1/orders/${id}` },
    payment: { app: p.tb.payment.app, url: `/v1/payments?orderId=${id}` },
    shipment: { app: p.tb.fulfillment.app, url: `/v1/shipments/${id}` },
  }
  for (const [what, { app, url }] of Object.entries(reads)) {
    t.equal((await app.inject({ method: 'GET', url, headers: as(customer) })).statusCode, 200, `its own ${what}`)
    t.equal((await app.inject({ method: 'GET', url, headers: as('c-someone-else') })).statusCode, 404, `another customer's ${what} is not there`)
  }
  const notifications = (sub: string) =>
    p.tb.notification.app.inject({ method: 'GET', url: `/v1/notifications?orderId=${id}`, headers: as(sub) }).then((r) => r.json<{ items: unknown[] }>().items)
  const own = await eventually(async () => {
    const items = await notifications(customer)
    return items.length > 0 ? items : undefined
  }, 'its notifications')
  t.ok(own.length > 0, 'its own notifications')
  t.same(await notifications('c-someone-else'), [], "another customer's notifications list nothing")
  await consistent(t, [id], before)
})
