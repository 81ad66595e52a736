import t from 'tap'
import { cpuPerOrder, increasePerOrder, type ProcessUsageReport } from '@orderflow/bench'

const usage: ProcessUsageReport = {
  windowSeconds: 20,
  groups: [
    { name: 'order', cpuSeconds: 4, cores: 0.2, peakRssMb: 150, processes: 1 },
    { name: 'postgres (order)', cpuSeconds: 2, cores: 0.1, peakRssMb: 60, processes: 3 },
    { name: 'nats-server', cpuSeconds: 0.5, cores: 0.025, peakRssMb: 30, processes: 1 },
    { name: 'bench (load generator)', cpuSeconds: 1, cores: 0.05, peakRssMb: 100, processes: 1 },
    { name: 'postgres (other databases)', cpuSeconds: 3, cores: 0.15, peakRssMb: 40, processes: 2 },
  ],
  machine: { busyCores: 0.6, busyCpuSeconds: 12, otherCores: 0.075 },
}

t.test('CPU per order: the machine, the platform and each group, in ms per completed order', async (t) => {
  t.same(cpuPerOrder(usage, 400), {
    machine: 30, // 12 s of the whole machine / 400 orders
    platform: 16.25, // order 4 + its database 2 + NATS 0.5: not the generator, not other databases
    byGroup: {
      order: 10,
      'postgres (order)': 5,
      'nats-server': 1.25,
      'bench (load generator)': 2.5,
      'postgres (other databases)': 7.5,
    },
  })
  t.equal(cpuPerOrder(usage, 0), null, 'no order completed: no figure rather than Infinity')
  const older = { ...usage, machine: { busyCores: 0.6, otherCores: 0.075 } }
  t.equal(cpuPerOrder(older, 400)?.machine, 30, "an older result's machine time is its busy cores over the window")
})

t.test('counter increases per order: a counter born in the window counts whole, one that went back from zero', async (t) => {
  const before = { 'ORDERS/order-saga': 1000, 'PAYMENTS/payment-commands': 500, 'INVENTORY/gone': 9 }
  const after = { 'ORDERS/order-saga': 1300, 'PAYMENTS/payment-commands': 20, 'FULFILLMENT/new': 80 }
  t.same(increasePerOrder(before, after, 100), {
    total: 4,
    byKey: { 'ORDERS/order-saga': 3, 'PAYMENTS/payment-commands': 0.2, 'FULFILLMENT/new': 0.8 },
  })
  t.equal(increasePerOrder(before, after, 0), null)
})
