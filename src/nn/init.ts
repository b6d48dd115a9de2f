/**
 * Parameter initialisation in place. PyTorch: `torch.nn.init` (1.13): the same formulas, fan
 * computations, gains and errors, run under no-grad as PyTorch does (so they work on parameters
 * that require grad). Each returns the tensor it filled.
 *
 *   nn.init.orthogonal_(lstm.weight_hh_l0);
 *   nn.init.kaimingUniform_(linear.weight, { nonlinearity: 'relu' });
 *   nn.init.zeros_(linear.bias);
 *
 * PyTorch parity: random values come from torchlet's generator (`torch.manualSeed`, or a
 * `generator` option), so they differ from PyTorch's for the same seed; their distribution is
 * PyTorch's. Fans: fan_in = size(1) · receptive field, fan_out = size(0) · receptive field, where
 * the receptive field is the product of the sizes after the first two.
 */

import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentTypeError, DTypeError, typeName, ValueError } from '../errors.js';
import { checkNumber } from '../tensor/args.js';
import { isFloat } from '../tensor/dtype.js';
import type { Generator } from '../tensor/random.js';
import { generatorOf } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { erf } from './functional/activation.js';
import { INIT_OPTIONS, KAIMING_OPTIONS } from './init-options.js';

export { INIT_OPTIONS, KAIMING_OPTIONS };

/** The nonlinearities `calculateGain` knows. PyTorch's spelling (data). */
export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';

/** Options of the random initialisers: the generator to draw from (default: the global one). PyTorch: their `generator=` keyword argument. */
export interface InitOptions {
  generator?: Generator | null;
}

function checkTensor(t: unknown, fn: string): asserts t is Tensor {
  if (!(t instanceof Tensor)) {
    throw new ArgumentTypeError(`${fn}(): argument 'tensor' (position 1) must be Tensor, not ${typeName(t)}`);
  }
  if (!isFloat(t.dtype)) {
    throw new DTypeError(`${fn}: expected a floating point tensor, got ${t.dtype}. Convert first: t.float().`);
  }
}

/** Write `values` (row-major, one per element) into `t` in place, as a no-grad in-place op. */
function fill(t: Tensor, values: ArrayLike<number>): Tensor {
  noGrad(() => t.copy_(values));
  const bump = (t as unknown as { _bumpVersion?: () => void })._bumpVersion;
  // copy_ bumps the version counter itself where it does; this covers a copy_ that does not.
  if (typeof bump === 'function' && !copyBumpsVersion()) bump.call(t);
  return t;
}
let copyBumps: boolean | undefined;
/** Whether Tensor.copy_ already counts as an in-place write (checked at the first fill, not at import). */
function copyBumpsVersion(): boolean {
  if (copyBumps === undefined) {
    const probe = Tensor.empty([1], 'float32') as unknown as { _version?: number; copy_: (v: number[]) => void };
    const before = probe._version;
    probe.copy_([1]);
    copyBumps = before !== undefined && probe._version !== before;
  }
  return copyBumps;
}

function draw(t: Tensor, f: () => number): Tensor {
  const v = new Float64Array(t.numel());
  for (let i = 0; i < v.length; i++) v[i] = f();
  return fill(t, v);
}

/**
 * Fan-in and fan-out of a weight. PyTorch: `torch.nn.init._calculate_fan_in_and_fan_out`.
 * Shape: (out, in, *receptive) with at least 2 dims; Linear's (out, in), Conv1d's (out, in/groups, k).
 */
export function calculateFanInAndFanOut(tensor: Tensor): [fanIn: number, fanOut: number] {
  checkTensor(tensor, 'calculateFanInAndFanOut');
  if (tensor.ndim < 2) {
    throw new ValueError('Fan in and fan out can not be computed for tensor with fewer than 2 dimensions');
  }
  let receptive = 1;
  for (let d = 2; d < tensor.ndim; d++) receptive *= tensor.shape[d];
  return [tensor.shape[1] * receptive, tensor.shape[0] * receptive];
}

function correctFan(tensor: Tensor, mode: string): number {
  if (mode !== 'fan_in' && mode !== 'fan_out') {
    throw new ValueError(`Mode ${mode} not supported, please use one of ['fan_in', 'fan_out']`);
  }
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  return mode === 'fan_in' ? fanIn : fanOut;
}

/**
 * The recommended gain for a nonlinearity. PyTorch: `torch.nn.init.calculate_gain(nonlinearity, param=None)`.
 * linear, conv*, sigmoid: 1; tanh: 5/3; relu: √2; leaky_relu: √(2 / (1 + slope²)) with slope
 * `param` (default 0.01); selu: 3/4.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number | null): number {
  const linearFns = ['linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d'];
  if (linearFns.includes(nonlinearity) || nonlinearity === 'sigmoid') return 1;
  if (nonlinearity === 'tanh') return 5.0 / 3;
  if (nonlinearity === 'relu') return Math.sqrt(2.0);
  if (nonlinearity === 'leaky_relu') {
    let slope = 0.01;
    if (param !== undefined && param !== null) {
      if (typeof param !== 'number' || Number.isNaN(param)) throw new ValueError(`negative_slope ${String(param)} not a valid number`);
      slope = param;
    }
    return Math.sqrt(2.0 / (1 + slope ** 2));
  }
  if (nonlinearity === 'selu') return 3.0 / 4;
  throw new ValueError(`Unsupported nonlinearity ${String(nonlinearity)}`);
}

/**
 * Fill with U(a, b). PyTorch: `torch.nn.init.uniform_(tensor, a=0.0, b=1.0)`. Shape: any.
 */
export function uniform_(tensor: Tensor, a = 0, b = 1, options: InitOptions = {}): Tensor {
  checkTensor(tensor, 'uniform_');
  checkNumber(a, 'uniform_', 'a', 2);
  checkNumber(b, 'uniform_', 'b', 3);
  options = INIT_OPTIONS.parse(options, 'nn.init.uniform_');
  if (!(a <= b)) throw new ValueError(`uniform_ expects to return a [from, to) range, but found from=${a} > to=${b}`);
  const g = generatorOf(options.generator);
  return draw(tensor, () => a + (b - a) * g.uniform());
}

/**
 * Fill with N(mean, std²). PyTorch: `torch.nn.init.normal_(tensor, mean=0.0, std=1.0)`. Shape: any.
 */
export function normal_(tensor: Tensor, mean = 0, std = 1, options: InitOptions = {}): Tensor {
  checkTensor(tensor, 'normal_');
  checkNumber(mean, 'normal_', 'mean', 2);
  checkNumber(std, 'normal_', 'std', 3);
  options = INIT_OPTIONS.parse(options, 'nn.init.normal_');
  if (!(std >= 0)) throw new ValueError(`normal expects std >= 0.0, but found std ${std}`);
  const g = generatorOf(options.generator);
  return draw(tensor, () => mean + std * g.normal());
}

/** The inverse error function, float64 (Giles' approximation refined by two Newton steps). */
function erfinv(y: number): number {
  if (y <= -1) return y === -1 ? -Infinity : Number.NaN;
  if (y >= 1) return y === 1 ? Infinity : Number.NaN;
  let w = -Math.log((1 - y) * (1 + y));
  let x: number;
  if (w < 5) {
    w -= 2.5;
    let p = 2.81022636e-8;
    for (const c of [3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941]) p = c + p * w;
    x = p * y;
  } else {
    w = Math.sqrt(w) - 3;
    let p = -0.000200214257;
    for (const c of [0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682]) p = c + p * w;
    x = p * y;
  }
  for (let k = 0; k < 2; k++) x -= (erf(x) - y) / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x));
  return x;
}

/**
 * Fill with N(mean, std²) truncated to [a, b] (values outside are redrawn, in effect).
 * PyTorch: `torch.nn.init.trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0)`, with its
 * method: uniform draws mapped through the normal's inverse CDF between the bounds' CDFs.
 */
export function truncNormal_(
  tensor: Tensor,
  mean = 0,
  std = 1,
  a = -2,
  b = 2,
  options: InitOptions = {},
): Tensor {
  checkTensor(tensor, 'truncNormal_');
  checkNumber(mean, 'truncNormal_', 'mean', 2);
  checkNumber(std, 'truncNormal_', 'std', 3);
  checkNumber(a, 'truncNormal_', 'a', 4);
  checkNumber(b, 'truncNormal_', 'b', 5);
  options = INIT_OPTIONS.parse(options, 'nn.init.truncNormal_');
  const cdf = (x: number) => (1 + erf(x / Math.SQRT2)) / 2;
  const l = cdf((a - mean) / std);
  const u = cdf((b - mean) / std);
  const g = generatorOf(options.generator);
  return draw(tensor, () => {
    const v = 2 * l - 1 + (2 * u - 1 - (2 * l - 1)) * g.uniform();
    const x = erfinv(v) * std * Math.SQRT2 + mean;
    return Math.min(b, Math.max(a, x));
  });
}

/** Fill with one value. PyTorch: `torch.nn.init.constant_(tensor, val)`. */
export function constant_(tensor: Tensor, val: number): Tensor {
  checkTensor(tensor, 'constant_');
  checkNumber(val, 'constant_', 'val', 2);
  return fill(tensor, new Float64Array(tensor.numel()).fill(val));
}

/** Fill with ones. PyTorch: `torch.nn.init.ones_(tensor)`. */
export function ones_(tensor: Tensor): Tensor {
  return constant_(tensor, 1);
}

/** Fill with zeros. PyTorch: `torch.nn.init.zeros_(tensor)`. */
export function zeros_(tensor: Tensor): Tensor {
  return constant_(tensor, 0);
}

/**
 * The identity matrix (ones on the diagonal of a non-square one too). PyTorch:
 * `torch.nn.init.eye_(tensor)`. Shape: (n, m) only.
 */
export function eye_(tensor: Tensor): Tensor {
  checkTensor(tensor, 'eye_');
  if (tensor.ndim !== 2) throw new ValueError('Only tensors with 2 dimensions are supported');
  const [n, m] = tensor.shape as [number, number];
  const v = new Float64Array(n * m);
  for (let i = 0; i < Math.min(n, m); i++) v[i * m + i] = 1;
  return fill(tensor, v);
}

/**
 * The Dirac delta: a convolution that passes its input through (per group). PyTorch:
 * `torch.nn.init.dirac_(tensor, groups=1)`. Shape: (out, in, k...) with 1–3 spatial dims; out
 * divisible by groups; a one at [g·(out/groups) + d, d, centre...] for d < min(out/groups, in).
 */
export function dirac_(tensor: Tensor, groups = 1): Tensor {
  checkTensor(tensor, 'dirac_');
  checkNumber(groups, 'dirac_', 'groups', 2, true);
  const dims = tensor.ndim;
  if (dims < 3 || dims > 5) throw new ValueError('Only tensors with 3, 4, or 5 dimensions are supported');
  const sizes = tensor.shape;
  if (sizes[0] % groups !== 0) throw new ValueError('dim 0 must be divisible by groups');
  const outPerGroup = Math.floor(sizes[0] / groups);
  const minDim = Math.min(outPerGroup, sizes[1]);
  const strides = sizes.map((_, i) => sizes.slice(i + 1).reduce((p, s) => p * s, 1));
  const v = new Float64Array(tensor.numel());
  for (let g = 0; g < groups; g++) {
    for (let d = 0; d < minDim; d++) {
      let off = (g * outPerGroup + d) * strides[0] + d * strides[1];
      for (let k = 2; k < dims; k++) off += Math.floor(sizes[k] / 2) * strides[k];
      v[off] = 1;
    }
  }
  return fill(tensor, v);
}

/** Both Xavier forms: their arguments checked (`fn` names the caller), then std = gain · √(2 / (fan_in + fan_out)). */
function xavierStd(fn: string, tensor: Tensor, gain: number, options: InitOptions): [number, InitOptions] {
  checkTensor(tensor, fn);
  checkNumber(gain, fn, 'gain', 2);
  const parsed = INIT_OPTIONS.parse(options, `nn.init.${fn}`);
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  return [gain * Math.sqrt(2.0 / (fanIn + fanOut)), parsed];
}

/**
 * Glorot/Xavier uniform: U(-a, a) with a = gain · √(6 / (fan_in + fan_out)). PyTorch:
 * `torch.nn.init.xavier_uniform_(tensor, gain=1.0)`. Shape: at least 2 dims.
 */
export function xavierUniform_(tensor: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  const [std, parsed] = xavierStd('xavierUniform_', tensor, gain, options);
  const a = Math.sqrt(3.0) * std;
  return uniform_(tensor, -a, a, parsed);
}

/**
 * Glorot/Xavier normal: N(0, std²) with std = gain · √(2 / (fan_in + fan_out)). PyTorch:
 * `torch.nn.init.xavier_normal_(tensor, gain=1.0)`. Shape: at least 2 dims.
 */
export function xavierNormal_(tensor: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  const [std, parsed] = xavierStd('xavierNormal_', tensor, gain, options);
  return normal_(tensor, 0, std, parsed);
}

/** PyTorch: `kaiming_*_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu')`. */
export interface KaimingOptions extends InitOptions {
  /** The negative slope of the leaky ReLU after this layer. */
  a?: number;
  /** 'fan_in' keeps the forward pass's variance, 'fan_out' the backward pass's. */
  mode?: 'fan_in' | 'fan_out';
  nonlinearity?: Nonlinearity;
}

function kaimingStd(tensor: Tensor, options: KaimingOptions): number {
  const fan = correctFan(tensor, options.mode ?? 'fan_in');
  const gain = calculateGain(options.nonlinearity ?? 'leaky_relu', options.a ?? 0);
  return gain / Math.sqrt(fan);
}

/**
 * He/Kaiming uniform: U(-bound, bound) with bound = gain · √(3 / fan). PyTorch:
 * `torch.nn.init.kaiming_uniform_`. A tensor with no elements is left alone (PyTorch warns).
 */
export function kaimingUniform_(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  checkTensor(tensor, 'kaimingUniform_');
  options = KAIMING_OPTIONS.parse(options, 'nn.init.kaimingUniform_');
  if (tensor.shape.includes(0)) return tensor;
  const bound = Math.sqrt(3.0) * kaimingStd(tensor, options);
  return uniform_(tensor, -bound, bound, { generator: options.generator ?? null });
}

/**
 * He/Kaiming normal: N(0, std²) with std = gain / √fan. PyTorch: `torch.nn.init.kaiming_normal_`.
 */
export function kaimingNormal_(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  checkTensor(tensor, 'kaimingNormal_');
  options = KAIMING_OPTIONS.parse(options, 'nn.init.kaimingNormal_');
  if (tensor.shape.includes(0)) return tensor;
  return normal_(tensor, 0, kaimingStd(tensor, options), { generator: options.generator ?? null });
}

/**
 * A (semi-)orthogonal matrix times `gain`: the Q of a QR decomposition of a normal matrix, with
 * R's diagonal made positive (so Q is uniformly distributed). PyTorch:
 * `torch.nn.init.orthogonal_(tensor, gain=1)`. Shape: (rows, *) with at least 2 dims, treated
 * as (rows, numel / rows); rows ≤ cols gives orthonormal rows, else orthonormal columns.
 */
export function orthogonal_(tensor: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  checkTensor(tensor, 'orthogonal_');
  checkNumber(gain, 'orthogonal_', 'gain', 2);
  options = INIT_OPTIONS.parse(options, 'nn.init.orthogonal_');
  if (tensor.ndim < 2) throw new ValueError('Only tensors with 2 or more dimensions are supported');
  const n = tensor.numel();
  if (n === 0) return tensor;
  const rows = tensor.shape[0];
  const cols = n / rows;
  const g = generatorOf(options.generator);
  // Work on the tall orientation (m ≥ k): columns to orthonormalise.
  const tall = rows >= cols;
  const m = tall ? rows : cols;
  const k = tall ? cols : rows;
  const a = new Float64Array(rows * cols);
  for (let i = 0; i < a.length; i++) a[i] = g.normal();
  // q[c] is column c of the (m, k) matrix: (rows, cols) itself, or its transpose.
  const q: Float64Array[] = [];
  for (let c = 0; c < k; c++) {
    const col = new Float64Array(m);
    for (let r = 0; r < m; r++) col[r] = tall ? a[r * cols + c] : a[c * cols + r];
    // Gram–Schmidt twice against the columns so far ("twice is enough"), then normalise: the
    // resulting R has a positive diagonal, which is what PyTorch's sign fix-up produces.
    for (let pass = 0; pass < 2; pass++) {
      for (const prev of q) {
        let dot = 0;
        for (let r = 0; r < m; r++) dot += prev[r] * col[r];
        for (let r = 0; r < m; r++) col[r] -= dot * prev[r];
      }
    }
    let norm = 0;
    for (let r = 0; r < m; r++) norm += col[r] * col[r];
    norm = Math.sqrt(norm);
    for (let r = 0; r < m; r++) col[r] = norm > 0 ? col[r] / norm : 0;
    q.push(col);
  }
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (tall ? q[c][r] : q[r][c]);
  }
  return fill(tensor, out);
}
