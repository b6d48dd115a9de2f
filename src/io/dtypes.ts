/**
 * Raw little-endian element decoding shared by the safetensors and PyTorch-checkpoint readers.
 *
 * File dtypes use safetensors' names (F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL).
 * torchlet computes in float32 (float64 on request), so:
 * - F16 and BF16 widen to float32 exactly (every half and bfloat16 value is a float32 value);
 * - F64 rounds to float32 unless `keepFloat64` is set;
 * - I64 (PyTorch's default integer dtype) loads as int64, I32 as int32, BOOL as bool;
 * - I16, I8 and U8 (dtypes torchlet lacks) widen to int32 exactly.
 * PyTorch parity: torchlet's int64 is stored in 32 bits, so an I64 value outside the int32 range
 * is refused (FormatError naming the value and the tensor) rather than wrapped.
 * The writers store int64 as I64 (PyTorch: LongStorage), int32 as I32, bool as BOOL.
 */

import { FormatError } from '../errors.js';
import type { DType, Storage } from '../tensor/dtype.js';
import { allocStorage } from '../tensor/dtype.js';

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export type FileDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** Bytes per element of each file dtype. */
export const FILE_DTYPE_BYTES: Readonly<Record<FileDType, number>> = Object.freeze({
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
});

export function isFileDType(s: unknown): s is FileDType {
  return typeof s === 'string' && Object.hasOwn(FILE_DTYPE_BYTES, s);
}

/** Bytes per element of each torchlet dtype in memory (int64 is stored in 32 bits): what a loader allocates. */
export const LOADED_DTYPE_BYTES: Readonly<Record<DType, number>> = Object.freeze({ float32: 4, float64: 8, int32: 4, int64: 4, bool: 1 });

/** The torchlet dtype a file dtype loads as. */
export function loadedDType(dtype: FileDType, keepFloat64: boolean): DType {
  if (dtype === 'F64') return keepFloat64 ? 'float64' : 'float32';
  if (dtype === 'F32' || dtype === 'F16' || dtype === 'BF16') return 'float32';
  if (dtype === 'I64') return 'int64';
  if (dtype === 'BOOL') return 'bool';
  return 'int32';
}

/** The file dtype torchlet writes for each of its dtypes (safetensors' names). */
export const SAVED_FILE_DTYPE: Readonly<Record<DType, FileDType>> = Object.freeze({
  float32: 'F32', float64: 'F64', int32: 'I32', int64: 'I64', bool: 'BOOL',
});

/**
 * The little-endian bytes of a storage as it is written to a file: float32/float64/int32 as they
 * are, int64 sign-extended to 8 bytes per element, bool as one 0/1 byte per element.
 */
export function encodeStorage(data: Storage, dtype: DType): Uint8Array {
  if (dtype === 'int64') {
    const out = new Uint8Array(data.length * 8);
    const dv = new DataView(out.buffer);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      dv.setInt32(i * 8, v, true);
      dv.setInt32(i * 8 + 4, v < 0 ? -1 : 0, true);
    }
    return out;
  }
  if (!LITTLE_ENDIAN_HOST && dtype !== 'bool') {
    const width = FILE_DTYPE_BYTES[SAVED_FILE_DTYPE[dtype]];
    const out = new Uint8Array(data.length * width);
    const dv = new DataView(out.buffer);
    for (let i = 0; i < data.length; i++) {
      if (dtype === 'float32') dv.setFloat32(i * 4, data[i], true);
      else if (dtype === 'float64') dv.setFloat64(i * 8, data[i], true);
      else dv.setInt32(i * 4, data[i], true);
    }
    return out;
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
}

/** IEEE 754 binary16 bits to a number (exact). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return sign * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (e - 15) * (1 + f / 1024);
}

/**
 * Decode `n` elements of `dtype` stored little-endian at `bytes[at..]` into a fresh storage.
 * The caller has checked that the bytes exist. `what` names the tensor for error messages.
 */
export function decodeElements(bytes: Uint8Array, at: number, n: number, dtype: FileDType, keepFloat64: boolean, what: string): Storage {
  const width = FILE_DTYPE_BYTES[dtype];
  const outType = loadedDType(dtype, keepFloat64);
  if (LITTLE_ENDIAN_HOST && (dtype === 'F32' || dtype === 'I32' || (dtype === 'F64' && keepFloat64))) {
    // Copy into a fresh, aligned buffer of exactly these bytes, so the typed array view is legal
    // (not bytes.slice(): a Node Buffer's own slice() is a view of its shared memory).
    const copy = new Uint8Array(n * width);
    copy.set(bytes.subarray(at, at + n * width));
    const buf = copy.buffer;
    return dtype === 'F32' ? new Float32Array(buf) : dtype === 'I32' ? new Int32Array(buf) : new Float64Array(buf);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset + at, n * width);
  const out = allocStorage(outType, n);
  switch (dtype) {
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(i * 8, true);
      break;
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
      break;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(i * 2, true));
      break;
    case 'BF16': {
      const bits = new Uint32Array(1);
      const asFloat = new Float32Array(bits.buffer);
      for (let i = 0; i < n; i++) {
        bits[0] = dv.getUint16(i * 2, true) << 16;
        out[i] = asFloat[0];
      }
      break;
    }
    case 'I64':
      for (let i = 0; i < n; i++) {
        const lo = dv.getUint32(i * 8, true);
        const hi = dv.getInt32(i * 8 + 4, true);
        // In int32 range exactly when the high word is the sign extension of the low word.
        if (hi !== (lo & 0x80000000 ? -1 : 0)) {
          throw new FormatError(
            `${what}: int64 value ${dv.getBigInt64(i * 8, true)} at element ${i} does not fit in torchlet's int64, which is stored in 32 bits (range [-2147483648, 2147483647])`,
          );
        }
        out[i] = lo | 0;
      }
      break;
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(i * 4, true);
      break;
    case 'I16':
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(i * 2, true);
      break;
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = dv.getInt8(i);
      break;
    case 'U8':
      for (let i = 0; i < n; i++) out[i] = dv.getUint8(i);
      break;
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = dv.getUint8(i) !== 0 ? 1 : 0;
      break;
  }
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE binary16 bits, rounding to nearest even (as PyTorch's `.half()`); overflow → ±inf. */
export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the full significand down to units of 2^-24.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to inf).
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** float32 → bfloat16 bits, rounding to nearest even (as PyTorch's `.bfloat16()`); NaN stays NaN. */
export function floatToBFloat16(value: number): number {
  f32[0] = value;
  const x = u32[0];
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}
