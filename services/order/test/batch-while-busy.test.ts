import t from 'tap'
import { batchWhileBusy } from '../src/repositories/batch-while-busy.js'

const always = () => true

/** A write the test finishes by hand, recording what each call was given; each item's result is the item in capitals. */
function gatedWriter(fail: (items: readonly string[]) => Error | undefined = () => undefined) {
  const calls: string[][] = []
  const gates: (() => void)[] = []
  let inFlight = 0
  let maxInFlight = 0
  const write = (items: readonly string[]) => {
    calls.push([...items])
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    return new Promise<string[]>((resolve, reject) => {
      gates.push(() => {
        inFlight--
        const error = fail(items)
        if (error) reject(error)
        else resolve(items.map((item) => item.toUpperCase()))
      })
    })
  }
  /** Lets every write started so far finish, then the ones they started, until none is left. */
  const openAll = async () => {
    while (gates.length > 0) {
      for (const open of gates.splice(0)) open()
      await new Promise((r) => setImmediate(r))
    }
  }
  return { write, calls, openAll, maxInFlight: () => maxInFlight }
}

t.test('an item that finds a free slot is written alone, at once', async (t) => {
  const w = gatedWriter()
  const store = batchWhileBusy({ slots: 2, maxBatch: 10, write: w.write, mayBeOneItem: always })
  const done = [store('a'), store('b')]
  t.same(w.calls, [['a'], ['b']], 'both started before either finished')
  await w.openAll()
  await Promise.all(done)
})

t.test('items that arrive while every slot is busy are written together by the next free slot', async (t) => {
  const w = gatedWriter()
  const store = batchWhileBusy({ slots: 1, maxBatch: 3, write: w.write, mayBeOneItem: always })
  const done = ['a', 'b', 'c', 'd', 'e', 'f'].map((item) => store(item))
  t.same(w.calls, [['a']], 'the rest wait for the slot')
  await w.openAll()
  await Promise.all(done)
  t.same(await Promise.all(done), ['A', 'B', 'C', 'D', 'E', 'F'], 'each caller gets its own item\'s result')
  t.same(w.calls, [['a'], ['b', 'c', 'd'], ['e', 'f']], 'in arrival order, at most maxBatch a write')
  t.equal(w.maxInFlight(), 1, 'never more writes than slots')
})

t.test('a failed batch is written again item by item: only the bad item fails, with its own error', async (t) => {
  const w = gatedWriter((items) => (items.includes('bad') ? new Error(`refused ${items.join(',')}`) : undefined))
  const sizes: number[] = []
  const store = batchWhileBusy({ slots: 1, maxBatch: 10, write: w.write, mayBeOneItem: always, onWrite: (n) => sizes.push(n) })
  const first = store('first')
  const outcomes = ['x', 'bad', 'y'].map((item) => store(item).then((result) => `stored ${result}`, (error: Error) => error.message))
  await w.openAll()
  await first
  t.same(await Promise.all(outcomes), ['stored X', 'refused bad', 'stored Y'])
  t.same(w.calls, [['first'], ['x', 'bad', 'y'], ['x'], ['bad'], ['y']])
  t.same(sizes, [1, 3, 1, 1, 1], 'every write is told, the retries too')
})

t.test('a batch that failed for all (the database is down) fails every caller without writing again', async (t) => {
  const w = gatedWriter((items) => (items.length > 1 ? new Error('connection refused') : undefined))
  const store = batchWhileBusy({ slots: 1, maxBatch: 10, write: w.write, mayBeOneItem: (error) => !(error as Error).message.includes('connection') })
  const first = store('first')
  const outcomes = ['x', 'y'].map((item) => store(item).then(() => 'stored', (error: Error) => error.message))
  await w.openAll()
  await first
  t.same(await Promise.all(outcomes), ['connection refused', 'connection refused'])
  t.same(w.calls, [['first'], ['x', 'y']])
})

t.test('a lone item that fails is not written twice', async (t) => {
  const w = gatedWriter(() => new Error('database down'))
  const store = batchWhileBusy({ slots: 1, maxBatch: 10, write: w.write, mayBeOneItem: always })
  const outcome = store('only').catch((error: Error) => error.message)
  await w.openAll()
  t.equal(await outcome, 'database down')
  t.same(w.calls, [['only']])
})

t.test('a slot freed by a failure serves the items still waiting', async (t) => {
  const w = gatedWriter((items) => (items[0] === 'a' ? new Error('a failed') : undefined))
  const store = batchWhileBusy({ slots: 1, maxBatch: 10, write: w.write, mayBeOneItem: always })
  const a = store('a').catch((error: Error) => error.message)
  const rest = Promise.all([store('b'), store('c')])
  await w.openAll()
  t.equal(await a, 'a failed')
  await rest
  t.same(w.calls, [['a'], ['b', 'c']])
})

t.test('a write that returns the wrong number of results fails its callers rather than guess', async (t) => {
  const store = batchWhileBusy({ slots: 1, maxBatch: 10, write: () => Promise.resolve([]), mayBeOneItem: always })
  await t.rejects(store('a'), /a write of one item returned 0 results/)
})

t.test('an item written again alone after its batch was refused fails too if its write returns the wrong count', async (t) => {
  let release: (() => void) | undefined
  const write = (items: readonly string[]): Promise<string[]> => {
    // The first write holds the only slot, so b and c queue and go together next.
    if (!release) return new Promise((resolve) => (release = () => resolve(items.map((i) => i.toUpperCase()))))
    return items.length > 1 ? Promise.reject(new Error('refused for one row')) : Promise.resolve(['X', 'Y'])
  }
  const store = batchWhileBusy({ slots: 1, maxBatch: 10, write, mayBeOneItem: always })
  const a = store('a')
  const b = store('b')
  const c = store('c')
  release?.()
  t.equal(await a, 'A')
  await t.rejects(b, /a write of one item returned 2 results/)
  await t.rejects(c, /a write of one item returned 2 results/)
})
