import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { liveServices, replicaCount, replicaUrls } from '../src/local-system.js'

/** A process whose command line names a service's entry point, as `make up` starts one. */
function fakeService(t: { teardown(fn: () => void): void }, name: string): number {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', `services/${name}/dist/main.js`], { stdio: 'ignore' })
  t.teardown(() => void child.kill('SIGKILL'))
  return child.pid!
}

t.test('REPLICAS=N make up: <service>@<i>.pid files are replicas of <service>; dead or foreign pids are not', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'bench-local-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  mkdirSync(join(root, '.run', 'pids'), { recursive: true })
  const pid = (file: string, value: number) => writeFileSync(join(root, '.run', 'pids', file), `${value}\n`)
  const order = [fakeService(t, 'order'), fakeService(t, 'order')]
  const inventory = fakeService(t, 'inventory')
  pid('order.pid', order[0]!)
  pid('order@2.pid', order[1]!)
  pid('inventory.pid', inventory)
  pid('payment.pid', 999_999_999) // not running
  pid('fulfillment.pid', inventory) // running, but not fulfillment
  const live = liveServices(root)
  t.same(Object.fromEntries(live), { inventory: [inventory], order })
  t.equal(replicaCount(live), 2)
  t.equal(replicaCount(new Map()), 1)
})

t.test("replica i's URL is the first one's port + 100·(i-1), as tools/dev/up starts them", async (t) => {
  t.same(replicaUrls('http://127.0.0.1:8081', 3), ['http://127.0.0.1:8081', 'http://127.0.0.1:8181', 'http://127.0.0.1:8281'])
  t.same(replicaUrls('http://127.0.0.1:8081/', 1), ['http://127.0.0.1:8081'])
})
