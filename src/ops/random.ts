/**
 * Random sampling ops. PyTorch: `torch.randint`, `torch.multinomial`, `torch.bernoulli`,
 * `torch.normal`. Every one takes `{ generator }` (a `torch.Generator`; the default one when
 * left out). PyTorch parity: the draws differ from PyTorch's for the same seed (torchlet's
 * stream is its own); the distributions are the same.
 */

import { record } from '../autograd/node.js';
import { ArgumentTypeError, DTypeError, RuntimeError, ShapeError, typeName } from '../errors.js';
import { defineOptions, opt } from '../options.js';
import { checkTensor } from '../tensor/args.js';
import { castValue, cName, isFloat, parseCreateDType } from '../tensor/dtype.js';
import { Generator, generatorOf } from '../tensor/random.js';
import { broadcastShapes, checkNonNegative, numel, parseSize } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { CreateOptions, RandomOptions } from './creation.js';
import { full, RANDOM_OPTIONS } from './creation.js';
import { expand } from './shape.js';
import { indexTensor } from './util.js';

/** Options of the sampling ops that only take a generator. PyTorch: `generator=`. */
export interface GeneratorOptions {
  /** A `torch.Generator` of its own stream; the default generator when left out. */
  generator?: Generator | null;
}
/** @internal The run-time check of these options (src/options.ts). */
export const GENERATOR_OPTIONS = defineOptions<GeneratorOptions>('torch.bernoulli', {
  generator: opt.nullable(opt.instance(() => Generator, 'torch.Generator')),
});

/** Options of `multinomial`: the generator, and `replacement` as a keyword too. PyTorch: the arguments `replacement=False, *, generator=None` of `torch.multinomial`. */
export interface MultinomialOptions extends GeneratorOptions {
  /** Draw with replacement (default false: each category at most once per row). */
  replacement?: boolean;
}
const MULTINOMIAL_OPTIONS = GENERATOR_OPTIONS.extend<MultinomialOptions>('torch.multinomial', { replacement: opt.bool });

function checkInt(v: unknown, fn: string, arg: string, position: number): asserts v is number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new ArgumentTypeError(`${fn}(): argument '${arg}' (position ${position}) must be int, not ${typeof v === 'number' ? 'float' : typeName(v)}`);
  }
}

/**
 * PyTorch: `torch.randint(low=0, high, size, *, generator=None, dtype=torch.int64)`: integers
 * uniform on [low, high). `randint(10, [3])`, `randint(-5, 5, [2, 3], { generator })`.
 * Shapes: `size`. int64 unless `dtype` says otherwise (a float dtype holds the integers).
 */
export function randint(high: number, size: readonly number[], opts?: RandomOptions): Tensor;
export function randint(low: number, high: number, size: readonly number[], opts?: RandomOptions): Tensor;
export function randint(a: number, b: number | readonly number[], c?: readonly number[] | RandomOptions, d?: RandomOptions): Tensor {
  const twoBounds = typeof b === 'number';
  const [low, high, size, options] = twoBounds ? [a, b, c as readonly number[], d] : [0, a, b, c as RandomOptions | undefined];
  if (twoBounds) checkInt(low, 'randint', 'low', 1);
  checkInt(high, 'randint', 'high', twoBounds ? 2 : 1);
  if (!Array.isArray(size)) {
    throw new ArgumentTypeError(`randint(): argument 'size' (position ${twoBounds ? 3 : 2}) must be tuple of ints, not ${typeName(size)}`);
  }
  const o = RANDOM_OPTIONS.parse(options, 'torch.randint');
  const shape = parseSize([size]);
  checkNonNegative(shape);
  if (low >= high) throw new RuntimeError(`random_ expects 'from' to be less than 'to', but got from=${low} >= to=${high}`);
  const dtype = parseCreateDType(o, 'torch.randint') ?? 'int64';
  if (dtype === 'bool' && (low < 0 || high > 2)) throw new RuntimeError(`random_ expects 'from' and 'to' to be in [0, 2] for bool, but got from=${low} to=${high}`);
  // Checked before drawing: an int64/int32 bound outside the dtype's range is refused.
  castValue(low, dtype, 'torch.randint');
  castValue(high - 1, dtype, 'torch.randint');
  const g = generatorOf(o?.generator);
  const t = full(shape, 0, { dtype });
  for (let i = 0; i < t.storage.length; i++) t.storage[i] = low + g.below(high - low);
  if (o?.requiresGrad) t.requiresGrad_(true);
  return t;
}

/** PyTorch: `torch.randint_like(input, low=0, high)`: `randint` with input's shape and dtype. */
export function randintLike(x: Tensor, low: number, high?: number | CreateOptions, opts?: CreateOptions): Tensor {
  checkTensor(x, 'randint_like', 'input', 1);
  if (high === undefined || (high !== null && typeof high === 'object')) return randintLike(x, 0, low, high);
  const o = RANDOM_OPTIONS.parse(opts, 'torch.randint_like');
  return randint(low, high, x.shape, { dtype: x.dtype, ...o });
}

/** Probabilities must be finite and >= 0 with a positive sum, as PyTorch's check. */
function checkDistribution(p: ArrayLike<number>, from: number, n: number): number {
  let total = 0;
  for (let j = 0; j < n; j++) {
    const v = p[from + j];
    if (!(v >= 0) || v === Number.POSITIVE_INFINITY) throw new RuntimeError('probability tensor contains either `inf`, `nan` or element < 0');
    total += v;
  }
  if (!(total > 0)) throw new RuntimeError('invalid multinomial distribution (sum of probabilities <= 0)');
  return total;
}

/** One index drawn in proportion to w[0..n) (total given), skipping nothing. */
function drawIndex(w: Float64Array, n: number, total: number, g: Generator): number {
  const u = g.uniform() * total;
  let acc = 0;
  let last = -1;
  for (let j = 0; j < n; j++) {
    if (w[j] <= 0) continue;
    acc += w[j];
    last = j;
    if (u < acc) return j;
  }
  return last; // round-off at the top end
}

/**
 * PyTorch: `torch.multinomial(input, num_samples, replacement=False, *, generator=None)`: indices
 * drawn in proportion to each row's weights (non-negative, not necessarily summing to 1). Without
 * replacement a category is drawn at most once per row; zero-weight categories come only after
 * every positive one is drawn, as PyTorch's. `multinomial(p, 5, true)` or
 * `multinomial(p, 5, { replacement: true, generator })`.
 * Shapes: (C) → (numSamples); (N, C) → (N, numSamples); int64.
 */
export function multinomial(input: Tensor, numSamples: number, replacement?: boolean | MultinomialOptions, opts?: MultinomialOptions): Tensor {
  checkTensor(input, 'multinomial', 'input', 1);
  checkInt(numSamples, 'multinomial', 'num_samples', 2);
  const fromObject = replacement !== null && typeof replacement === 'object';
  const o = MULTINOMIAL_OPTIONS.parse(fromObject ? replacement : opts);
  if (!fromObject && replacement !== undefined && typeof replacement !== 'boolean') {
    throw new ArgumentTypeError(`multinomial(): argument 'replacement' (position 3) must be bool, not ${typeName(replacement)}`);
  }
  const withReplacement = (fromObject ? o.replacement : replacement) ?? false;
  if (!isFloat(input.dtype)) throw new DTypeError(`multinomial only supports floating-point dtypes for input, got: ${cName(input.dtype)}`);
  if (input.ndim !== 1 && input.ndim !== 2) throw new ShapeError('prob_dist must be 1 or 2 dim');
  const c = input.shape[input.ndim - 1];
  const rows = input.ndim === 2 ? input.shape[0] : 1;
  if (c > 2 ** 24) throw new RuntimeError('number of categories cannot exceed 2^24');
  if (numSamples <= 0) throw new RuntimeError('cannot sample n_sample <= 0 samples');
  if (!withReplacement && numSamples > c) throw new RuntimeError('cannot sample n_sample > prob_dist.size(-1) samples without replacement');
  const p = input.contiguousData();
  const totals: number[] = [];
  for (let r = 0; r < rows; r++) totals.push(checkDistribution(p, r * c, c));
  const g = generatorOf(o.generator);
  const out = new Int32Array(rows * numSamples);
  const w = new Float64Array(c);
  const cdf = new Float64Array(c);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < c; j++) w[j] = p[r * c + j];
    let total = totals[r];
    if (withReplacement) {
      // Cumulative weights once per row, then a binary search per draw: O(C + n log C).
      let acc = 0;
      for (let j = 0; j < c; j++) cdf[j] = acc += w[j];
      for (let s = 0; s < numSamples; s++) out[r * numSamples + s] = searchCdf(cdf, g.uniform() * acc);
      continue;
    }
    for (let s = 0; s < numSamples; s++) {
      let k: number;
      if (total > 0) {
        k = drawIndex(w, c, total, g);
      } else {
        // Without replacement, once the positive weights are used up: the remaining zero-weight categories uniformly.
        const left: number[] = [];
        for (let j = 0; j < c; j++) if (w[j] === 0) left.push(j);
        k = left[g.below(left.length)];
      }
      out[r * numSamples + s] = k;
      if (!withReplacement) {
        w[k] = -1; // drawn
        total = recount(w, c);
      }
    }
  }
  return indexTensor(out, input.ndim === 2 ? [rows, numSamples] : [numSamples]);
}

/** The first index whose cumulative weight exceeds u (so zero-weight categories are never picked). */
function searchCdf(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid] > u) hi = mid;
    else lo = mid + 1;
  }
  // Round-off at the top: step back over trailing zero weights.
  while (lo > 0 && cdf[lo] === cdf[lo - 1]) lo--;
  return lo;
}

/** The sum of the positive weights left (after subtractions lose precision). */
function recount(w: Float64Array, n: number): number {
  let t = 0;
  for (let j = 0; j < n; j++) if (w[j] > 0) t += w[j];
  return t;
}

/**
 * PyTorch: `torch.bernoulli(input, *, generator=None)`: 1 with probability input[i], else 0
 * (input's dtype); `torch.bernoulli(input, p)` / `Tensor.bernoulli(p)`: each entry 1 with the
 * scalar probability p. Shapes: input's. Differentiable as PyTorch's: the gradient is zero.
 */
export function bernoulli(input: Tensor, p?: number | GeneratorOptions | null, opts?: GeneratorOptions): Tensor {
  checkTensor(input, 'bernoulli', 'input', 1);
  if (p !== null && typeof p === 'object') return bernoulli(input, undefined, p);
  const o = GENERATOR_OPTIONS.parse(opts);
  if (p !== undefined && p !== null && typeof p !== 'number') {
    throw new ArgumentTypeError(`bernoulli(): argument 'p' (position 2) must be float, not ${typeName(p)}`);
  }
  if (!isFloat(input.dtype) && (p === undefined || p === null)) {
    throw new DTypeError(`"bernoulli_tensor_cpu_self_" not implemented for '${cName(input.dtype)}'`);
  }
  const n = input.numel();
  const g = generatorOf(o.generator);
  const y = full(input.shape, 0, { dtype: input.dtype });
  if (typeof p === 'number') {
    if (!(p >= 0 && p <= 1)) throw new RuntimeError(`bernoulli_ expects p to be in [0, 1], but got p=${p}`);
    for (let i = 0; i < n; i++) y.storage[i] = g.uniform() < p ? 1 : 0;
  } else {
    const probs = input.contiguousData();
    for (let i = 0; i < n; i++) {
      if (!(probs[i] >= 0 && probs[i] <= 1)) {
        throw new RuntimeError('Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message be improved?  If so, please report an enhancement request to PyTorch.)');
      }
    }
    for (let i = 0; i < n; i++) y.storage[i] = g.uniform() < probs[i] ? 1 : 0;
  }
  return record('BernoulliBackward0', [input], y, ([g0]) => [full(g0!.shape, 0, { dtype: g0!.dtype })], []);
}

function checkStd(std: number): void {
  if (!(std >= 0)) throw new RuntimeError(`normal expects std >= 0.0, but found std ${std}`);
}

/**
 * PyTorch: `torch.normal`, four forms: `normal(mean, std)` with tensors (broadcast together),
 * `normal(meanTensor, std = 1)`, `normal(mean, stdTensor)`, and `normal(mean, std, size)`
 * (numbers; float32 unless `dtype`). Each takes `{ generator }` last.
 * Shapes: the broadcast of mean and std, or `size`. Differentiable as PyTorch's: zero gradients.
 */
export function normal(mean: Tensor, std?: Tensor | number, opts?: GeneratorOptions): Tensor;
export function normal(mean: number, std: Tensor, opts?: GeneratorOptions): Tensor;
export function normal(mean: number, std: number, size: readonly number[], opts?: RandomOptions): Tensor;
export function normal(mean: Tensor | number, std: Tensor | number = 1, c?: readonly number[] | RandomOptions | GeneratorOptions, d?: RandomOptions): Tensor {
  if (typeof mean === 'number' && typeof std === 'number') {
    if (!Array.isArray(c)) throw new ArgumentTypeError(`normal(): argument 'size' (position 3) must be tuple of ints, not ${typeName(c)}`);
    const o = RANDOM_OPTIONS.parse(d, 'torch.normal');
    checkStd(std);
    const dtype = parseCreateDType(o, 'torch.normal') ?? 'float32';
    if (!isFloat(dtype)) throw new DTypeError(`"normal_kernel_cpu" not implemented for '${cName(dtype)}'`);
    const shape = parseSize([c]);
    checkNonNegative(shape);
    const g = generatorOf(o?.generator);
    const t = full(shape, 0, { dtype });
    for (let i = 0; i < t.storage.length; i++) t.storage[i] = mean + std * g.normal();
    if (o?.requiresGrad) t.requiresGrad_(true);
    return t;
  }
  if (!(mean instanceof Tensor) && typeof mean !== 'number') throw new ArgumentTypeError(`normal(): argument 'mean' (position 1) must be Tensor, not ${typeName(mean)}`);
  if (!(std instanceof Tensor) && typeof std !== 'number') throw new ArgumentTypeError(`normal(): argument 'std' (position 2) must be Tensor, not ${typeName(std)}`);
  const o = GENERATOR_OPTIONS.parse(c as GeneratorOptions | undefined);
  const like = (mean instanceof Tensor ? mean : std) as Tensor;
  if (!isFloat(like.dtype)) throw new DTypeError(`"normal_kernel_cpu" not implemented for '${cName(like.dtype)}'`);
  if (typeof std === 'number') checkStd(std);
  const shape = mean instanceof Tensor && std instanceof Tensor ? broadcastShapes(mean.shape, std.shape) : like.shape;
  const mv = mean instanceof Tensor ? expand(mean.detach(), shape).contiguousData() : null;
  const sv = std instanceof Tensor ? expand(std.detach(), shape).contiguousData() : null;
  if (sv !== null) for (let i = 0; i < sv.length; i++) if (!(sv[i] >= 0)) throw new RuntimeError('normal expects all elements of std >= 0.0');
  const g = generatorOf(o.generator);
  const y = full(shape, 0, { dtype: like.dtype });
  const n = numel(shape);
  for (let i = 0; i < n; i++) {
    const m = mv === null ? (mean as number) : mv[i];
    const s = sv === null ? (std as number) : sv[i];
    y.storage[i] = m + s * g.normal();
  }
  const inputs = [mean, std].filter((t): t is Tensor => t instanceof Tensor);
  return record('NormalBackward3', inputs, y, () => inputs.map((t) => full(t.shape, 0, { dtype: t.dtype })), []);
}
