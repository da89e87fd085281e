/**
 * The packed state layout: round trips, word packing, width limits and range errors.
 */
import test from 'ava'
import { LayoutBuilder, ModelError, bool, enumOf, int, type FieldType, type StateLayout } from '../../checker/layout.js'

/** Deterministic pseudo-random numbers (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 2 ** 32
  }
}

const bitsOf = (l: StateLayout, f: number): number => 32 - Math.clz32(l.maskOf[f]!)

function sample(): { layout: StateLayout; types: FieldType[] } {
  const b = new LayoutBuilder()
  b.scalar('free', int(0, 9))
  b.array('gst', 3, enumOf('Q', 'R', 'D'))
  b.scalar('flag', bool)
  b.array('wt', 2, int(-1, 4))
  b.scalar('big', int(-100000, 100000))
  b.scalar('const', int(7, 7))
  b.array('k', 4, enumOf('Q', 'RUN', 'FLT', 'WAIT', 'OK', 'DONE', 'FAIL'))
  const layout = b.build()
  const types = Array.from({ length: layout.fieldCount }, (_, f) => layout.type(f))
  return { layout, types }
}

const randomValue = (t: FieldType, r: () => number): number => {
  if (t.kind === 'bool') return r() < 0.5 ? 0 : 1
  if (t.kind === 'enum') return Math.floor(r() * t.values.length)
  return t.min + Math.floor(r() * (t.max - t.min + 1))
}

test('encode / decodeInto round trip, and toObject / fromObject round trip', (t) => {
  const { layout, types } = sample()
  const r = rng(42)
  const out = new Int32Array(layout.slots)
  for (let n = 0; n < 2000; n++) {
    const values = Int32Array.from(types, (ty) => randomValue(ty, r))
    const words = layout.encode(values)
    t.is(words.length, layout.words)
    layout.decodeInto(words, 0, out)
    if (!values.every((v, i) => out[i] === v)) return t.fail(`decode(encode(${values.join(',')})) = ${out.join(',')}`)
    const obj = layout.toObject(values)
    const back = layout.fromObject(JSON.parse(JSON.stringify(obj)))
    if (typeof back === 'string') return t.fail(back)
    if (!values.every((v, i) => back[i] === v)) return t.fail(`fromObject(toObject(${values.join(',')})) = ${back.join(',')}`)
  }
  t.pass()
})

test('toObject shows scalars by name, arrays as lists, enums by name, booleans as booleans', (t) => {
  const { layout } = sample()
  const values = [3, 0, 1, 2, 1, -1, 4, -5, 7, 0, 6, 3, 4]
  t.deepEqual(layout.toObject(values), {
    free: 3,
    gst: ['Q', 'R', 'D'],
    flag: true,
    wt: [-1, 4],
    big: -5,
    const: 7,
    k: ['Q', 'FAIL', 'WAIT', 'OK'],
  })
  t.deepEqual(layout.groupNames(), ['free', 'gst', 'flag', 'wt', 'big', 'const', 'k'])
})

test('decodeInto reads a state at an offset in a larger buffer', (t) => {
  const { layout, types } = sample()
  const r = rng(7)
  const a = Int32Array.from(types, (ty) => randomValue(ty, r))
  const b = Int32Array.from(types, (ty) => randomValue(ty, r))
  const buf = new Uint32Array(layout.words * 2)
  buf.set(layout.encode(a), 0)
  buf.set(layout.encode(b), layout.words)
  const out = new Int32Array(layout.slots)
  layout.decodeInto(buf, layout.words, out)
  t.deepEqual([...out], [...b])
})

test('fields never straddle two words, and packing is greedy in declaration order', (t) => {
  // Ten 3-bit fields fill 30 bits of word 0; the 11th does not fit in the 2 bits left.
  const b = new LayoutBuilder()
  b.array('x', 11, int(0, 7))
  const l = b.build()
  t.is(l.words, 2)
  for (let f = 0; f < 10; f++) {
    t.is(l.wordOf[f], 0)
    t.is(l.shiftOf[f], 3 * f)
  }
  t.is(l.wordOf[10], 1)
  t.is(l.shiftOf[10], 0)
  t.is(l.bitsUsed, 33)

  // Random widths: every field lies inside its word, and words are used in order.
  const r = rng(1234)
  for (let n = 0; n < 200; n++) {
    const lb = new LayoutBuilder()
    const count = 1 + Math.floor(r() * 40)
    for (let i = 0; i < count; i++) {
      const bits = Math.floor(r() * 31) // 0..30
      lb.scalar(`f${i}`, int(0, bits === 0 ? 0 : 2 ** bits - 1))
    }
    const ly = lb.build()
    let prevEnd = 0
    let prevWord = 0
    for (let f = 0; f < ly.fieldCount; f++) {
      const w = ly.wordOf[f]!
      const start = ly.shiftOf[f]!
      const end = start + bitsOf(ly, f)
      if (end > 32) return t.fail(`field ${f} ends at bit ${end} of word ${w}`)
      if (w < prevWord || (w === prevWord && start < prevEnd)) return t.fail(`field ${f} overlaps or goes back`)
      // Greedy: a field moves to the next word only when it does not fit in the current one.
      if (w > prevWord && prevEnd + bitsOf(ly, f) <= 32) return t.fail(`field ${f} skipped room in word ${prevWord}`)
      prevWord = w
      prevEnd = end
    }
    t.is(ly.words, prevWord + 1)
  }
})

test('unused bits stay zero, and writing a field leaves the others alone (canonical encoding)', (t) => {
  const { layout, types } = sample()
  const r = rng(99)
  for (let n = 0; n < 500; n++) {
    const values = Int32Array.from(types, (ty) => randomValue(ty, r))
    const words = layout.encode(values)
    // Bits outside every field are zero.
    const used = new Uint32Array(layout.words)
    for (let f = 0; f < layout.fieldCount; f++) used[layout.wordOf[f]!]! |= layout.maskOf[f]! << layout.shiftOf[f]!
    if (!words.every((w, i) => (w & ~used[i]!) === 0)) return t.fail('a bit outside every field is set')
    // Rewriting one field changes only that field.
    const f = Math.floor(r() * layout.fieldCount)
    const v = randomValue(types[f]!, r)
    layout.write(words, f, v)
    const expect = Int32Array.from(values)
    expect[f] = v
    t.deepEqual([...words], [...layout.encode(expect)])
  }
})

test('width limits: up to 30 bits a field, including across the sign bit of a word', (t) => {
  const b = new LayoutBuilder()
  const a = b.scalar('a', bool) // bit 0
  const c = b.scalar('c', bool) // bit 1
  const wide = b.scalar('wide', int(0, 2 ** 30 - 1)) // bits 2..31
  const last = b.scalar('last', bool) // word 1
  const neg = b.scalar('neg', int(-(2 ** 29), 2 ** 29 - 1)) // 30 bits, word 1 from bit 1
  const l = b.build()
  t.is(bitsOf(l, wide), 30)
  t.is(l.shiftOf[wide], 2)
  t.is(l.wordOf[last], 1)
  t.is(l.words, 2)
  for (const v of [0, 1, 2 ** 29, 2 ** 30 - 1]) {
    for (const n of [-(2 ** 29), -1, 0, 2 ** 29 - 1]) {
      const values = [1, 0, v, 1, n]
      const out = new Int32Array(l.slots)
      l.decodeInto(l.encode(values), 0, out)
      t.deepEqual([...out], values)
    }
  }
  t.is(l.toObject([1, 1, 2 ** 30 - 1, 0, -3]).wide, 2 ** 30 - 1)
  t.is(a, 0)
  t.is(c, 1)
  t.is(neg, 4)

  // A 1-bit field in the top bit of a word.
  const b1 = new LayoutBuilder()
  b1.scalar('low', int(0, 2 ** 30 - 1))
  b1.scalar('x', bool)
  const top = b1.scalar('top', bool)
  const l1 = b1.build()
  t.is(l1.shiftOf[top], 31)
  const w = l1.encode([5, 0, 1])
  t.is(w[0], (2 ** 31 + 5) >>> 0)
  const out = new Int32Array(3)
  l1.decodeInto(w, 0, out)
  t.deepEqual([...out], [5, 0, 1])

  // 31 bits is refused.
  const b2 = new LayoutBuilder()
  b2.scalar('toowide', int(0, 2 ** 30))
  t.throws(() => b2.build(), { instanceOf: RangeError, message: "field 'toowide' needs 31 bits; at most 30 are supported" })
})

test('a single-valued field takes no bits and decodes to its value', (t) => {
  const b = new LayoutBuilder()
  const k = b.scalar('k', int(7, 7))
  const e = b.scalar('e', enumOf('only'))
  const l = b.build()
  t.is(l.bitsUsed, 0)
  t.is(l.words, 1)
  const out = new Int32Array(2)
  l.decodeInto(l.encode([7, 0]), 0, out)
  t.deepEqual([...out], [7, 0])
  t.deepEqual(l.toObject(out), { k: 7, e: 'only' })
  t.throws(() => l.encode([8, 0]), { instanceOf: ModelError, code: 'FC300' })
  t.is(k, 0)
  t.is(e, 1)
})

test('an empty layout still has one word', (t) => {
  const l = new LayoutBuilder().build()
  t.is(l.words, 1)
  t.deepEqual([...l.encode([])], [0])
  t.deepEqual(l.toObject([]), {})
})

test('out-of-range values are ModelErrors naming the field, never wrapped', (t) => {
  const { layout } = sample()
  const ok = [3, 0, 1, 2, 1, -1, 4, -5, 7, 0, 6, 3, 4]
  t.notThrows(() => layout.encode(ok))
  const cases: [number, number, string][] = [
    [0, 10, 'free'],
    [0, -1, 'free'],
    [1, 3, 'gst[0]'],
    [4, 2, 'flag'],
    [5, -2, 'wt[0]'],
    [6, 5, 'wt[1]'],
    [7, 100001, 'big'],
    [8, 6, 'const'],
    [12, 7, 'k[3]'],
    [0, Number.NaN, 'free'],
  ]
  for (const [f, v, name] of cases) {
    const values = [...ok]
    values[f] = v
    t.throws(() => layout.encode(values), {
      instanceOf: ModelError,
      code: 'FC300',
      message: `value ${v} is outside the declared range of state field '${name}'`,
    })
    const words = layout.encode(ok)
    t.throws(() => layout.write(words, f, v), { instanceOf: ModelError, code: 'FC300' })
    t.deepEqual([...words], [...layout.encode(ok)], 'a refused write changes nothing')
  }
})

test('field declarations: empty ranges, empty enums, duplicates and late stored fields are refused', (t) => {
  t.throws(() => int(3, 2), { instanceOf: RangeError })
  t.throws(() => int(0, 1.5), { instanceOf: RangeError })
  t.throws(() => int(Number.NaN, 1), { instanceOf: RangeError })
  t.throws(() => enumOf(), { instanceOf: RangeError })
  const b = new LayoutBuilder()
  b.scalar('x', bool)
  t.throws(() => b.scalar('x', bool), { message: "state field 'x' is declared twice" })
  t.throws(() => b.array('x', 2, bool), { message: "state field 'x' is declared twice" })
  b.derived('d')
  t.throws(() => b.derived('d'), { message: "state field 'd' is declared twice" })
  t.throws(() => b.scalar('y', bool), { message: /declared after a derived value/ })
})

test('derived values get slots after the stored fields and are named', (t) => {
  const b = new LayoutBuilder()
  b.scalar('a', int(0, 3))
  b.array('xs', 2, bool)
  const d1 = b.derived('sum')
  const d2 = b.derived('any')
  const l = b.build()
  t.is(l.fieldCount, 3)
  t.is(l.slots, 5)
  t.is(d1, 3)
  t.is(d2, 4)
  t.is(l.name(d1), 'sum')
  t.is(l.name(d2), 'any')
  t.is(l.name(1), 'xs[0]')
  t.deepEqual(l.derivedNames, ['sum', 'any'])
  // Derived values are never stored or shown.
  t.deepEqual(l.toObject([1, 0, 1, 99, 99]), { a: 1, xs: [false, true] })
  const back = l.fromObject({ a: 1, xs: [false, true] })
  t.true(back instanceof Int32Array)
  t.is((back as Int32Array).length, 5)
})

test('fromObject explains what is wrong', (t) => {
  const { layout } = sample()
  const good = layout.toObject([3, 0, 1, 2, 1, -1, 4, -5, 7, 0, 6, 3, 4])
  const bad = (patch: Record<string, unknown>): unknown => layout.fromObject({ ...good, ...patch })
  t.is(layout.fromObject(null), 'a state must be a JSON object')
  t.is(layout.fromObject([1, 2]), 'a state must be a JSON object')
  t.is(layout.fromObject('x'), 'a state must be a JSON object')
  t.is(bad({ nope: 1 }), "unknown state field 'nope'")
  t.is(bad({ gst: 'Q' }), "state field 'gst' must be a list")
  t.is(bad({ gst: ['Q', 'R'] }), "state field 'gst' must have 3 items, got 2")
  t.is(bad({ gst: ['Q', 'X', 'D'] }), `state field 'gst[1]': expected one of Q, R, D, got "X"`)
  t.is(bad({ flag: 1 }), "state field 'flag': expected true or false, got 1")
  t.is(bad({ free: 10 }), "state field 'free': expected an integer in 0..9, got 10")
  t.is(bad({ free: 2.5 }), "state field 'free': expected an integer in 0..9, got 2.5")
  t.is(bad({ free: '3' }), `state field 'free': expected an integer in 0..9, got "3"`)
  const missing: Record<string, unknown> = { ...good }
  delete missing.big
  t.is(layout.fromObject(missing), "state field 'big': expected an integer in -100000..100000, got undefined")
})

// Regression tests for defects found and fixed.

test('ranges of 2^32 values or more are refused, not silently narrowed', (t) => {
  // Math.clz32 reduces its argument modulo 2^32, so a width computed with it alone would build
  // int(0, 2^32) as a 0-bit field and int(0, 2^33 + 4) as a 3-bit one, slipping past the 30-bit
  // limit (and the Int32Array range tables would wrap the bounds). Such ranges must be refused.
  for (const max of [2 ** 32, 2 ** 33 + 4]) {
    const b = new LayoutBuilder()
    b.scalar('huge', int(0, max))
    t.throws(() => b.build(), { instanceOf: RangeError }, `int(0, ${max})`)
  }
})

test('non-integer values are refused, not truncated', (t) => {
  // A check of min <= v <= max alone would let an effect computing 2.7 store 2.
  const b = new LayoutBuilder()
  b.scalar('x', int(0, 7))
  const l = b.build()
  t.throws(() => l.encode([2.7]), { instanceOf: ModelError, code: 'FC300' })
})

test('fromObject refuses a list longer than the array field', (t) => {
  const b = new LayoutBuilder()
  b.array('xs', 2, bool)
  const l = b.build()
  t.is(typeof l.fromObject({ xs: [true, false, true] }), 'string')
})
