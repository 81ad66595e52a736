import t from 'tap'
import { percentileOfSorted, spreadOf, summarize } from '@orderflow/bench'

t.test('percentiles are nearest-rank: always a sample that was measured', async (t) => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1)
  t.equal(percentileOfSorted(hundred, 50), 50)
  t.equal(percentileOfSorted(hundred, 90), 90)
  t.equal(percentileOfSorted(hundred, 99), 99)
  t.equal(percentileOfSorted(hundred, 100), 100)
  t.equal(percentileOfSorted([7], 99), 7)
  // 10 samples: the p99 is the slowest, not an interpolation between the last two.
  t.equal(percentileOfSorted([1, 2, 3, 4, 5, 6, 7, 8, 9, 1000], 99), 1000)
  t.equal(percentileOfSorted([1, 2, 3, 4], 50), 2)
  t.throws(() => percentileOfSorted([], 50), RangeError)
  t.throws(() => percentileOfSorted([1], 0), RangeError)
})

t.test('summarize sorts, whatever the order the samples came in', async (t) => {
  const s = summarize([30, 10, 20, 40, 1000, 5, 15, 25, 35, 45])
  t.same(s, { count: 10, p50: 25, p90: 45, p99: 1000, max: 1000, mean: 122.5 })
  t.equal(summarize([]), null)
  t.equal(summarize(new Float64Array([3, 1, 2]))?.p50, 2)
})

t.test('spread: median of odd and even counts, min and max', async (t) => {
  t.same(spreadOf([5, 1, 3]), { median: 3, min: 1, max: 5 })
  t.same(spreadOf([4, 1, 3, 2]), { median: 2.5, min: 1, max: 4 })
  t.same(spreadOf([7]), { median: 7, min: 7, max: 7 })
  t.equal(spreadOf([]), null)
})
