/**
 * Data types and devices. PyTorch: `torch.dtype`, `torch.result_type`, `torch.promote_types`,
 * `torch.device`.
 *
 * Five dtypes, PyTorch's names: float32 (the default), float64, int32, int64 (PyTorch's index
 * type: what argmax, max(dim).indices, lengths and batch sizes return) and bool (what comparisons,
 * `isnan` and masks are).
 *
 * PyTorch parity: int64 is stored in an Int32Array (JavaScript has no fast 64-bit integer arrays).
 * A value outside the int32 range [-2147483648, 2147483647] in an int64 tensor is an error (a
 * `DTypeError` naming the value), never wrapped: PyTorch would hold it; torchlet refuses rather
 * than compute something else. int32 arithmetic wraps on overflow, as PyTorch's does.
 *
 * Devices: torchlet runs on the CPU (JavaScript and WebAssembly). `'cpu'` is accepted everywhere
 * PyTorch takes a device and does nothing; `'cuda'`, `'mps'`, ... are refused by name.
 *
 * The parsers here (`parseDType`, `parseDevice`, `parseToArgs`) are shared by `Tensor.to`,
 * the creation ops' options and `Module.to`, so every spelling is accepted or refused the same way.
 */

import { ArgumentTypeError, DTypeError, RuntimeError } from '../errors.js';
import { defineOptions, opt } from '../options.js';
import { allocChecked } from './limits.js';

/** A tensor's element type. PyTorch: `torch.dtype` (`torch.float32`, `torch.int64`, `torch.bool`, ...). */
export type DType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool';
/** The floating dtypes (the ones that can require grad). PyTorch: `dtype.is_floating_point`. */
export type FloatDType = 'float32' | 'float64';
/** The integer dtypes (class indices, lengths, `indexSelect` indices). PyTorch: `torch.int32`, `torch.int64`. */
export type IntDType = 'int32' | 'int64';
/** The typed array behind a tensor of each dtype (int64 in an Int32Array, bool in a Uint8Array). */
export type Storage = Float32Array | Float64Array | Int32Array | Uint8Array;
/** Storage of a floating dtype. */
export type FloatStorage = Float32Array | Float64Array;
/** The only device: PyTorch's `torch.device('cpu')`. */
export type Device = 'cpu';

/** Every dtype, in promotion order (each promotes to any later one: bool < int32 < int64 < float32 < float64). */
export const DTYPES: readonly DType[] = Object.freeze(['bool', 'int32', 'int64', 'float32', 'float64']);

/** Every spelling torchlet reads as a dtype (PyTorch's `torch.<name>` attributes). */
const ALIASES: Readonly<Record<string, DType>> = Object.freeze({
  float32: 'float32',
  float: 'float32',
  float64: 'float64',
  double: 'float64',
  int32: 'int32',
  int: 'int32',
  int64: 'int64',
  long: 'int64',
  bool: 'bool',
});

/** PyTorch dtypes torchlet knows by name but does not have (refused with this name). */
const UNSUPPORTED = new Set([
  'float16', 'half', 'bfloat16', 'uint8', 'int8', 'int16', 'short', 'complex32', 'chalf', 'complex64', 'cfloat',
  'complex128', 'cdouble', 'qint8', 'quint8', 'qint32', 'quint4x2',
]);

/** Devices PyTorch knows (the device type before any `:index`), refused with a clear message. */
const OTHER_DEVICES = new Set([
  'cuda', 'mps', 'xpu', 'ipu', 'mkldnn', 'opengl', 'opencl', 'ideep', 'hip', 've', 'fpga', 'ort', 'xla', 'lazy',
  'vulkan', 'meta', 'hpu', 'privateuseone',
]);

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** PyTorch: `dtype.is_floating_point`. */
export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === 'float32' || dtype === 'float64';
}

/** True for int32 and int64 (not bool). */
export function isInt(dtype: DType): dtype is IntDType {
  return dtype === 'int32' || dtype === 'int64';
}

/** The dtype's category in type promotion: bool < integer < floating. */
function category(dtype: DType): number {
  return dtype === 'bool' ? 0 : isFloat(dtype) ? 2 : 1;
}

/** A zero-filled storage of n elements. */
export function allocStorage(dtype: DType, n: number): Storage {
  // Sizes beyond the engine's limits are a SizeError before anything is allocated (src/tensor/limits.ts).
  const what = `a ${dtype} tensor`;
  switch (dtype) {
    case 'float32':
      return allocChecked((k) => new Float32Array(k), n, 4, what);
    case 'float64':
      return allocChecked((k) => new Float64Array(k), n, 8, what);
    case 'int32':
    case 'int64':
      return allocChecked((k) => new Int32Array(k), n, 4, what);
    case 'bool':
      return allocChecked((k) => new Uint8Array(k), n, 1, what);
  }
}

/**
 * PyTorch: `torch.promote_types(a, b)`: the smallest dtype both convert to without losing their
 * category. For these five dtypes that is the later of the two in `DTYPES`.
 */
export function promoteTypes(a: DType, b: DType): DType {
  return DTYPES.indexOf(a) >= DTYPES.indexOf(b) ? a : b;
}

/**
 * One operand of a type-promotion decision: a tensor's dtype and whether it has dims, or a
 * JavaScript number (PyTorch's "wrapped number": a Python scalar).
 */
export type PromotionOperand = { dtype: DType; ndim: number } | number | boolean;

/** PyTorch's `combine_categories(higher, lower)` (aten/src/ATen/native/TypeProperties.cpp). */
function combine(higher: DType | null, lower: DType | null): DType | null {
  if (higher === null) return lower;
  if (lower === null) return higher;
  if (isFloat(higher)) return higher;
  if (higher === 'bool' || isFloat(lower)) return promoteTypes(higher, lower);
  return higher;
}

/**
 * PyTorch: `torch.result_type(a, b, ...)`: the dtype an elementwise op computes in. Tensors with
 * dims decide first, then 0-d tensors, then numbers, and a later group only wins when its
 * category (bool < integer < floating) is higher: int32 (3) + int64 () is int32, int32 (3) +
 * float64 () is float64, int32 (3) + 2.5 is float32 (the default float dtype), bool (3) + 1 is
 * int64 (the default integer dtype). An integer-valued number is an integer (JavaScript has no
 * separate `2.0`); a JavaScript boolean is a bool scalar.
 */
export function resultType(...operands: readonly PromotionOperand[]): DType {
  let dim: DType | null = null;
  let zero: DType | null = null;
  let wrapped: DType | null = null;
  const up = (acc: DType | null, d: DType): DType => (acc === null ? d : promoteTypes(acc, d));
  for (const op of operands) {
    if (typeof op === 'boolean') wrapped = up(wrapped, 'bool');
    else if (typeof op === 'number') wrapped = up(wrapped, Number.isInteger(op) ? 'int64' : 'float32');
    else if (op.ndim === 0) zero = up(zero, op.dtype);
    else dim = up(dim, op.dtype);
  }
  const r = combine(dim, combine(zero, wrapped));
  if (r === null) throw new ArgumentTypeError('result_type: expected at least one operand');
  return r;
}

/** PyTorch: `torch.can_cast(from, to)`: false when the cast would lower the category (float → int, int → bool). */
export function canCast(from: DType, to: DType): boolean {
  return category(from) <= category(to);
}

// ---- conversion ----------------------------------------------------------------------------------

/** The int64 range check every int64 write goes through. */
function checkInt64(v: number, what: string): number {
  if (!(v >= INT32_MIN && v <= INT32_MAX)) {
    // PyTorch parity: int64 lives in 32 bits here; a wider value is refused, never wrapped.
    throw new DTypeError(
      `${what}: value ${v} does not fit in torchlet's int64, which is stored in 32 bits (range [${INT32_MIN}, ${INT32_MAX}]). ` +
        'Use float64 for larger integers.',
    );
  }
  return v;
}

/**
 * A float truncated toward zero into int32. NaN, infinities and values outside int32 become
 * -2147483648, as PyTorch's CPU cast gives (x86's "integer indefinite"; C leaves it undefined).
 */
function toInt32(v: number): number {
  return v > -2147483649 && v < 2147483648 ? Math.trunc(v) | 0 : INT32_MIN;
}

/** One number converted as PyTorch's cast to `dtype` does: truncation toward zero for integers, `v != 0` for bool. */
export function castValue(v: number, dtype: DType, what = 'int64'): number {
  switch (dtype) {
    case 'bool':
      // NaN is true, as in C (and PyTorch's .bool()).
      return v !== 0 ? 1 : 0;
    case 'int32':
      return toInt32(v);
    case 'int64':
      return checkInt64(Math.trunc(v), what);
    default:
      return v;
  }
}

/**
 * A fresh storage of `dtype` holding `src` converted as PyTorch's `.to(dtype)`: truncation toward
 * zero for integer targets (NaN and infinities become 0 in int32; in int64 they are out of range
 * and refused), `v != 0` for bool (so NaN is true), rounding to nearest for float32. `what` names
 * the operation in the int64 range error.
 */
export function castStorage(src: ArrayLike<number>, dtype: DType, what = 'int64'): Storage {
  const n = src.length;
  const out = allocStorage(dtype, n);
  switch (dtype) {
    case 'float32':
    case 'float64':
      out.set(src);
      break;
    case 'int32':
      if (src instanceof Int32Array || src instanceof Uint8Array) out.set(src);
      else for (let i = 0; i < n; i++) out[i] = toInt32(src[i]);
      break;
    case 'int64':
      if (src instanceof Int32Array || src instanceof Uint8Array) out.set(src);
      else for (let i = 0; i < n; i++) out[i] = checkInt64(Math.trunc(src[i]), what);
      break;
    case 'bool':
      for (let i = 0; i < n; i++) out[i] = src[i] !== 0 ? 1 : 0;
      break;
  }
  return out;
}

/**
 * Run a kernel that writes `n` values of `dtype` and return the storage. The kernels compute in
 * JavaScript numbers; for int64 and bool results they write into a float64 scratch that is then
 * checked (int64 range) or normalised (bool: nonzero is true), so nothing is silently wrapped.
 */
export function computeStorage(dtype: DType, n: number, kernel: (out: Storage) => void, what = 'int64'): Storage {
  if (dtype !== 'int64' && dtype !== 'bool') {
    const out = allocStorage(dtype, n);
    kernel(out);
    return out;
  }
  const scratch = new Float64Array(n);
  kernel(scratch);
  return castStorage(scratch, dtype, what);
}

// ---- names ---------------------------------------------------------------------------------------

/** PyTorch's printed name of a dtype: `torch.int64`. */
export function torchName(dtype: DType): string {
  return `torch.${dtype}`;
}

/** PyTorch's C++ scalar-type name in kernel messages (`"addmm" not implemented for 'Int'`). */
export function cName(dtype: DType): string {
  switch (dtype) {
    case 'float32':
      return 'Float';
    case 'float64':
      return 'Double';
    case 'int32':
      return 'Int';
    case 'int64':
      return 'Long';
    case 'bool':
      return 'Bool';
  }
}

/** PyTorch's `torch.typename` of a CPU tensor: `torch.LongTensor`. */
export function tensorTypeName(dtype: DType): string {
  return `torch.${cName(dtype)}Tensor`;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'string') return `'${x}'`;
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'object') return `an object (${(x as object).constructor?.name ?? 'Object'})`;
  return `${typeof x} ${String(x)}`;
}

const DTYPE_LIST = "'float32' ('float'), 'float64' ('double'), 'int32' ('int'), 'int64' ('long'), 'bool'";

/** True when `x` is one of the dtype spellings (`'float32'`, `'long'`, `torch.int64`, ...). */
export function isDTypeName(x: unknown): boolean {
  return typeof x === 'string' && Object.hasOwn(ALIASES, x.startsWith('torch.') ? x.slice(6) : x);
}

/**
 * A dtype from any of PyTorch's spellings: `'float32'`/`'float'`, `'float64'`/`'double'`,
 * `'int32'`/`'int'`, `'int64'`/`'long'`, `'bool'` (also with a `torch.` prefix, and the
 * `torch.float32`-style constants, which are these strings). Anything else is a `DTypeError`
 * (PyTorch: TypeError) naming it; PyTorch dtypes torchlet lacks (float16, uint8, ...) are named as
 * such. `where` names the caller for the message (`'Tensor.to'`).
 */
export function parseDType(x: unknown, where = 'dtype'): DType {
  if (typeof x === 'string') {
    const name = x.startsWith('torch.') ? x.slice(6) : x;
    const d = ALIASES[name];
    if (d !== undefined && Object.hasOwn(ALIASES, name)) return d;
    if (UNSUPPORTED.has(name)) {
      throw new ArgumentTypeError(
        `${where}: torchlet does not support dtype torch.${name}; its dtypes are ${DTYPE_LIST}. ` +
          (name === 'float16' || name === 'half' || name === 'bfloat16'
            ? "Compute in 'float32' (half-precision weights load as float32; saveSafetensors can write F16/BF16)."
            : "Use 'int32' or 'int64' for integers."));
    }
  }
  throw new ArgumentTypeError(`${where}: expected a dtype (${DTYPE_LIST}), got ${describe(x)}`);
}

/**
 * The device from PyTorch's spellings: `'cpu'`, `'cpu:0'` or `{ type: 'cpu' }` (a
 * `torch.device`-like object) give `'cpu'`. CUDA, MPS and every other PyTorch device are refused
 * with a `RuntimeError` saying torchlet runs on the CPU and WebAssembly; anything else is a
 * `DTypeError` (PyTorch: RuntimeError "Expected one of cpu, cuda, ... device type").
 */
export function parseDevice(x: unknown, where = 'device'): Device {
  const text = typeof x === 'string' ? x : typeof x === 'object' && x !== null && typeof (x as { type?: unknown }).type === 'string' ? (x as { type: string }).type : null;
  if (text !== null) {
    const m = /^([a-z_]+)(?::(\d+))?$/.exec(text.trim());
    const type = m?.[1];
    if (type === 'cpu' && (m?.[2] === undefined || m[2] === '0')) return 'cpu';
    if (type !== undefined && OTHER_DEVICES.has(type)) {
      throw new RuntimeError(
        `${where}: device '${text}' is not available: torchlet runs on the CPU (JavaScript and WebAssembly kernels), ` +
          "so the only device is 'cpu'. Drop the device argument or pass 'cpu'; code written for PyTorch's " +
          "`x.to('cuda')` can simply leave it out.",
      );
    }
  }
  const msg = `${where}: expected a device ('cpu'), got ${describe(x)}. torchlet's only device is 'cpu' (PyTorch: torch.device('cpu')).`;
  throw typeof x === 'string' ? new DTypeError(msg, 'RuntimeError') : new ArgumentTypeError(msg);
}

/** What `to(...)` asks for: a dtype, a device, or both (PyTorch's `Tensor.to` / `Module.to` arguments). */
export interface ToTarget {
  dtype?: DType;
  device?: Device;
}

/** Options of `to({ dtype, device })` (also accepted by creation ops). PyTorch: the keyword arguments of `Tensor.to`. */
export interface ToOptions {
  dtype?: DType | string;
  device?: Device | string;
  /** PyTorch: `copy=True` always returns a new tensor. */
  copy?: boolean;
  /** PyTorch's `non_blocking`: accepted and ignored (there is no asynchronous copy on the CPU). */
  nonBlocking?: boolean;
}
/** @internal The run-time check of `ToOptions` (src/options.ts); dtype and device values are read by `parseDType`/`parseDevice`. */
export const TO_OPTIONS = defineOptions<ToOptions>('Tensor.to', { dtype: opt.any, device: opt.any, copy: opt.bool, nonBlocking: opt.bool });

/**
 * Read PyTorch's `to()` argument forms: `to(dtype)`, `to(device)`, `to(device, dtype)`,
 * `to(tensor)` (its dtype), `to({ dtype, device })`. A string is a dtype when it names one,
 * otherwise a device (so `'cuda'` gets the device message). Shared by `Tensor.to` and `Module.to`.
 */
export function parseToArgs(where: string, args: readonly unknown[]): ToTarget & { copy: boolean } {
  const out: ToTarget & { copy: boolean } = { copy: false };
  if (args.length === 0) throw new ArgumentTypeError(`${where}() received an invalid combination of arguments: expected a dtype, a device, a tensor or { dtype, device }`);
  if (args.length > 2) throw new ArgumentTypeError(`${where}() takes at most 2 arguments (${args.length} given)`);
  const [a, b] = args;
  if (typeof a === 'string') {
    if (isDTypeName(a) || UNSUPPORTED.has(a.startsWith('torch.') ? a.slice(6) : a)) out.dtype = parseDType(a, where);
    else out.device = parseDevice(a, where);
  } else if (a !== null && typeof a === 'object' && 'dtype' in a && 'shape' in a && 'storage' in a) {
    // A tensor: PyTorch's to(other) takes its dtype and device.
    out.dtype = parseDType((a as { dtype: unknown }).dtype, where);
    out.device = 'cpu';
  } else if (a !== null && typeof a === 'object' && !Array.isArray(a) && Object.getPrototypeOf(a) === Object.prototype) {
    const o = TO_OPTIONS.parse(a, where);
    if (o.dtype !== undefined) out.dtype = parseDType(o.dtype, where);
    if (o.device !== undefined) out.device = parseDevice(o.device, where);
    if (o.copy !== undefined) out.copy = o.copy;
  } else {
    throw new ArgumentTypeError(`${where}(): expected a dtype, a device, a tensor or { dtype, device }, got ${describe(a)}`);
  }
  if (args.length === 2) {
    if (out.device === undefined || out.dtype !== undefined) {
      throw new ArgumentTypeError(`${where}(device, dtype): the first argument must be a device and the second a dtype`);
    }
    out.dtype = parseDType(b, where);
  }
  return out;
}

/**
 * `Module.to(...)`'s arguments (PyTorch: `nn.Module.to(device=None, dtype=None)`): as
 * `parseToArgs`, but a module's parameters convert to floating dtypes only, with PyTorch's
 * TypeError for an integer or bool dtype.
 */
export function parseModuleToArgs(args: readonly unknown[]): ToTarget {
  const { dtype, device } = parseToArgs('Module.to', args);
  if (dtype !== undefined && !isFloat(dtype)) {
    throw new ArgumentTypeError(`nn.Module.to only accepts floating point or complex dtypes, but got desired dtype=torch.${dtype}`);
  }
  return { ...(dtype === undefined ? {} : { dtype }), ...(device === undefined ? {} : { device }) };
}

/** The dtype and device options of creation ops (`{ dtype: 'long', device: 'cpu' }`), parsed. */
export function parseCreateDType(opts: { dtype?: unknown; device?: unknown } | undefined, where: string): DType | undefined {
  if (opts === undefined || opts === null) return undefined;
  if (opts.device !== undefined) parseDevice(opts.device, where);
  return opts.dtype === undefined ? undefined : parseDType(opts.dtype, where);
}

/** Every dtype spelling the typed API takes: PyTorch's names and aliases (`'long'` is int64). */
export type DTypeLike = DType | 'float' | 'double' | 'int' | 'long';

// ---- torch.float32-style constants ---------------------------------------------------------------
// PyTorch's dtype objects are these strings here, so `t.dtype === torch.int64` and
// `torch.zeros(2, { dtype: torch.long })` read as in Python.

/** PyTorch: `torch.float32`. */
export const float32 = 'float32' as const;
/** PyTorch: `torch.float` (float32). */
export const float = 'float32' as const;
/** PyTorch: `torch.float64`. */
export const float64 = 'float64' as const;
/** PyTorch: `torch.double` (float64). */
export const double = 'float64' as const;
/** PyTorch: `torch.int32`. */
export const int32 = 'int32' as const;
/** PyTorch: `torch.int` (int32). */
export const int = 'int32' as const;
/** PyTorch: `torch.int64`, the index dtype. */
export const int64 = 'int64' as const;
/** PyTorch: `torch.long` (int64). */
export const long = 'int64' as const;
/** PyTorch: `torch.bool`. */
export const bool = 'bool' as const;
