import { Bool, Table, makeVector, tableFromIPC, tableToIPC, vectorFromArray, Float64, Utf8, type Data, type Vector } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { boolValues, boolVector, concatData, float64Vector, int64Values, listLengths, numberValues, timestampMsVector, utf8ListVector, utf8Values, utf8Vector } from '../../src/chunks/arrow-columns.js';

/** Through an IPC stream and back, as chunks travel between the steps. */
function roundTrip(columns: Record<string, Vector>): Table {
  return tableFromIPC(tableToIPC(new Table(columns), 'stream'));
}

describe('Arrow columns built into their buffers', () => {
  it.each([
    ['ASCII with nulls', ['a', null, '', 'dd', null]],
    ['non-ASCII', ['Zürich', '東京', null, '😀x', 'plain']],
    ['a lone surrogate becomes U+FFFD', ['ok', '\uD800']],
    ['lone surrogates that would pair if joined stay apart', ['é', '\uD83D', '\uDE00', 'abc', 'x']],
    ['empty', []],
    ['no nulls', ['x', 'y']],
  ])('text, %s: read back by Arrow itself as written', (_what, values) => {
    const table = roundTrip({ v: utf8Vector(values) });
    const expected = values.map((v) => (v !== null && /^[\uD800-\uDFFF]$/.test(v) ? '\uFFFD' : v));
    expect(Array.from({ length: table.numRows }, (_, i) => table.getChild('v')!.get(i))).toEqual(expected);
    expect(utf8Values(table.getChild('v')!)).toEqual(expected);
    expect(table.getChild('v')!.nullCount).toBe(values.filter((v) => v === null).length);
  });

  it('text: the same values as apache-arrow\'s own builder gives', () => {
    const values = Array.from({ length: 1000 }, (_, i) => (i % 7 === 0 ? null : `T${i}${i % 5 === 0 ? 'é' : ''}`));
    const ours = roundTrip({ v: utf8Vector(values) }).getChild('v')!;
    const theirs = vectorFromArray(values, new Utf8());
    expect(utf8Values(ours)).toEqual(Array.from({ length: theirs.length }, (_, i) => theirs.get(i)));
  });

  it('reads a sliced column (offset into its buffers) and several batches', () => {
    const values = ['a', null, 'bb', 'ccc', null, 'dddd', 'e', 'f', 'g', 'h'];
    const vector = utf8Vector(values);
    expect(utf8Values(vector.slice(3, 9))).toEqual(values.slice(3, 9));
    const nums = [1, null, 3, 4, null, 6, 7, 8, 9, 10];
    expect(numberValues(float64Vector(nums).slice(1, 10))).toEqual(nums.slice(1, 10));
    const twoBatches = utf8Vector(['x', null]).concat(utf8Vector([null, 'y', 'z']));
    expect(utf8Values(twoBatches)).toEqual(['x', null, null, 'y', 'z']);
  });

  it('doubles keep nulls, NaN and infinities apart', () => {
    const values = [1.5, null, Number.NaN, -Infinity, 0, undefined];
    const col = roundTrip({ v: float64Vector(values) }).getChild('v')!;
    expect(numberValues(col)).toEqual([1.5, null, Number.NaN, -Infinity, 0, null]);
    expect(String(col.type)).toBe(String(new Float64()));
  });

  it('timestamps are UTC milliseconds; booleans and lists of text read back', () => {
    const t = Date.UTC(2026, 11, 1, 9, 30, 0, 123);
    const table = roundTrip({
      ts: timestampMsVector([t, null]),
      flag: boolVector([true, false, true, true, false, false, false, false, true].slice(0, 2)),
      issues: utf8ListVector([['price_spike', 'duplicate'], []]),
    });
    expect(table.getChild('ts')!.get(0)).toBe(t);
    expect(table.getChild('ts')!.get(1)).toBeNull();
    expect(String(table.schema.fields[0].type)).toBe('Timestamp<MILLISECOND, UTC>');
    expect([table.getChild('flag')!.get(0), table.getChild('flag')!.get(1)]).toEqual([true, false]);
    expect(Array.from(table.getChild('issues')!.get(0)!.toArray())).toEqual(['price_spike', 'duplicate']);
    expect(table.getChild('issues')!.get(1)!.length).toBe(0);
  });

  it('booleans past the first byte', () => {
    const values = Array.from({ length: 20 }, (_, i) => i % 3 === 0);
    const col = roundTrip({ v: boolVector(values) }).getChild('v')!;
    expect(Array.from({ length: 20 }, (_, i) => col.get(i))).toEqual(values);
  });

  it('reads booleans, timestamps and list lengths back as plain values, nulls included', () => {
    const t = Date.UTC(2026, 11, 1, 9, 30);
    const table = roundTrip({
      flag: vectorFromArray([true, null, false, true], new Bool()),
      ts: timestampMsVector([t, null, t + 1, 0]),
      issues: utf8ListVector([['a'], [], ['b', 'c'], []]),
    });
    expect(boolValues(table.getChild('flag')!)).toEqual([true, false, false, true]);
    expect(int64Values(table.getChild('ts')!)).toEqual([t, null, t + 1, 0]);
    expect(Array.from(listLengths(table.getChild('issues')!))).toEqual([1, 0, 2, 0]);
    // Sliced: the bitmaps are read at the slice's offset.
    expect(boolValues(boolVector([false, false, false, true, true]).slice(3))).toEqual([true, true]);
    expect(Array.from(listLengths(utf8ListVector([['x'], ['y', 'z'], []]).slice(1)))).toEqual([2, 0]);
  });
});

describe('concatData', () => {
  const text = ['a', null, 'été', '', null, 'z"q', 'T9', null, 'x', 'y', '😀', null, 'end'];
  const numbers = [1.5, null, -0, Number.NaN, 7, null, 3, 4, null, 1e300, 2, 0, null];
  const ints = Int32Array.from({ length: 13 }, (_, i) => i * 1000 - 5);
  /** The buffers of a column built whole, and of the same column joined from pieces read back from IPC. */
  const bothWays = (build: (from: number, to: number) => Vector, cuts: number[]) => {
    const buffers = (d: Data) => ({
      length: d.length,
      nullCount: d.nullCount,
      nullBitmap: d.nullCount ? Array.from(d.nullBitmap!) : undefined,
      valueOffsets: d.valueOffsets ? Array.from(d.valueOffsets) : undefined,
      values: Array.from(new Uint8Array(d.values.buffer, d.values.byteOffset, d.values.byteLength)),
    });
    const whole = build(0, 13).data[0];
    const pieces = [...cuts, 13].map((to, k, ends) => tableFromIPC(tableToIPC(new Table({ c: build(k === 0 ? 0 : ends[k - 1], to) }), 'stream')).batches[0].data.children[0]);
    return { whole: buffers(whole), joined: buffers(concatData(pieces)) };
  };

  it.each([
    ['text with nulls', (a: number, b: number) => utf8Vector(text.slice(a, b))],
    ['doubles with nulls, NaN and -0', (a: number, b: number) => float64Vector(numbers.slice(a, b))],
    ['32-bit integers', (a: number, b: number) => makeVector(ints.slice(a, b))],
    ['text whose first pieces have no null', (a: number, b: number) => utf8Vector(text.map((v, i) => (i < 4 ? (v ?? `n${i}`) : v)).slice(a, b))],
    ['doubles whose first pieces have no null', (a: number, b: number) => float64Vector(numbers.map((v, i) => (i < 5 ? (v ?? i) : v)).slice(a, b))],
  ])('joins %s into the bytes of the column built at once, wherever it is cut', (_what, build) => {
    for (const cuts of [[], [1], [2, 3], [8], [5, 6, 12], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]]) {
      const { whole, joined } = bothWays(build, cuts);
      expect(joined).toEqual(whole);
    }
  });

  it('refuses columns of other types', () => {
    expect(() => concatData([boolVector([true]).data[0]])).toThrow(/does not join/);
  });
});
