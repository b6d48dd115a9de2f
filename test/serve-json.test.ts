/**
 * src/serve/json.ts: the server's float32 → JSON writer. Every float32 it writes reads back
 * (JSON.parse, then Math.fround) as the same float32, bit for bit (-0 included); NaN and ±Infinity
 * as null. Checked on edge values, on every float32 exponent, and on a fixed stride through all
 * 2^32 bit patterns; the text against `toPrecision(9)`'s value. And the request reader: the same
 * float32 rows as JSON.parse for every body it reads, null (the JSON.parse path) for the rest.
 */

import { describe, expect, it } from 'vitest';
import { nativeKernels } from '../src/kernels/native/loader.js';
import { readRequest, resultJson, writeNumber, writeNumbers } from '../src/serve/json.js';

const text = new TextDecoder();
const f32 = new Float32Array(1);
const bits = new Uint32Array(f32.buffer);
const fromBits = (b: number): number => {
  bits[0] = b;
  return f32[0];
};

/** Write every value into one JSON array, parse it back, return the values whose float32 differs. */
function roundTrip(values: Float32Array): { wrong: string[]; json: string } {
  const out = new Uint8Array(values.length * 16 + 2);
  let at = 0;
  out[at++] = 91;
  for (const [i, v] of values.entries()) {
    if (i > 0) out[at++] = 44;
    at = writeNumber(v, out, at);
  }
  out[at++] = 93;
  const json = text.decode(out.subarray(0, at));
  const back = JSON.parse(json) as (number | null)[];
  const wrong: string[] = [];
  for (const [i, v] of values.entries()) {
    const b = back[i];
    const ok = Number.isFinite(v) ? typeof b === 'number' && Object.is(Math.fround(b), v) : b === null;
    if (!ok && wrong.length < 10) wrong.push(`${v} -> ${JSON.stringify(b)}`);
  }
  return { wrong, json };
}

const one = (v: number): string => roundTrip(Float32Array.of(v)).json.slice(1, -1);

describe('serve JSON numbers (float32, 9 significant digits)', () => {
  it('edge values: ±0, subnormals, the largest float32, powers of ten, non-finite → null', () => {
    expect(one(0)).toBe('0');
    expect(one(-0)).toBe('-0');
    expect(one(0.5)).toBe('0.5');
    expect(one(-123.25)).toBe('-123.25');
    expect(one(1e-45)).toBe('1.40129846e-45'); // the smallest subnormal
    expect(one(-1e-45)).toBe('-1.40129846e-45');
    expect(one(3.4028235e38)).toBe('3.40282347e38'); // the largest float32
    expect(one(1.17549435e-38)).toBe('1.17549435e-38'); // the smallest normal
    expect(one(0.1)).toBe('0.100000001');
    expect(one(123456789)).toBe('123456792');
    expect(one(1e9)).toBe('1e9');
    expect(one(1e-5)).toBe('9.99999975e-6');
    expect(one(2 ** -16)).toBe('0.0000152587891');
    expect(one(1e-6)).toBe('9.99999997e-7');
    expect(one(Number.NaN)).toBe('null');
    expect(one(Number.POSITIVE_INFINITY)).toBe('null');
    expect(one(Number.NEGATIVE_INFINITY)).toBe('null');
    const edges = [0, -0, 1e-45, -1e-45, 3.4028235e38, -3.4028235e38, 1.17549435e-38, 1.1754942e-38, 0.1, 1 / 3, 1e8, 99999999, 999999999, 1e-5, 9.9999997e-6, 1, -1];
    expect(roundTrip(Float32Array.from(edges)).wrong).toEqual([]);
  });

  it('round-trips every float32 exponent (±1, ±2 ulp around each power of two and of ten) and the subnormals at the bottom', () => {
    const vs: number[] = [];
    for (let e = 0; e < 255; e++) for (const d of [0, 1, 2, 0x7ffffe, 0x7fffff]) vs.push(fromBits((e << 23) | d), fromBits(0x80000000 | (e << 23) | d));
    for (let p = -45; p <= 38; p++) {
      f32[0] = Number(`1e${p}`);
      const b = bits[0];
      for (let d = -2; d <= 2; d++) vs.push(fromBits(b + d));
    }
    for (let b = 0; b < 20000; b++) vs.push(fromBits(b));
    expect(roundTrip(Float32Array.from(vs)).wrong).toEqual([]);
  });

  it('round-trips a fixed stride through all 2^32 bit patterns, and agrees with toPrecision(9) in value', () => {
    const vs = new Float32Array(Math.floor(2 ** 32 / 16411));
    for (let i = 0; i < vs.length; i++) vs[i] = fromBits(i * 16411);
    const { wrong, json } = roundTrip(vs);
    expect(wrong).toEqual([]);
    // The same 9 significant digits as toPrecision(9) (which keeps trailing zeros and rounds the exact value).
    const back = JSON.parse(json) as (number | null)[];
    let differ = 0;
    for (const [i, v] of vs.entries()) if (Number.isFinite(v) && back[i] !== Number(v.toPrecision(9))) differ++;
    expect(differ).toBe(0);
  });

  it('a result as nested arrays: rows of the last dimension, a 1-D tensor as one array', () => {
    const r = resultJson([
      { name: 'output', shape: [2, 3], data: Float32Array.of(1, -0, 0.25, Number.NaN, 2, 3) },
      { name: 'h_n', shape: [1, 1], data: Float32Array.of(-1.5) },
    ]);
    expect(text.decode(r)).toBe('{"output":[[1,-0,0.25],[null,2,3]],"h_n":[[-1.5]]}');
    expect(text.decode(resultJson([{ name: 'output', shape: [2], data: Float32Array.of(7, 8) }]))).toBe('{"output":[7,8]}');
  });

  it('fits the longest numbers (-0.0000123456789, 16 bytes each) in the space it reserves', () => {
    const data = new Float32Array(1000).map((_, i) => -(1.23456789e-5 + i * 7.1e-9));
    expect(one(data[0])).toBe('-0.0000123456794');
    const back = JSON.parse(text.decode(resultJson([{ name: 'output', shape: [10, 100], data }]))) as { output: number[][] };
    expect(Float32Array.from(back.output.flat())).toEqual(data);
  });
});

describe('serve JSON numbers: the native writer against its oracle', () => {
  const native = nativeKernels();
  it.skipIf(native === null)('jsonRows writes the bytes of writeNumbers (edge values, every exponent, a stride through all 2^32 bit patterns)', () => {
    const vs: number[] = [0, -0, 0.5, -123.25, 1e-45, -1e-45, 3.4028235e38, -3.4028235e38, 1.17549435e-38, 0.1, 123456789, 1e9, 1e-5, 2 ** -16, 1e-6, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    for (let e = 0; e < 256; e++) for (const d of [0, 1, 2, 0x400000, 0x7ffffe, 0x7fffff]) vs.push(fromBits((e << 23) | d), fromBits(0x80000000 | (e << 23) | d));
    for (let p = -45; p <= 38; p++) {
      f32[0] = Number(`1e${p}`);
      const b = bits[0];
      for (let d = -3; d <= 3; d++) vs.push(fromBits(b + d), fromBits((b + d) | 0x80000000));
    }
    for (let b = 0; b < 20000; b++) vs.push(fromBits(b));
    for (let i = 0; i < 2 ** 32 / 4099; i++) vs.push(fromBits(i * 4099));
    const cols = 1000;
    const data = new Float32Array(Math.ceil(vs.length / cols) * cols);
    data.set(vs);
    const rows = data.length / cols;
    // The oracle: [[...],[...]] row by row through the JavaScript loop.
    const want = new Uint8Array(rows * (17 * cols + 3) + 2);
    let at = 0;
    want[at++] = 91;
    for (let r = 0; r < rows; r++) {
      if (r > 0) want[at++] = 44;
      want[at++] = 91;
      at = writeNumbers(data, r * cols, cols, want, at);
      want[at++] = 93;
    }
    want[at++] = 93;
    const got = new Uint8Array(want.length + 5);
    const end = native!.jsonRows(data, 0, rows, cols, 0, got, 5);
    expect(end - 5).toBe(at);
    const a = text.decode(want.subarray(0, at));
    const b = text.decode(got.subarray(5, end));
    if (a !== b) {
      const i = [...a].findIndex((c, k) => c !== b[k]);
      expect(b.slice(i - 40, i + 40)).toBe(a.slice(i - 40, i + 40));
    }
    // One row, 1-D; and a row from an offset.
    const one = new Uint8Array(64);
    expect(text.decode(one.subarray(0, native!.jsonRows(Float32Array.of(9, 7, 8), 1, 1, 2, 1, one, 0)))).toBe('[7,8]');
  });

  it.skipIf(native === null)('jsonRows refuses an output buffer too short for the worst case, writing nothing', () => {
    const out = new Uint8Array(20);
    expect(() => native!.jsonRows(Float32Array.of(1, 2), 0, 1, 2, 0, out, 0)).toThrow(/shorter than its shape needs/);
    expect(out.every((x) => x === 0)).toBe(true);
    expect(() => native!.jsonRows(Float32Array.of(1, 2), 0, 1, 2, 0, new Float32Array(100) as unknown as Uint8Array, 0)).toThrow(/expected a Uint8Array/);
  });
});

/** What the JSON.parse path makes of a body: the rows as float32, or null where the shape is not the usual one. */
function viaJsonParse(body: string, F: number, maxLength: number): { seqs: Float32Array[]; batch: boolean } | null {
  let doc: { inputs?: unknown };
  try {
    doc = JSON.parse(body) as { inputs?: unknown };
  } catch {
    return null;
  }
  const inputs = doc.inputs as number[][][] | number[][];
  const batch = Array.isArray(inputs[0]?.[0]);
  const seqs = (batch ? (inputs as number[][][]) : [inputs as number[][]]).map((s) => {
    if (s.length < 1 || s.length > maxLength || s.some((r) => r.length !== F)) throw new Error('not the usual shape');
    return Float32Array.from(s.flat());
  });
  return { seqs, batch };
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && new Uint32Array(a.buffer, a.byteOffset, a.length).every((x, i) => x === new Uint32Array(b.buffer, b.byteOffset, b.length)[i]);
}

describe('serve request reader (readRequest)', () => {
  const enc = new TextEncoder();
  const read = (body: string, F: number, maxLength = 100) => readRequest(enc.encode(body), F, maxLength);

  it('reads the usual bodies to the same float32 bits as JSON.parse (all number spellings, whitespace, key order, batches)', () => {
    let s = 7;
    const rnd = (): number => {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      return s / 2 ** 31;
    };
    // Number spellings: shortest doubles (up to 17 digits: Number() fallback), 9 digits, exponents, huge and tiny, ±0.
    const spell = [
      (x: number) => JSON.stringify(x),
      (x: number) => x.toPrecision(9),
      (x: number) => x.toExponential(3).replace('e+', 'E+'),
      (x: number) => (x * 1e-30).toExponential(),
      (x: number) => (x * 1e36).toExponential(8),
      (x: number) => (x * 1e50).toExponential(),
      (x: number) => String(Math.round(x * 1e6)),
      (x: number) => (x * 1e-7).toFixed(20),
      () => '-0',
      () => '0',
      () => '-0.0e5',
      () => '123456789012345678901234567890',
      () => '1e-46',
      () => '3.4028235677973366e38',
    ];
    let checked = 0;
    for (let trial = 0; trial < 200; trial++) {
      const F = 1 + (trial % 7);
      const B = 1 + (trial % 4);
      const lengths = Array.from({ length: B }, () => 1 + Math.floor(rnd() * 9));
      const seq = (L: number): string[][] => Array.from({ length: L }, () => Array.from({ length: F }, () => spell[Math.floor(rnd() * spell.length)]!((rnd() - 0.5) * 20)));
      const seqs = lengths.map(seq);
      const gap = [' ', '', '\n  ', '\t', '\r\n'][trial % 5]!;
      const row = (r: string[]) => `[${gap}${r.join(`,${gap}`)}${gap}]`;
      const one = (q: string[][]) => `[${gap}${q.map(row).join(`,${gap}`)}${gap}]`;
      const inputs = trial % 2 ? one(seqs[0]!) : `[${seqs.map(one).join(`,${gap}`)}]`;
      const outputs = trial % 3 === 0 ? '' : `"outputs"${gap}:${gap}["h_n", "c_n"]`;
      const fields = [`"inputs"${gap}:${gap}${inputs}`, outputs].filter((f) => f !== '');
      const body = `${gap}{${gap}${(trial % 4 === 0 ? fields.reverse() : fields).join(`,${gap}`)}${gap}}${gap}`;
      const want = viaJsonParse(body, F, 100);
      const got = read(body, F);
      expect(got, body).not.toBeNull();
      expect(got!.batch).toBe(want!.batch);
      expect(got!.outputs).toEqual(outputs ? ['h_n', 'c_n'] : undefined);
      expect(got!.seqs.map((q) => q.length)).toEqual(want!.seqs.map((q) => q.length / F));
      for (const [i, q] of got!.seqs.entries()) expect(sameBits(q.data, want!.seqs[i]!), `${body} sequence ${i}`).toBe(true);
      checked++;
    }
    expect(checked).toBe(200);
  });

  it('leaves everything else to the JSON.parse path (null): bad JSON, other keys, wrong counts, over maxLength', () => {
    const bad = [
      '',
      '{"inputs": [[1, 2, 3',
      '{"inputs": [[01, 2]]}',
      '{"inputs": [[1., 2]]}',
      '{"inputs": [[.5, 2]]}',
      '{"inputs": [[+1, 2]]}',
      '{"inputs": [[1e, 2]]}',
      '{"inputs": [[-, 2]]}',
      '{"inputs": [[NaN, 2]]}',
      '{"inputs": [[1, 2],]}',
      '{"inputs": [[1, 2]]} x',
      '{"inputs": [[1, 2]],}',
      '{"inputs": [[1, 2]], "extra": 1}',
      '{"inputs": [[1, 2]], "inputs": [[3, 4]]}',
      '{"inputs": [[1, 2, 3]]}',
      '{"inputs": [[1]]}',
      '{"inputs": []}',
      '{"inputs": [[[1, 2]], []]}',
      '{"inputs": [[1, "2"]]}',
      '{"in\\u0070uts": [[1, 2]]}',
      '{"inputs": [[1, 2]], "outputs": "h_n"}',
      '[[1, 2]]',
      `{"inputs": [${Array.from({ length: 4 }, () => '[1, 2]').join(',')}]}`,
    ];
    for (const body of bad) expect(read(body, 2, 3), body).toBeNull();
    expect(read('{"inputs": [[1, 2], [3, 4], [5, 6]]}', 2, 3)?.seqs[0]?.length).toBe(3);
  });
});
