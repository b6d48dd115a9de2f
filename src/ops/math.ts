/**
 * More elementwise maths, broadcasting and promoting as PyTorch: rounding (`floor`, `ceil`,
 * `round`, `trunc`, `frac`), exponentials and logs (`exp2`, `log2`, `log1p`, `expm1`, `rsqrt`),
 * `sign`, `remainder`/`fmod`, `lerp`, `addcmul`/`addcdiv`, float classification (`isinf`,
 * `isfinite`, `nanToNum`), closeness (`isclose`, `allclose`, `equal`) and bitwise ops.
 * PyTorch: `torch.floor`, `torch.remainder`, ... Forward beside backward.
 */

import { record } from '../autograd/node.js';
import { ArgumentTypeError, DTypeError, RuntimeError } from '../errors.js';
import { forEachStrided } from '../kernels/ref/elementwise.js';
import { defineOptions, opt } from '../options.js';
import { checkNumber, checkOperand, checkTensor } from '../tensor/args.js';
import type { DType, Storage } from '../tensor/dtype.js';
import { allocStorage, castStorage, castValue, isFloat, resultType } from '../tensor/dtype.js';
import { broadcastShapes, broadcastStrides, numel } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { add, clamp, div, mul, neg, sub } from './elementwise.js';
import { asTensor, cName, sumToShape, toDtype } from './util.js';

// ---- plumbing --------------------------------------------------------------------------------

/** f applied to every element of x (row-major), stored as `dtype` (int64 range-checked). */
function map(x: Tensor, f: (v: number) => number, dtype: DType, what: string): Tensor {
  const src = x.contiguousData();
  const out = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = f(src[i]);
  return new Tensor(fill(out, dtype, what), x.shape, dtype);
}

function fill(vals: Float64Array, dtype: DType, what: string): Storage {
  if (!isFloat(dtype)) return castStorage(vals, dtype, what);
  const out = allocStorage(dtype, vals.length);
  out.set(vals);
  return out;
}

/** f over the broadcast of a and b, stored as `dtype`. */
function map2(a: Tensor, b: Tensor, f: (p: number, q: number) => number, dtype: DType, what: string): Tensor {
  const shape = broadcastShapes(a.shape, b.shape);
  const out = new Float64Array(numel(shape));
  const av = { data: a.storage, strides: broadcastStrides(a.shape, a.strides, shape), offset: a.offset };
  const bv = { data: b.storage, strides: broadcastStrides(b.shape, b.strides, shape), offset: b.offset };
  forEachStrided(shape, [av, bv], (i, oa, ob) => {
    out[i] = f(a.storage[oa], b.storage[ob]);
  });
  return new Tensor(fill(out, dtype, what), shape, dtype);
}

/** Integer and bool input to these float functions is computed in float32, as PyTorch. */
function floatInput(x: Tensor): Tensor {
  return isFloat(x.dtype) ? x : toDtype(x, 'float32');
}

/** Values as the dtype holds them: float32 arithmetic rounds each step (for `round(decimals)`). */
function rounder(dtype: DType): (v: number) => number {
  return dtype === 'float32' ? Math.fround : (v) => v;
}

function noBool(x: Tensor, kernel: string): void {
  if (x.dtype === 'bool') throw new DTypeError(`"${kernel}" not implemented for 'Bool'`);
}

/** Both operands as tensors of their promoted dtype's rules (a number becomes a 0-d tensor). */
function pair(fn: string, a: Tensor | number, b: Tensor | number, aMayBeNumber = true): [Tensor, Tensor] {
  checkOperand(a, fn, 'input', 1);
  checkOperand(b, fn, 'other', 2);
  if (typeof a === 'number') {
    if (!aMayBeNumber) throw new ArgumentTypeError(`${fn}(): argument 'input' (position 1) must be Tensor, not number`);
    if (typeof b === 'number') throw new ArgumentTypeError(`${fn}(): expected at least one tensor operand, got two numbers`);
    return [asTensor(a, b), b];
  }
  return [a, asTensor(b, a)];
}

/** A zero gradient of x's shape (rounding ops: PyTorch returns zeros). */
const zeroGrad = (x: Tensor) => (g: Tensor) => new Tensor(allocStorage(g.dtype, x.numel()), x.shape, g.dtype);

// ---- sign and rounding ---------------------------------------------------------------------------

/** PyTorch: `torch.sign(input)`: -1, 0 or 1 (NaN gives 0, as PyTorch 1.13 on CPU), input's dtype (bool stays bool). Gradient 0. */
export function sign(x: Tensor): Tensor {
  checkTensor(x, 'sign', 'input', 1);
  const y = map(x, (v) => (v > 0 ? 1 : v < 0 ? -1 : 0), x.dtype, 'torch.sign');
  return record('SignBackward0', [x], y, ([g]) => [zeroGrad(x)(g!)], []);
}

function rounding(name: string, kernel: string, x: Tensor, f: (v: number) => number): Tensor {
  checkTensor(x, name, 'input', 1);
  noBool(x, kernel);
  // Integers are already whole: a copy, as PyTorch.
  const y = map(x, isFloat(x.dtype) ? f : (v) => v, x.dtype, `torch.${name}`);
  return record(`${name[0].toUpperCase()}${name.slice(1)}Backward0`, [x], y, ([g]) => [zeroGrad(x)(g!)], []);
}

/** PyTorch: `torch.floor(input)`: round down; integers unchanged, bool refused. Gradient 0. */
export function floor(x: Tensor): Tensor {
  return rounding('floor', 'floor_vml_cpu', x, Math.floor);
}

/** PyTorch: `torch.ceil(input)`: round up; as `floor`. */
export function ceil(x: Tensor): Tensor {
  return rounding('ceil', 'ceil_vml_cpu', x, Math.ceil);
}

/** PyTorch: `torch.trunc(input)`: round toward zero; as `floor`. */
export function trunc(x: Tensor): Tensor {
  return rounding('trunc', 'trunc_vml_cpu', x, Math.trunc);
}

/** Round half to even (C's nearbyint, what PyTorch's round uses). */
function nearbyint(v: number): number {
  if (!Number.isFinite(v)) return v;
  const r = Math.round(v);
  // Math.round rounds halves up: move exact halves to the even neighbour.
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The options of `round`. PyTorch: `torch.round(input, *, decimals=0)`. */
export interface RoundOptions {
  /** Round to this many decimal places (negative: to tens, hundreds, ...). Default 0. */
  decimals?: number;
}
/** The run-time check of these options (src/options.ts). */
const ROUND_OPTIONS = defineOptions<RoundOptions>('torch.round', { decimals: opt.int });

/**
 * PyTorch: `torch.round(input, *, decimals=0)`: round half to even (2.5 → 2, 3.5 → 4), or to
 * `decimals` places computed as PyTorch (x * 10^d rounded, divided back, in the input's dtype).
 * Integers are unchanged without decimals and refused with them, as PyTorch. Gradient 0.
 * Also `round(x, 2)`.
 */
export function round(x: Tensor, options?: RoundOptions | number): Tensor {
  checkTensor(x, 'round', 'input', 1);
  let decimals: number;
  if (typeof options === 'number') {
    checkNumber(options, 'round', 'decimals', 2, true);
    decimals = options;
  } else {
    decimals = ROUND_OPTIONS.parse(options).decimals ?? 0;
  }
  if (decimals === 0) return rounding('round', 'round_vml_cpu', x, nearbyint);
  noBool(x, 'round_cpu');
  if (!isFloat(x.dtype)) throw new DTypeError(`"round_cpu" not implemented for '${cName(x.dtype)}'`);
  const fr = rounder(x.dtype);
  const p = fr(10 ** Math.abs(decimals));
  const f = decimals > 0 ? (v: number) => fr(nearbyint(fr(v * p)) / p) : (v: number) => fr(nearbyint(fr(v / p)) * p);
  const y = map(x, f, x.dtype, 'torch.round');
  return record('RoundBackward1', [x], y, ([g]) => [zeroGrad(x)(g!)], []);
}

/** PyTorch: `torch.frac(input)`: x - trunc(x), the sign of x kept. Float only. Gradient passes unchanged. */
export function frac(x: Tensor): Tensor {
  checkTensor(x, 'frac', 'input', 1);
  if (!isFloat(x.dtype)) throw new DTypeError(`"frac_cpu" not implemented for '${cName(x.dtype)}'`);
  const y = map(x, (v) => v - Math.trunc(v), x.dtype, 'torch.frac');
  return record('FracBackward0', [x], y, ([g]) => [g!], []);
}

// ---- exponentials and logs -------------------------------------------------------------------------

/** PyTorch: `torch.rsqrt(input)`: 1/√x. Integer input gives float32. */
export function rsqrt(x0: Tensor): Tensor {
  checkTensor(x0, 'rsqrt', 'input', 1);
  const x = floatInput(x0);
  const y = map(x, (v) => 1 / Math.sqrt(v), x.dtype, 'torch.rsqrt');
  // d x^(-1/2) = -y³/2
  return record('RsqrtBackward0', [x], y, ([g]) => [mul(g!, mul(mul(y, mul(y, y)), -0.5))], [y]);
}

/** PyTorch: `torch.exp2(input)`: 2^x. Integer input gives float32. */
export function exp2(x0: Tensor): Tensor {
  checkTensor(x0, 'exp2', 'input', 1);
  const x = floatInput(x0);
  const y = map(x, (v) => 2 ** v, x.dtype, 'torch.exp2');
  return record('Exp2Backward0', [x], y, ([g]) => [mul(g!, mul(y, Math.LN2))], [y]);
}

/** PyTorch: `torch.log2(input)`. Integer input gives float32. */
export function log2(x0: Tensor): Tensor {
  checkTensor(x0, 'log2', 'input', 1);
  const x = floatInput(x0);
  const y = map(x, Math.log2, x.dtype, 'torch.log2');
  return record('Log2Backward0', [x], y, ([g]) => [div(g!, mul(x, Math.LN2))], [x]);
}

/** PyTorch: `torch.log1p(input)`: log(1 + x), accurate for small x. Integer input gives float32. */
export function log1p(x0: Tensor): Tensor {
  checkTensor(x0, 'log1p', 'input', 1);
  const x = floatInput(x0);
  const y = map(x, Math.log1p, x.dtype, 'torch.log1p');
  return record('Log1PBackward0', [x], y, ([g]) => [div(g!, add(x, 1))], [x]);
}

/** PyTorch: `torch.expm1(input)`: exp(x) - 1, accurate for small x. Integer input gives float32. */
export function expm1(x0: Tensor): Tensor {
  checkTensor(x0, 'expm1', 'input', 1);
  const x = floatInput(x0);
  const y = map(x, Math.expm1, x.dtype, 'torch.expm1');
  return record('Expm1Backward0', [x], y, ([g]) => [mul(g!, add(y, 1))], [y]);
}

// ---- remainder, fmod -----------------------------------------------------------------------------

function modulo(fn: 'remainder' | 'fmod', a0: Tensor | number, b0: Tensor | number): Tensor {
  const [a, b] = pair(fn, a0, b0, fn === 'remainder');
  const dtype = resultType(a, b);
  if (dtype === 'bool') throw new DTypeError(`"${fn}_cpu" not implemented for 'Bool'`);
  const int = !isFloat(dtype);
  const f =
    fn === 'fmod'
      ? (p: number, q: number) => {
          if (int && q === 0) throw new RuntimeError('ZeroDivisionError');
          return int ? p % q | 0 : p % q;
        }
      : (p: number, q: number) => {
          if (int && q === 0) throw new RuntimeError('ZeroDivisionError');
          // C's fmod moved to the divisor's sign (Python's %), as PyTorch's remainder.
          let r = p % q;
          if (r !== 0 && r < 0 !== q < 0) r += q;
          return int ? r | 0 : r;
        };
  const fr = rounder(dtype);
  const y = map2(a, b, (p, q) => fr(f(fr(p), fr(q))), dtype, `torch.${fn}`);
  return record(fn === 'fmod' ? 'FmodBackward1' : 'RemainderBackward1', [a, b], y, ([g]) => {
    // d/da = 1; d/db = -floor(a/b) (remainder) or -trunc(a/b) (fmod).
    const q = div(a, b);
    const whole = fn === 'fmod' ? truncRaw(q) : floorRaw(q);
    return [a.requiresGrad ? sumToShape(g!, a.shape) : null, b.requiresGrad ? sumToShape(neg(mul(g!, whole)), b.shape) : null];
  }, [a, b]);
}
const floorRaw = (t: Tensor) => map(t, Math.floor, t.dtype, 'floor');
const truncRaw = (t: Tensor) => map(t, Math.trunc, t.dtype, 'trunc');

/**
 * PyTorch: `torch.remainder(input, other)`: Python's modulo, the result has the divisor's sign
 * (-5 % 3 = 1). Broadcasting; either may be a number. Integer division by zero throws
 * PyTorch's "ZeroDivisionError"; float gives NaN.
 */
export function remainder(a: Tensor | number, b: Tensor | number): Tensor {
  return modulo('remainder', a, b);
}

/** PyTorch: `torch.fmod(input, other)`: C's fmod, the result has the dividend's sign (-5 fmod 3 = -2). As `remainder`; input is a tensor. */
export function fmod(a: Tensor, b: Tensor | number): Tensor {
  return modulo('fmod', a, b);
}

// ---- lerp, addcmul, addcdiv ------------------------------------------------------------------------

/**
 * PyTorch: `torch.lerp(input, end, weight)`: input + weight (end - input), weight a number or a
 * tensor, all broadcast together. Float only, and end/weight must have input's dtype, as PyTorch.
 * Computed as PyTorch's CPU kernel (from the nearer end when weight >= 0.5).
 */
export function lerp(start: Tensor, end: Tensor, weight: Tensor | number): Tensor {
  checkTensor(start, 'lerp', 'input', 1);
  checkTensor(end, 'lerp', 'end', 2);
  checkOperand(weight, 'lerp', 'weight', 3);
  const w = typeof weight === 'number' ? null : weight;
  if (!isFloat(start.dtype)) throw new DTypeError(`"lerp_kernel_${w ? 'tensor' : 'scalar'}" not implemented for '${cName(start.dtype)}'`);
  const longName = (d: DType) => ({ float32: 'float', float64: 'double', int32: 'int', int64: 'long int', bool: 'bool' })[d];
  for (const [t, what] of [[end, 'end'], [w, 'weight']] as const) {
    if (t && t.dtype !== start.dtype) {
      throw new DTypeError(`expected dtype ${longName(start.dtype)} for \`${what}\` but got dtype ${longName(t.dtype)}`);
    }
  }
  const wt = w ?? asTensor(weight as number, start);
  const shape = broadcastShapes(broadcastShapes(start.shape, end.shape), wt.shape);
  const fr = rounder(start.dtype);
  const out = new Float64Array(numel(shape));
  const views = [start, end, wt].map((t) => ({ data: t.storage, strides: broadcastStrides(t.shape, t.strides, shape), offset: t.offset }));
  forEachStrided(shape, views, (i, os, oe, ow) => {
    const s = start.storage[os];
    const e = end.storage[oe];
    const ww = wt.storage[ow];
    const diff = fr(e - s);
    out[i] = Math.abs(ww) < 0.5 ? fr(s + fr(ww * diff)) : fr(e - fr(diff * fr(1 - ww)));
  });
  const y = new Tensor(fill(out, start.dtype, 'torch.lerp'), shape, start.dtype);
  const inputs = w ? [start, end, w] : [start, end];
  return record(w ? 'LerpBackward1' : 'LerpBackward0', inputs, y, ([g]) => [
    start.requiresGrad ? sumToShape(mul(g!, sub(1, wt)), start.shape) : null,
    end.requiresGrad ? sumToShape(mul(g!, wt), end.shape) : null,
    ...(w ? [w.requiresGrad ? sumToShape(mul(g!, sub(end, start)), w.shape) : null] : []),
  ], [start, end, wt]);
}

/** The `value` option of `addcmul`/`addcdiv`. PyTorch: the `value=1` keyword argument. */
export interface AddcOptions {
  /** Multiplier of tensor1 * tensor2 (or / tensor2). Default 1. */
  value?: number;
}
/** The run-time check of these options (src/options.ts). */
const ADDC_OPTIONS = defineOptions<AddcOptions>('torch.addcmul', { value: opt.number });

function addc(fn: 'addcmul' | 'addcdiv', x: Tensor, t1: Tensor, t2: Tensor, options?: AddcOptions): Tensor {
  checkTensor(x, fn, 'input', 1);
  checkTensor(t1, fn, 'tensor1', 2);
  checkTensor(t2, fn, 'tensor2', 3);
  const value = ADDC_OPTIONS.parse(options, `torch.${fn}`).value ?? 1;
  if (fn === 'addcdiv' && !isFloat(t1.dtype) && !isFloat(t2.dtype)) {
    throw new DTypeError(
      'Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), for all dtypes.',
    );
  }
  const dtype = resultType(x, t1, t2);
  // The value is cast to the result dtype, as PyTorch's scalar argument (0.5 is 0 for int tensors).
  const v = castValue(isFloat(dtype) ? value : Math.trunc(value), dtype, `${fn} value`);
  const prodT = fn === 'addcmul' ? mul(t1, t2) : div(t1, t2);
  return add(x, v === 1 ? prodT : mul(prodT, v));
}

/** PyTorch: `torch.addcmul(input, tensor1, tensor2, *, value=1)`: input + value · tensor1 · tensor2, all broadcast. */
export function addcmul(x: Tensor, tensor1: Tensor, tensor2: Tensor, options?: AddcOptions): Tensor {
  return addc('addcmul', x, tensor1, tensor2, options);
}

/** PyTorch: `torch.addcdiv(input, tensor1, tensor2, *, value=1)`: input + value · tensor1 / tensor2, all broadcast (two integer tensors refused, as PyTorch). */
export function addcdiv(x: Tensor, tensor1: Tensor, tensor2: Tensor, options?: AddcOptions): Tensor {
  return addc('addcdiv', x, tensor1, tensor2, options);
}

// ---- float classification ----------------------------------------------------------------------------

function classify(fn: string, x: Tensor, f: (v: number) => boolean, ints: boolean): Tensor {
  checkTensor(x, fn, 'input', 1);
  const src = x.contiguousData();
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = (isFloat(x.dtype) ? f(src[i]) : ints) ? 1 : 0;
  return new Tensor(out, x.shape, 'bool');
}

/** PyTorch: `torch.isinf(input)`: a bool tensor, true at ±inf (never for integer and bool tensors). */
export function isinf(x: Tensor): Tensor {
  return classify('isinf', x, (v) => v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY, false);
}
/** PyTorch: `torch.isposinf(input)`: a bool tensor, true at +inf. */
export function isposinf(x: Tensor): Tensor {
  return classify('isposinf', x, (v) => v === Number.POSITIVE_INFINITY, false);
}
/** PyTorch: `torch.isneginf(input)`: a bool tensor, true at -inf. */
export function isneginf(x: Tensor): Tensor {
  return classify('isneginf', x, (v) => v === Number.NEGATIVE_INFINITY, false);
}
/** PyTorch: `torch.isfinite(input)`: a bool tensor, true where neither NaN nor ±inf (always for integer and bool tensors). */
export function isfinite(x: Tensor): Tensor {
  return classify('isfinite', x, Number.isFinite, true);
}

const FLOAT_MAX: Record<'float32' | 'float64', number> = { float32: 3.4028234663852886e38, float64: Number.MAX_VALUE };

/**
 * PyTorch: `torch.nan_to_num(input, nan=0.0, posinf=None, neginf=None)`: NaN, +inf and -inf
 * replaced (±inf by the dtype's largest finite value unless given). Integer tensors are copied.
 * The gradient passes where x is finite, 0 elsewhere. Positional as PyTorch: `nanToNum(x, 0, null, -1)`.
 */
export function nanToNum(x: Tensor, nan: number | null = 0, posinf: number | null = null, neginf: number | null = null): Tensor {
  checkTensor(x, 'nan_to_num', 'input', 1);
  for (const [v, name, pos] of [[nan, 'nan', 2], [posinf, 'posinf', 3], [neginf, 'neginf', 4]] as const) {
    if (v !== null) checkNumber(v, 'nan_to_num', name, pos);
  }
  if (!isFloat(x.dtype)) return map(x, (v) => v, x.dtype, 'nan_to_num');
  const big = FLOAT_MAX[x.dtype];
  const hi = posinf ?? big;
  const lo = neginf ?? -big;
  const y = map(x, (v) => (Number.isNaN(v) ? (nan ?? 0) : v === Number.POSITIVE_INFINITY ? hi : v === Number.NEGATIVE_INFINITY ? lo : v), x.dtype, 'nan_to_num');
  return record('NanToNumBackward0', [x], y, ([g]) => [mul(g!, isfinite(x))], [x]);
}
// ---- closeness ---------------------------------------------------------------------------------------

/** The options of `isclose`/`allclose` (PyTorch: `rtol=1e-05, atol=1e-08, equal_nan=False`). */
export interface IscloseOptions {
  /** Relative tolerance. Default 1e-5. */
  rtol?: number;
  /** Absolute tolerance. Default 1e-8. */
  atol?: number;
  /** NaN equals NaN. Default false. */
  equalNan?: boolean;
}
/** The run-time check of these options (src/options.ts). */
const ISCLOSE_OPTIONS = defineOptions<IscloseOptions>('torch.isclose', { rtol: opt.number, atol: opt.number, equalNan: opt.bool });

/**
 * PyTorch: `torch.isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False)`: a bool tensor,
 * |input - other| <= atol + rtol·|other| elementwise (broadcast), or equal (so inf matches inf).
 * Both tensors must have the same dtype, as PyTorch.
 */
export function isclose(a: Tensor, b: Tensor, options?: IscloseOptions): Tensor {
  return closeness('isclose', a, b, options);
}

function closeness(fn: string, a: Tensor, b: Tensor, options?: IscloseOptions): Tensor {
  checkTensor(a, fn, 'input', 1);
  checkTensor(b, fn, 'other', 2);
  const o = ISCLOSE_OPTIONS.parse(options, `torch.${fn}`);
  const rtol = o.rtol ?? 1e-5;
  const atol = o.atol ?? 1e-8;
  if (a.dtype !== b.dtype) throw new DTypeError(`${cName(a.dtype)} did not match ${cName(b.dtype)}`);
  if (rtol < 0) throw new RuntimeError(`rtol must be greater than or equal to zero, but got ${rtol}`);
  if (atol < 0) throw new RuntimeError(`atol must be greater than or equal to zero, but got ${atol}`);
  const eqNan = o.equalNan ?? false;
  const bool = a.dtype === 'bool';
  return map2(a, b, (p, q) => {
    if (p === q) return 1;
    if (eqNan && Number.isNaN(p) && Number.isNaN(q)) return 1;
    if (bool || (rtol === 0 && atol === 0)) return 0;
    const err = Math.abs(p - q);
    return Number.isFinite(err) && err <= atol + Math.abs(rtol * q) ? 1 : 0;
  }, 'bool', `torch.${fn}`);
}

/** PyTorch: `torch.allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False)`: whether `isclose` holds everywhere (a boolean). */
export function allclose(a: Tensor, b: Tensor, options?: IscloseOptions): boolean {
  const c = closeness('allclose', a, b, options).storage;
  return c.every((v) => v === 1);
}

/**
 * PyTorch: `torch.equal(input, other)`: true when both have the same shape and equal elements
 * (NaN never equals; values compared across dtypes, as PyTorch 1.13).
 */
export function equal(a: Tensor, b: Tensor): boolean {
  checkTensor(a, 'equal', 'input', 1);
  checkTensor(b, 'equal', 'other', 2);
  if (a.ndim !== b.ndim || a.shape.some((s, i) => s !== b.shape[i])) return false;
  const p = a.contiguousData();
  const q = b.contiguousData();
  for (let i = 0; i < p.length; i++) if (p[i] !== q[i]) return false;
  return true;
}

// ---- bitwise ---------------------------------------------------------------------------------------

function bitwise(fn: 'bitwise_and' | 'bitwise_or' | 'bitwise_xor', a0: Tensor | number, b0: Tensor | number): Tensor {
  const [a, b] = pair(fn, a0, b0);
  const dtype = resultType(a, b);
  if (isFloat(dtype)) throw new DTypeError(`"${fn}_cpu" not implemented for '${cName(dtype)}'`);
  const f = fn === 'bitwise_and' ? (p: number, q: number) => p & q : fn === 'bitwise_or' ? (p: number, q: number) => p | q : (p: number, q: number) => p ^ q;
  return map2(a, b, f, dtype, `torch.${fn}`);
}

/** PyTorch: `torch.bitwise_and(input, other)`: `a & b` on integer or bool tensors (or a number), broadcasting; bool & bool is bool. Floats refused. */
export function bitwiseAnd(a: Tensor | number, b: Tensor | number): Tensor {
  return bitwise('bitwise_and', a, b);
}
/** PyTorch: `torch.bitwise_or(input, other)`: `a | b`, as `bitwiseAnd`. */
export function bitwiseOr(a: Tensor | number, b: Tensor | number): Tensor {
  return bitwise('bitwise_or', a, b);
}
/** PyTorch: `torch.bitwise_xor(input, other)`: `a ^ b`, as `bitwiseAnd`. */
export function bitwiseXor(a: Tensor | number, b: Tensor | number): Tensor {
  return bitwise('bitwise_xor', a, b);
}
/** PyTorch: `torch.bitwise_not(input)`: `~x` on integer tensors (two's complement), logical not on bool. Floats refused. */
export function bitwiseNot(x: Tensor): Tensor {
  checkTensor(x, 'bitwise_not', 'input', 1);
  if (isFloat(x.dtype)) throw new DTypeError(`"bitwise_not_cpu" not implemented for '${cName(x.dtype)}'`);
  return map(x, x.dtype === 'bool' ? (v) => (v === 0 ? 1 : 0) : (v) => ~v, x.dtype, 'torch.bitwise_not');
}

/** PyTorch: `torch.clip(input, min=None, max=None)`: an alias of `clamp`. */
export function clip(x: Tensor, min?: Tensor | number | null, max?: Tensor | number | null): Tensor {
  return clamp(x, min, max);
}
