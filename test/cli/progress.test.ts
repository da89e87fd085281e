/**
 * Progress lines: the rate over the last interval and the time left until a bound stops the run,
 * on hand-made progress reports (the numbers below are worked out by hand, not read off a run).
 */
import test from 'ava'
import type { Progress } from '../../checker/explore.js'
import { eta, fmtDuration, progressPrinter } from '../../cli/progress.js'

const at = (elapsedMs: number, distinctStates: number): Progress => ({
  depth: 3,
  distinctStates,
  transitions: distinctStates * 2,
  queued: 10,
  elapsedMs,
  statesPerSec: distinctStates / (elapsedMs / 1000),
  rssBytes: 2 ** 20,
})

test('the states bound: what is left, at the rate of the last interval', (t) => {
  // 1,000 of 10,000 states; 500 states/s now: 9,000 / 500 = 18 s
  t.deepEqual(eta({ maxStates: 10_000 }, at(5000, 1000), 500), { ms: 18_000, bound: 'states' })
})

test('the time bound: the clock; with both bounds, the sooner one', (t) => {
  t.deepEqual(eta({ maxTimeMs: 60_000 }, at(15_000, 1000), 500), { ms: 45_000, bound: 'time' })
  t.deepEqual(eta({ maxTimeMs: 60_000, maxStates: 10_000 }, at(15_000, 1000), 500), { ms: 18_000, bound: 'states' })
  t.is(eta({ maxDepth: 4 }, at(15_000, 1000), 500), undefined, 'a depth bound gives no time')
})

test('each line reports the rate since the previous line, not only the average', (t) => {
  const lines: string[] = []
  const print = progressPrinter({ maxStates: 100_000 }, (l) => lines.push(l))
  print(at(5000, 50_000)) // 10,000/s over the first 5 s
  print(at(10_000, 60_000)) // 2,000/s over the next 5 s; 40,000 left at 2,000/s = 20 s
  t.true(lines[0]!.includes('(10,000/s now, 10,000/s average)'), lines[0])
  t.true(lines[1]!.includes('(2,000/s now, 6,000/s average)'), lines[1])
  t.true(lines[1]!.includes('the states bound stops it in 20 s at most'), lines[1])
})

test('durations read as a person says them', (t) => {
  t.is(fmtDuration(45_000), '45 s')
  t.is(fmtDuration(200_000), '3 min 20 s')
  t.is(fmtDuration(7_500_000), '2 h 05 min')
})
