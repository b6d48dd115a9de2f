/**
 * The JSON of a served sequence's results, written as bytes (no strings, no toPrecision): each
 * float32 with 9 significant digits, trailing zeros dropped (`0.5`, `-0`, `1.40129846e-45`,
 * `3.40282347e38`), which reads back (JSON.parse, then Math.fround) as the same float32, -0
 * included; NaN and ±Infinity, which JSON cannot hold, as `null`. Measured (CPU time, best of 40,
 * loaded machine): ~25 ns a number of an LSTM's outputs (a batch's answers, 16 x 6,528 numbers), against
 * ~1.2-2.7 µs for `toPrecision(9)` and string concatenation.
 */

import { call, nativeKernels } from '../kernels/native/loader.js';
import type { RawTensor } from './model.js';

/** 10^(i - 60). */
const POW10 = Float64Array.from({ length: 121 }, (_, i) => Number(`1e${i - 60}`));
/** The float32 being written, and its bits. */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Most bytes one number takes: `-0.0000123456789` (`-1.23456789e-45` is one less). */
const NUMBER_BYTES = 16;

/** "000" to "999": three ASCII digits in the low bytes of a little-endian uint32. */
const TRIPLES = Uint32Array.from({ length: 1000 }, (_, i) => (48 + Math.floor(i / 100)) | ((48 + (Math.floor(i / 10) % 10)) << 8) | ((48 + (i % 10)) << 16));

/** The 9 digits of the integer n (1e8 <= n < 1e9) at [p, p + 9) of dv's bytes: three groups of three, int32 arithmetic. */
function nineDigits(n: number, dv: DataView, p: number): void {
  const a = (n / 1000000) | 0;
  const r = n - a * 1000000;
  const b = (r / 1000) | 0;
  const c = TRIPLES[r - b * 1000];
  dv.setUint32(p, TRIPLES[a], true); // its 4th byte is overwritten by the next group
  dv.setUint32(p + 3, TRIPLES[b], true);
  dv.setUint16(p + 6, c, true);
  dv.setUint8(p + 8, c >>> 16);
}

/**
 * Write `count` float32 values `d[start ...]` as JSON numbers (see the file header), separated by
 * commas, into `out` at `at`; returns the position after the last. `out` needs (NUMBER_BYTES + 1)
 * * count free. The values are read here, in this loop, and never passed to a function as doubles:
 * a double argument of a call that is not inlined is boxed (a heap number per value, which made
 * the workers' young-generation collections a sizeable part of their time).
 */
export function writeNumbers(d: Float32Array, start: number, count: number, out: Uint8Array, at: number): number {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let k = 0; k < count; k++) {
    if (k > 0) out[at++] = 44; // ,
    let v = d[start + k];
    f32[0] = v;
    const bits = u32[0];
    const be = (bits >>> 23) & 255;
    if (be === 255) {
      out[at] = 110; // null
      out[at + 1] = 117;
      out[at + 2] = 108;
      out[at + 3] = 108;
      at += 4;
      continue;
    }
    // The sign without a branch (it is random in a model's outputs): a '-' written always, stepped over when negative.
    out[at] = 45;
    at += bits >>> 31;
    v = Math.abs(v);
    if (v === 0) {
      out[at++] = 48;
      continue;
    }
    // e = floor(log10(v)): log10(2) * the binary exponent (1233 / 4096) is it or one less; the table says which.
    let e = ((be === 0 ? -118 - Math.clz32(bits & 0x7fffff) : be - 127) * 1233) >> 12;
    if (v >= POW10[61 + e]) e++;
    // n: the 9 significant digits as an integer in [1e8, 1e9], v ~ n * 10^(e - 8). The product is
    // rounded twice at most (10^k and the multiply, each within 2^-53 relative), far inside what 9
    // digits need to name a float32 (a float32 is 2^-24 wide relative; 9 digits step by <= 1e-8).
    let n = Math.round(v * POW10[68 - e]) | 0;
    if (n >= 1000000000) {
      n = 100000000;
      e++;
    }
    // All 9 digits are written, then the trailing zeros dropped (the first digit is not 0).
    if (e < 0 && e >= -5) {
      // 0.000123: "0.0000000" written whole, the digits over it after "0." and -e - 1 zeros (no loop to mispredict)
      dv.setUint32(at, 0x30302e30, true);
      dv.setUint32(at + 4, 0x30303030, true);
      at += 1 - e;
      nineDigits(n, dv, at);
      at += 9;
      while (out[at - 1] === 48) at--;
      continue;
    }
    let end: number;
    if (e >= 0 && e < 9) {
      // 123.456: the digits one place on, the integer's digits moved back over the point's place
      nineDigits(n, dv, at + 1);
      for (let i = 0; i <= e; i++) out[at + i] = out[at + i + 1];
      out[at + e + 1] = 46;
      end = at + 10;
      while (out[end - 1] === 48) end--;
      at = out[end - 1] === 46 ? end - 1 : end; // 12300: an integer, no point
      continue;
    }
    // 1.23e-7
    nineDigits(n, dv, at + 1);
    out[at] = out[at + 1];
    out[at + 1] = 46;
    end = at + 10;
    while (out[end - 1] === 48) end--;
    at = out[end - 1] === 46 ? end - 1 : end;
    out[at++] = 101; // e
    if (e < 0) {
      out[at++] = 45;
      e = -e;
    }
    if (e >= 10) {
      const q = (e / 10) | 0;
      out[at++] = 48 + q;
      e -= q * 10;
    }
    out[at++] = 48 + e;
  }
  return at;
}

const one = new Float32Array(1);
/**
 * Write the float32 `v` as a JSON number (see the file header) into `out` at `at`; returns the
 * position after it. `out` needs NUMBER_BYTES free. (For one value; rows go through writeNumbers.)
 */
export function writeNumber(v: number, out: Uint8Array, at: number): number {
  one[0] = v;
  return writeNumbers(one, 0, 1, out, at);
}

const utf8 = new TextEncoder();
const KEYS = new Map<string, Uint8Array>();
/** `"name":` as bytes. */
function key(name: string): Uint8Array {
  let k = KEYS.get(name);
  if (k === undefined) KEYS.set(name, (k = utf8.encode(`"${name}":`)));
  return k;
}

/** Most bytes resultJsonInto writes for `r`. */
export function resultJsonBytes(r: readonly RawTensor[]): number {
  let n = 2;
  for (const t of r) n += key(t.name).length + 3 + t.data.length * (NUMBER_BYTES + 1) + (t.data.length / (t.shape[t.shape.length - 1] || 1)) * 3;
  return n;
}

/**
 * One sequence's results as JSON into `out` at `at` (resultJsonBytes(r) bytes free):
 * `{"output":[[...],...],"h_n":[[...]],"c_n":[[...]]}`, each tensor as nested arrays (rows of its
 * last dimension; a 1-D tensor one array). Returns the position after it.
 */
export function resultJsonInto(r: readonly RawTensor[], out: Uint8Array, at: number): number {
  // The native tier's writer when it runs (the same bytes, about 4x faster), else the loop below.
  const native = nativeKernels();
  out[at++] = 123; // {
  for (let i = 0; i < r.length; i++) {
    const t = r[i];
    if (i > 0) out[at++] = 44;
    const k = key(t.name);
    out.set(k, at);
    at += k.length;
    const oneD = t.shape.length === 1;
    const cols = t.shape[t.shape.length - 1] ?? 1;
    const rows = oneD ? 1 : t.data.length / cols;
    const d = t.data;
    if (native !== null) {
      const from = at;
      at = call(() => native.jsonRows(d, 0, rows, cols, oneD ? 1 : 0, out, from));
      continue;
    }
    if (!oneD) out[at++] = 91; // [
    for (let row = 0; row < rows; row++) {
      if (row > 0) out[at++] = 44;
      out[at++] = 91;
      const base = row * cols;
      at = writeNumbers(d, base, cols, out, at);
      out[at++] = 93; // ]
    }
    if (!oneD) out[at++] = 93;
  }
  out[at++] = 125; // }
  return at;
}

/** One sequence's results as JSON bytes (resultJsonInto into a buffer of its own). */
export function resultJson(r: readonly RawTensor[]): Uint8Array {
  const out = new Uint8Array(resultJsonBytes(r));
  return out.subarray(0, resultJsonInto(r, out, 0));
}

const ascii = new TextDecoder();

/** readRequest's row scratch, kept between requests up to 1 MB (a larger body gets its own). */
let scratch = new Float32Array(4096);
function scratchRows(n: number): Float32Array {
  if (n <= scratch.length) return scratch;
  const rows = new Float32Array(n);
  if (n <= 262144) scratch = rows;
  return rows;
}

/** A request body the fast reader understood: its sequences (rows of F floats), whether it was a batch, and its raw `"outputs"` value. */
export interface FastRequest {
  readonly seqs: { readonly data: Float32Array; readonly length: number }[];
  readonly batch: boolean;
  readonly outputs: unknown;
}

/** The first position at or after i that is not JSON whitespace. */
function skipWs(body: Uint8Array, i: number): number {
  const n = body.length;
  while (i < n) {
    const c = body[i];
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) break;
    i++;
  }
  return i;
}

/** The value readNumber read last (a typed array: the double is stored, never boxed). */
const NUMBER = new Float64Array(1);

/** One JSON number at i: its value into NUMBER[0]; returns the position after it, or -1 if there is none. */
function readNumber(body: Uint8Array, i: number): number {
  const start = i;
  let neg = false;
  if (body[i] === 45) {
    neg = true;
    i++;
  }
  let m = 0;
  let digits = 0;
  let scale = 0;
  let c = body[i];
  if (c === 48) {
    i++;
    c = body[i];
  } else if (c >= 49 && c <= 57) {
    do {
      m = m * 10 + (c - 48);
      if (m !== 0) digits++;
      c = body[++i];
    } while (c >= 48 && c <= 57);
  } else return -1;
  if (c === 46) {
    c = body[++i];
    if (!(c >= 48 && c <= 57)) return -1;
    do {
      m = m * 10 + (c - 48);
      if (m !== 0) digits++;
      scale--;
      c = body[++i];
    } while (c >= 48 && c <= 57);
  }
  if (c === 101 || c === 69) {
    c = body[++i];
    let eneg = false;
    if (c === 43 || c === 45) {
      eneg = c === 45;
      c = body[++i];
    }
    if (!(c >= 48 && c <= 57)) return -1;
    let e = 0;
    do {
      if (e < 10000) e = e * 10 + (c - 48);
      c = body[++i];
    } while (c >= 48 && c <= 57);
    scale += eneg ? -e : e;
  }
  let v: number;
  if (digits <= 15 && scale >= -22 && scale <= 22) v = scale < 0 ? m / POW10[60 - scale] : m * POW10[60 + scale];
  else v = Number(ascii.decode(body.subarray(neg ? start + 1 : start, i)));
  NUMBER[0] = neg ? -v : v;
  return i;
}

/**
 * Read a JSON request body `{"inputs": [[x, ...], ...]}` (one sequence) or `{"inputs": [[[...]],
 * ...]}` (a batch), with an optional `"outputs": [...]`, straight from its bytes into float32
 * rows, without building JavaScript arrays. Only well-formed bodies of that shape whose every row
 * has F numbers and every sequence 1 to maxLength steps are read; for anything else (other keys,
 * escapes in strings, bad JSON, a wrong count, ...) it returns null, and the caller's JSON.parse
 * path says what is wrong. A number is the float32 nearest to JSON.parse's double: decimal
 * mantissas of at most 15 digits with a power of ten up to 22 are exact in the double arithmetic
 * (Clinger's fast path); others go through Number().
 */
export function readRequest(body: Uint8Array, F: number, maxLength: number): FastRequest | null {
  // Plain loops over a local position, helpers that take and return it (no closures: a position
  // captured by closures lives in memory, and every byte read went through it).
  const n = body.length;
  let i = 0;
  let rows = scratchRows(Math.max(16, n >> 2));
  let at = 0;
  const lengths: number[] = [];
  let batch = false;
  let inputs = false;
  let outputs: unknown;
  i = skipWs(body, i);
  if (body[i] !== 123) return null;
  i++;
  for (;;) {
    i = skipWs(body, i);
    if (body[i] !== 34) return null;
    const k0 = ++i;
    while (i < n && body[i] !== 34 && body[i] !== 92) i++;
    if (body[i] !== 34) return null;
    const key = i - k0 <= 16 ? ascii.decode(body.subarray(k0, i)) : '';
    i = skipWs(body, i + 1);
    if (body[i] !== 58) return null;
    i = skipWs(body, i + 1);
    if (key === 'inputs' && !inputs) {
      inputs = true;
      if (body[i] !== 91) return null;
      i = skipWs(body, i + 1);
      if (body[i] !== 91) return null;
      // Depth: `[[[` is a batch of sequences, `[[` one sequence.
      batch = body[skipWs(body, i + 1)] === 91;
      for (;;) {
        if (batch) {
          i = skipWs(body, i);
          if (body[i] !== 91) return null;
          i++;
        }
        // A sequence `[[F numbers], ...]`, its opening bracket passed.
        let steps = 0;
        for (;;) {
          i = skipWs(body, i);
          if (body[i] !== 91) return null;
          i++;
          if (at + F > rows.length) {
            const more = new Float32Array(Math.max(rows.length * 2, at + F));
            more.set(rows);
            rows = more;
          }
          for (let f = 0; f < F; f++) {
            i = skipWs(body, i);
            if (f > 0) {
              if (body[i] !== 44) return null;
              i = skipWs(body, i + 1);
            }
            i = readNumber(body, i);
            if (i < 0) return null;
            rows[at++] = NUMBER[0];
          }
          i = skipWs(body, i);
          if (body[i] !== 93) return null;
          i = skipWs(body, i + 1);
          if (++steps > maxLength) return null;
          const c = body[i++];
          if (c === 93) break;
          if (c !== 44) return null;
        }
        lengths.push(steps);
        if (!batch) break;
        i = skipWs(body, i);
        const c = body[i++];
        if (c === 93) break;
        if (c !== 44) return null;
      }
    } else if (key === 'outputs' && outputs === undefined) {
      // A short list of names: JSON.parse of its slice (no brackets or escapes inside the names).
      if (body[i] !== 91) return null;
      const o0 = i;
      while (i < n && body[i] !== 93 && body[i] !== 92) i++;
      if (body[i] !== 93) return null;
      i++;
      try {
        outputs = JSON.parse(ascii.decode(body.subarray(o0, i)));
      } catch {
        return null;
      }
    } else return null;
    i = skipWs(body, i);
    const c = body[i++];
    if (c === 125) break;
    if (c !== 44) return null;
  }
  i = skipWs(body, i);
  if (i !== n || !inputs) return null;
  // The rows leave in a buffer of their own, of their size (the scratch is the next request's).
  const data = rows.slice(0, at);
  const seqs: { data: Float32Array; length: number }[] = [];
  let off = 0;
  for (const L of lengths) {
    seqs.push({ data: data.subarray(off, off + L * F), length: L });
    off += L * F;
  }
  return { seqs, batch, outputs };
}
