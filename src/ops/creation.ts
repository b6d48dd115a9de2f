/** Tensor creation. PyTorch: `torch.tensor`, `torch.zeros`, `torch.arange`, `torch.randn`, ... */

import { traceOnly } from '../autograd/node.js';
import { ArgumentTypeError, DTypeError, RuntimeError, ShapeError, typeName, ValueError } from '../errors.js';
import type { Device, DType, DTypeLike } from '../tensor/dtype.js';
import { allocStorage, castStorage, castValue, cName, isFloat, parseCreateDType } from '../tensor/dtype.js';
import { Generator, generatorOf, randomPermutation } from '../tensor/random.js';
import type { SizeArgs } from '../tensor/shape.js';
import { checkNonNegative, fmtShape, numel, parseSize } from '../tensor/shape.js';
import type { OptionsSchema } from '../options.js';
import { defineOptions, opt } from '../options.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Options of every creation function: the dtype (default float32; any PyTorch spelling:
 * `'int64'`/`'long'`, `torch.bool`, ...), the device (`'cpu'`, the only one) and `requiresGrad`
 * (PyTorch: `requires_grad`).
 */
export interface CreateOptions {
  dtype?: DTypeLike;
  /** PyTorch's `device=`: only `'cpu'`; `'cuda'`, `'mps'`, ... are refused by name. */
  device?: Device | string;
  requiresGrad?: boolean;
}

/** The dtype asked for in `opts` (any spelling), or undefined; the device is checked too. */
function optDType(opts: CreateOptions | undefined, where: string): DType | undefined {
  return parseCreateDType(opts, where);
}

/** Options of `torch.tensor`: also the shape of flat input. */
export interface TensorOptions extends CreateOptions {
  /** The shape of flat input (`number[]` or a typed array). */
  shape?: readonly number[];
}

/** @internal Run-time checks of the options above (src/options.ts); dtype and device names are resolved where they are read. */
export const CREATE_OPTIONS = defineOptions<CreateOptions>('torch.zeros', {
  dtype: opt.any, // resolved by parseCreateDType, which names every PyTorch spelling
  device: opt.any, // resolved by the device check, which refuses 'cuda' & co. by name
  requiresGrad: opt.bool,
});
/** @internal The run-time check of these options (src/options.ts). */
export const TENSOR_OPTIONS = CREATE_OPTIONS.extend<TensorOptions>('torch.tensor', {
  shape: opt.arrayOf(opt.int),
});

/** A number or nested arrays of numbers (or of booleans, for a bool tensor), as `torch.tensor` takes. */
export type NestedNumbers = number | boolean | readonly NestedNumbers[];

/** Options of the random creation functions: also the generator to draw from (default: the global one). PyTorch: the keyword arguments of `torch.randn` (`generator=`, `dtype=`, ...). */
export interface RandomOptions extends CreateOptions {
  /** PyTorch: `generator=`. A `torch.Generator` of its own stream; the default generator when left out. */
  generator?: Generator | null;
}
/** @internal The run-time check of these options (src/options.ts). */
export const RANDOM_OPTIONS = CREATE_OPTIONS.extend<RandomOptions>('torch.rand', {
  generator: opt.nullable(opt.instance(() => Generator, 'torch.Generator')),
});

function finish(t: Tensor, opts: CreateOptions | undefined): Tensor {
  if (opts?.requiresGrad) t.requiresGrad_(true);
  return t;
}

/**
 * A tensor from data. PyTorch: `torch.tensor(data, dtype=None, device=None, requires_grad=False)`.
 * `values` is a nested array, a flat `number[]` or a typed array (with `shape` for flat input).
 * The dtype defaults to float32; booleans give bool, an Int32Array int32, a Float64Array
 * float64, a Uint8Array bool. `{ dtype: 'int64' }` (or `'long'`) makes PyTorch's index tensors.
 * PyTorch parity: integer-valued lists still default to float32 here (PyTorch gives int64),
 * because JavaScript has no separate `1` and `1.0`, and `torch.tensor([1, 2]).mean()` and
 * `requiresGrad` must keep working; pass `{ dtype: 'int64' }` for indices.
 */
export function tensor(values: NestedNumbers | Float32Array | Float64Array | Int32Array | Uint8Array, opts?: TensorOptions): Tensor {
  opts = TENSOR_OPTIONS.parse(opts);
  let flat: ArrayLike<number>;
  let shape: number[];
  let sawBool = false;
  let sawNumber = false;
  if (ArrayBuffer.isView(values)) {
    flat = values;
    shape = opts?.shape ? [...opts.shape] : [values.length];
  } else if (typeof values === 'number' || typeof values === 'boolean') {
    flat = [Number(values)];
    shape = [];
    sawBool = typeof values === 'boolean';
    sawNumber = !sawBool;
  } else {
    shape = [];
    let probe: NestedNumbers = values;
    while (Array.isArray(probe)) {
      shape.push(probe.length);
      probe = probe.length > 0 ? probe[0] : 0;
      if (shape[shape.length - 1] === 0) break;
    }
    const out: number[] = [];
    const walk = (v: NestedNumbers, depth: number): void => {
      if (depth === shape.length) {
        if (typeof v === 'boolean') {
          sawBool = true;
          out.push(v ? 1 : 0);
          return;
        }
        if (typeof v !== 'number') throw new ValueError(`expected a number at depth ${depth}, got a nested sequence`);
        sawNumber = true;
        out.push(v);
        return;
      }
      if (!Array.isArray(v) || v.length !== shape[depth]) {
        throw new ValueError(
          `expected sequence of length ${shape[depth]} at dim ${depth} (got ${Array.isArray(v) ? v.length : 'a number'})`,
        );
      }
      for (const e of v) walk(e, depth + 1);
    };
    walk(values, 0);
    flat = out;
    if (opts?.shape) shape = [...opts.shape];
  }
  if (numel(shape) !== flat.length) {
    throw new ShapeError(`shape '${fmtShape(shape)}' is invalid for input of size ${flat.length}`);
  }
  const inferred: DType =
    values instanceof Int32Array
      ? 'int32'
      : values instanceof Float64Array
        ? 'float64'
        : values instanceof Uint8Array || (sawBool && !sawNumber)
          ? 'bool'
          : 'float32';
  const dtype = optDType(opts, 'torch.tensor') ?? inferred;
  return finish(new Tensor(castStorage(flat, dtype, 'torch.tensor'), shape, dtype), opts);
}

/** Split trailing options off PyTorch-style varargs sizes: `zeros(2, 3, opts)` or `zeros([2, 3], opts)`. */
type SizeAndOptions = (number | readonly number[] | RandomOptions | undefined)[];

function sizeAndOpts<O extends CreateOptions>(args: SizeAndOptions, fn: string, schema: OptionsSchema<O>): [number[], O | undefined] {
  const last = args[args.length - 1];
  const hasOpts = last !== undefined && typeof last === 'object' && !Array.isArray(last);
  const sizes = (hasOpts ? args.slice(0, -1) : args).filter((a) => a !== undefined) as SizeArgs;
  const shape = parseSize(sizes);
  checkNonNegative(shape);
  return [shape, hasOpts ? schema.parse(last, `torch.${fn}`) : undefined];
}

/**
 * PyTorch: `torch.full(size, fill_value)`. A boolean fill value gives a bool tensor, as PyTorch.
 * PyTorch parity: the dtype defaults to float32 even for an integer fill value (PyTorch 1.13
 * infers int64 from it); pass `{ dtype: 'int64' }`.
 */
export function full(size: readonly number[], value: number | boolean, opts?: CreateOptions): Tensor {
  opts = CREATE_OPTIONS.parse(opts, 'torch.full');
  const shape = parseSize([size]);
  checkNonNegative(shape);
  const dtype = optDType(opts, 'torch.full') ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  const s = allocStorage(dtype, numel(shape));
  s.fill(castValue(Number(value), dtype, 'torch.full'));
  return traceOnly('full', [], finish(new Tensor(s, shape, dtype), opts), { size: shape, value: s[0] ?? 0 });
}

/** rand/randn draw floats only, as PyTorch (`torch.randn(2, dtype=torch.int64)` raises). */
function floatOnly(opts: CreateOptions | undefined, kernel: string, where: string): void {
  const dtype = optDType(opts, where);
  if (dtype !== undefined && !isFloat(dtype)) throw new DTypeError(`"${kernel}" not implemented for '${cName(dtype)}'`);
}

/** PyTorch: `torch.zeros(*size)`; `zeros(2, 3)` and `zeros([2, 3])` both work. */
export function zeros(...args: SizeAndOptions): Tensor {
  const [shape, opts] = sizeAndOpts(args, 'zeros', CREATE_OPTIONS);
  return full(shape, 0, opts);
}

/** PyTorch: `torch.ones(*size)`; `ones(2, 3)` or `ones([2, 3], opts)`. */
export function ones(...args: SizeAndOptions): Tensor {
  const [shape, opts] = sizeAndOpts(args, 'ones', CREATE_OPTIONS);
  return full(shape, 1, opts);
}

/** PyTorch: `torch.rand(*size)`, uniform on [0, 1); `rand(2, 3)` or `rand([2, 3], opts)`. */
export function rand(...args: SizeAndOptions): Tensor {
  const [shape, opts] = sizeAndOpts(args, 'rand', RANDOM_OPTIONS);
  floatOnly(opts, 'check_uniform_bounds', 'torch.rand');
  const g = generatorOf(opts?.generator);
  const t = full(shape, 0, { dtype: opts?.dtype });
  // float32 gets 24-bit draws: a 53-bit draw rounded to float32 could become 1.
  if (t.dtype === 'float32') for (let i = 0; i < t.storage.length; i++) t.storage[i] = g.uniform24();
  else for (let i = 0; i < t.storage.length; i++) t.storage[i] = g.uniform();
  return finish(t, opts);
}

/** PyTorch: `torch.randn(*size)`, standard normal; `randn(2, 3)` or `randn([2, 3], opts)`. */
export function randn(...args: SizeAndOptions): Tensor {
  const [shape, opts] = sizeAndOpts(args, 'randn', RANDOM_OPTIONS);
  floatOnly(opts, 'normal_kernel_cpu', 'torch.randn');
  const g = generatorOf(opts?.generator);
  const t = full(shape, 0, { dtype: opts?.dtype });
  for (let i = 0; i < t.storage.length; i++) t.storage[i] = g.normal();
  return finish(t, opts);
}

/** Uniform on [low, high): PyTorch's `tensor.uniform_(a, b)` as a fresh tensor. */
export function uniform(shape: readonly number[], low: number, high: number, opts?: RandomOptions): Tensor {
  opts = RANDOM_OPTIONS.parse(opts, 'torch.uniform');
  floatOnly(opts, 'check_uniform_bounds', 'uniform');
  const g = generatorOf(opts?.generator);
  const t = full(shape, 0, { dtype: opts?.dtype });
  for (let i = 0; i < t.storage.length; i++) t.storage[i] = low + (high - low) * g.uniform();
  return finish(t, opts);
}

/**
 * A random permutation of 0 … n-1. PyTorch: `torch.randperm(n, generator=None, dtype=torch.int64)`.
 * Shape: (n), int64 unless `dtype` says otherwise. Fisher–Yates from the given generator (the
 * default one when left out).
 * PyTorch parity: the order differs from PyTorch's for the same seed (torchlet's stream is its own).
 */
export function randperm(n: number, opts?: RandomOptions): Tensor {
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    throw new ArgumentTypeError(`randperm(): argument 'n' (position 1) must be int, not ${typeof n === 'number' ? 'float' : typeName(n)}`);
  }
  opts = RANDOM_OPTIONS.parse(opts, 'torch.randperm');
  checkNonNegative([n]);
  const perm = randomPermutation(n, generatorOf(opts?.generator));
  const dtype = optDType(opts, 'torch.randperm') ?? 'int64';
  const t = full([n], 0, { dtype });
  t.storage.set(castStorage(perm, dtype, 'torch.randperm'));
  return finish(t, opts);
}

/**
 * PyTorch: `torch.arange(end)`, `torch.arange(start, end, step=1)`: start, start + step, ...
 * up to but excluding end. Options may follow any of the forms: `arange(5, { dtype: 'float32' })`.
 * Integer arguments give int64, as PyTorch; any fractional argument gives float32.
 */
export function arange(...args: (number | CreateOptions | undefined)[]): Tensor {
  const last = args[args.length - 1];
  const opts = typeof last !== 'number' && last !== undefined ? CREATE_OPTIONS.parse(last, 'torch.arange') : undefined;
  const nums = args.filter((a): a is number => typeof a === 'number');
  const [start, stop, step] = nums.length === 1 ? [0, nums[0], 1] : [nums[0], nums[1], nums[2] ?? 1];
  if (step === 0) throw new RuntimeError('step must be nonzero');
  if ((stop - start) / step < 0) {
    throw new RuntimeError('upper bound and larger bound inconsistent with step sign');
  }
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const allInt = [start, stop, step].every(Number.isInteger);
  const dtype = optDType(opts, 'torch.arange') ?? (allInt ? 'int64' : 'float32');
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = start + i * step;
  return traceOnly('arange', [], finish(new Tensor(castStorage(values, dtype, 'torch.arange'), [n], dtype), opts), { start, end: stop, step });
}

/** PyTorch: `torch.zeros_like(input, *, dtype=None, ...)`: zeros of input's shape, in input's dtype unless `dtype` says otherwise. */
export function zerosLike(x: Tensor, opts?: CreateOptions): Tensor {
  opts = CREATE_OPTIONS.parse(opts, 'torch.zeros_like');
  return full(x.shape, 0, { dtype: x.dtype, ...opts });
}
/** PyTorch: `torch.ones_like(input, *, dtype=None, ...)`: ones of input's shape, in input's dtype unless `dtype` says otherwise. */
export function onesLike(x: Tensor, opts?: CreateOptions): Tensor {
  opts = CREATE_OPTIONS.parse(opts, 'torch.ones_like');
  return full(x.shape, 1, { dtype: x.dtype, ...opts });
}
/** PyTorch: `torch.full_like(input, fill_value, *, dtype=None, ...)`: `value` in input's shape and dtype (unless `dtype` says otherwise). */
export function fullLike(x: Tensor, value: number | boolean, opts?: CreateOptions): Tensor {
  opts = CREATE_OPTIONS.parse(opts, 'torch.full_like');
  return full(x.shape, value, { dtype: x.dtype, ...opts });
}
/** PyTorch: `torch.rand_like(input, *, dtype=None, ...)`: uniform on [0, 1) in input's shape and (float) dtype. */
export function randLike(x: Tensor, opts?: CreateOptions): Tensor {
  opts = CREATE_OPTIONS.parse(opts, 'torch.rand_like');
  return rand(x.shape, { dtype: x.dtype, ...opts });
}
/** PyTorch: `torch.randn_like(input, *, dtype=None, ...)`: standard normal in input's shape and (float) dtype. */
export function randnLike(x: Tensor, opts?: CreateOptions): Tensor {
  opts = CREATE_OPTIONS.parse(opts, 'torch.randn_like');
  return randn(x.shape, { dtype: x.dtype, ...opts });
}

function checkCount(v: unknown, fn: string, arg: string, position: number): asserts v is number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new ArgumentTypeError(`${fn}(): argument '${arg}' (position ${position}) must be int, not ${typeof v === 'number' ? 'float' : typeName(v)}`);
  }
}

/**
 * PyTorch: `torch.eye(n, m=None, *, dtype=None, ...)`: ones on the main diagonal, zeros elsewhere.
 * Shapes: (n, m), m = n when left out. `eye(3, { dtype: 'int64' })` also works.
 */
export function eye(n: number, m?: number | CreateOptions | null, opts?: CreateOptions): Tensor {
  if (m !== null && typeof m === 'object') return eye(n, undefined, m);
  checkCount(n, 'eye', 'n', 1);
  if (m !== undefined && m !== null) checkCount(m, 'eye', 'm', 2);
  opts = CREATE_OPTIONS.parse(opts, 'torch.eye');
  if (n < 0) throw new RuntimeError(`n must be greater or equal to 0, got ${n}`);
  const cols = m ?? n;
  if (cols < 0) throw new RuntimeError(`m must be greater or equal to 0, got ${cols}`);
  const t = full([n, cols], 0, { dtype: optDType(opts, 'torch.eye') ?? 'float32' });
  for (let i = 0; i < Math.min(n, cols); i++) t.storage[i * cols + i] = 1;
  return finish(t, opts);
}

/** Evenly spaced values as PyTorch's kernel computes them: from `start` for the first half, from `end` for the second. */
function spaced(start: number, end: number, steps: number): Float64Array {
  const v = new Float64Array(steps);
  if (steps === 1) v[0] = start;
  if (steps < 2) return v;
  const step = (end - start) / (steps - 1);
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) v[i] = i < half ? start + step * i : end - step * (steps - i - 1);
  return v;
}

function checkSteps(start: unknown, end: unknown, steps: unknown, fn: string): asserts steps is number {
  if (typeof start !== 'number') throw new ArgumentTypeError(`${fn}(): argument 'start' (position 1) must be Number, not ${typeName(start)}`);
  if (typeof end !== 'number') throw new ArgumentTypeError(`${fn}(): argument 'end' (position 2) must be Number, not ${typeName(end)}`);
  checkCount(steps, fn, 'steps', 3);
  if (steps < 0) throw new RuntimeError('number of steps must be non-negative');
}

/**
 * PyTorch: `torch.linspace(start, end, steps, *, dtype=None, ...)`: `steps` evenly spaced values
 * from start to end, both included. Shapes: (steps). Float32 unless `dtype` says otherwise
 * (an integer dtype truncates, as PyTorch).
 */
export function linspace(start: number, end: number, steps: number, opts?: CreateOptions): Tensor {
  checkSteps(start, end, steps, 'linspace');
  opts = CREATE_OPTIONS.parse(opts, 'torch.linspace');
  const dtype = optDType(opts, 'torch.linspace') ?? 'float32';
  return finish(new Tensor(castStorage(spaced(start, end, steps), dtype, 'torch.linspace'), [steps], dtype), opts);
}

/** Options of `logspace`: also the base (PyTorch: `base=10.0`). */
export interface LogspaceOptions extends CreateOptions {
  base?: number;
}
/** The run-time check of these options (src/options.ts). */
const LOGSPACE_OPTIONS = CREATE_OPTIONS.extend<LogspaceOptions>('torch.logspace', { base: opt.number });

/**
 * PyTorch: `torch.logspace(start, end, steps, base=10.0, *, dtype=None, ...)`: base ** v for
 * `steps` evenly spaced v from start to end. Shapes: (steps). `logspace(0, 3, 4)` is
 * [1, 10, 100, 1000]; `logspace(0, 3, 4, { base: 2 })` or `logspace(0, 3, 4, 2)`.
 */
export function logspace(start: number, end: number, steps: number, base?: number | LogspaceOptions, opts?: LogspaceOptions): Tensor {
  if (base !== undefined && typeof base === 'object') return logspace(start, end, steps, undefined, base);
  checkSteps(start, end, steps, 'logspace');
  const o = LOGSPACE_OPTIONS.parse(opts, 'torch.logspace');
  if (base !== undefined && typeof base !== 'number') throw new ArgumentTypeError(`logspace(): argument 'base' (position 4) must be float, not ${typeName(base)}`);
  const b = base ?? o?.base ?? 10;
  const dtype = optDType(o, 'torch.logspace') ?? 'float32';
  const v = spaced(start, end, steps).map((e) => b ** e);
  return finish(new Tensor(castStorage(v, dtype, 'torch.logspace'), [steps], dtype), o);
}

/**
 * PyTorch: `torch.empty_like(input)`: a tensor of input's shape and dtype whose values are not
 * meant to be read. PyTorch parity: torchlet's are zeros.
 */
export function emptyLike(x: Tensor, opts?: CreateOptions): Tensor {
  opts = CREATE_OPTIONS.parse(opts, 'torch.empty_like');
  return full(x.shape, 0, { dtype: x.dtype, ...opts });
}
