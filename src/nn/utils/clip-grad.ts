/**
 * Gradient clipping. PyTorch: `torch.nn.utils.clip_grad_norm_`, `torch.nn.utils.clip_grad_value_`.
 * Recurrent networks need it: gradients through long sequences can explode.
 */

import { ArgumentTypeError, RuntimeError, typeName } from '../../errors.js';
import { defineOptions, opt } from '../../options.js';
import { checkNumber } from '../../tensor/args.js';
import { Tensor } from '../../tensor/tensor.js';

/** PyTorch: the keyword arguments of `clip_grad_norm_`. */
export interface ClipGradNormOptions {
  /** The p of the p-norm; `Infinity` for the max-abs norm. Default 2. */
  normType?: number;
  /** Throw when the total norm is NaN or ±Infinity instead of scaling by it. Default false. */
  errorIfNonfinite?: boolean;
}
/** Run-time check of `ClipGradNormOptions` (src/options.ts). */
export const CLIP_GRAD_NORM_OPTIONS = defineOptions<ClipGradNormOptions>('nn.utils.clipGradNorm_', {
  normType: opt.number,
  errorIfNonfinite: opt.bool,
});

/** The parameters argument: a tensor or an iterable of tensors (PyTorch's `_tensor_or_tensors`). */
function checkParameters(parameters: unknown, fn: string): asserts parameters is Tensor | Iterable<Tensor> {
  if (parameters instanceof Tensor) return;
  if (parameters === null || typeof parameters !== 'object' || !(Symbol.iterator in parameters)) {
    throw new ArgumentTypeError(`${fn}(): argument 'parameters' (position 1) must be Tensor or an iterable of Tensors, not ${typeName(parameters)}`);
  }
}

function gradsOf(parameters: Tensor | Iterable<Tensor>): Tensor[] {
  const params = parameters instanceof Tensor ? [parameters] : [...parameters];
  return params.filter((p) => p.grad !== null).map((p) => p.grad!);
}

/** Round to the dtype of `t` (float32 values are stored as float32, as PyTorch's result is). */
function roundTo(t: Tensor, x: number): number {
  return t.dtype === 'float32' ? Math.fround(x) : x;
}

/** torch.norm(values, p) for one flat array, accumulated in float64. */
function pNorm(values: ArrayLike<number>, p: number): number {
  const n = values.length;
  if (p === Number.POSITIVE_INFINITY || p === Number.NEGATIVE_INFINITY) {
    if (n === 0) return 0;
    let acc = Math.abs(values[0]);
    for (let i = 1; i < n; i++) {
      const a = Math.abs(values[i]);
      // NaN wins, as torch.max propagates it.
      if (Number.isNaN(a) || (p > 0 ? a > acc : a < acc)) acc = a;
    }
    return acc;
  }
  if (p === 0) {
    let count = 0;
    for (let i = 0; i < n; i++) if (values[i] !== 0) count++;
    return count;
  }
  let acc = 0;
  if (p === 2) for (let i = 0; i < n; i++) acc += values[i] * values[i];
  else if (p === 1) for (let i = 0; i < n; i++) acc += Math.abs(values[i]);
  else for (let i = 0; i < n; i++) acc += Math.abs(values[i]) ** p;
  return p === 1 ? acc : p === 2 ? Math.sqrt(acc) : acc ** (1 / p);
}

/** Multiply a gradient in place by `c`. PyTorch: `g.detach().mul_(c)`. */
function scaleInPlace(g: Tensor, c: number): void {
  if (g.isContiguous()) {
    const s = g.storage;
    for (let i = g.offset, end = g.offset + g.numel(); i < end; i++) s[i] = s[i] * c;
  } else {
    g.copy_(Array.from(g.contiguousData(), (v) => v * c));
  }
}

/** Python's `str(float)` for the norm order in the error message. */
function pyFloat(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

/**
 * Scale the gradients of `parameters` in place so that their joint norm is at most `maxNorm`,
 * and return that norm (taken before clipping) as a 0-d tensor. PyTorch:
 * `torch.nn.utils.clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False)`.
 *
 * The norm is the p-norm of the per-parameter p-norms (max of max-abs values for `Infinity`).
 * Every gradient is multiplied by min(1, maxNorm / (norm + 1e-6)), rounded as PyTorch rounds it
 * in float32. Parameters whose `grad` is null are skipped; with no gradients at all the result is
 * `tensor(0.)` and nothing changes.
 *
 *   loss.backward();
 *   const norm = torch.nn.utils.clipGradNorm_(model.parameters(), 1.0);
 *   opt.step();
 */
export function clipGradNorm_(
  parameters: Tensor | Iterable<Tensor>,
  maxNorm: number,
  options: ClipGradNormOptions = {},
): Tensor {
  checkParameters(parameters, 'clip_grad_norm_');
  checkNumber(maxNorm, 'clip_grad_norm_', 'max_norm', 2);
  options = CLIP_GRAD_NORM_OPTIONS.parse(options);
  const normType = options.normType ?? 2;
  const grads = gradsOf(parameters);
  if (grads.length === 0) return new Tensor(new Float32Array(1), [], 'float32');
  const first = grads[0];
  const norms = grads.map((g) => roundTo(first, roundTo(g, pNorm(g.contiguousData(), normType))));
  const total = roundTo(first, grads.length === 1 && !Number.isFinite(normType) ? norms[0] : pNorm(norms, normType));
  if (options.errorIfNonfinite && !Number.isFinite(total)) {
    throw new RuntimeError(
      `The total norm of order ${pyFloat(normType)} for gradients from \`parameters\` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set \`error_if_nonfinite=False\``,
    );
  }
  // PyTorch: clip_coef = max_norm / (total_norm + 1e-6), which Python evaluates as
  // (total_norm + 1e-6).reciprocal() * max_norm on a tensor of the gradients' dtype.
  const coef = roundTo(first, roundTo(first, 1 / roundTo(first, total + roundTo(first, 1e-6))) * roundTo(first, maxNorm));
  const clamped = Number.isNaN(coef) ? coef : Math.min(coef, 1);
  for (const g of grads) scaleInPlace(g, roundTo(g, clamped));
  const out = Tensor.empty([], first.dtype);
  out.storage[0] = total;
  return out;
}

/**
 * Clamp every gradient element of `parameters` into [-clipValue, clipValue], in place. PyTorch:
 * `torch.nn.utils.clip_grad_value_(parameters, clip_value)`.
 */
export function clipGradValue_(parameters: Tensor | Iterable<Tensor>, clipValue: number): void {
  checkParameters(parameters, 'clip_grad_value_');
  checkNumber(clipValue, 'clip_grad_value_', 'clip_value', 2);
  for (const g of gradsOf(parameters)) {
    const lo = roundTo(g, -clipValue);
    const hi = roundTo(g, clipValue);
    const values = Array.from(g.contiguousData(), (v) => (Number.isNaN(v) ? v : Math.min(Math.max(v, lo), hi)));
    g.copy_(values);
  }
}
