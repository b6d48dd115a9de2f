/**
 * Compare analytic gradients with central finite differences. PyTorch: `torch.autograd.gradcheck`.
 * Use float64 inputs for tight checks (as PyTorch recommends); float32 needs looser tolerances.
 */

import { ArgumentTypeError, RuntimeError, typeName } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { noGrad } from './grad-mode.js';
import { defineOptions, opt } from '../options.js';

/** PyTorch: `gradcheck(..., eps, atol, rtol, raise_exception)`; defaults as PyTorch for float64. */
export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Throw on failure (PyTorch's `raise_exception=True`, the default) or return false. */
  raiseException?: boolean;
}
/** Run-time check of `GradcheckOptions` (src/options.ts). */
export const GRADCHECK_OPTIONS = defineOptions<GradcheckOptions>('autograd.gradcheck', {
  eps: opt.number,
  atol: opt.number,
  rtol: opt.number,
  raiseException: opt.bool,
});

/**
 * `fn` maps the inputs to one tensor (any shape). Checks d(sum(out * w))/d(input) for a fixed
 * random-looking weight w, against (f(x + eps) - f(x - eps)) / 2eps for every input element of
 * every input that requires grad.
 * PyTorch: `torch.autograd.gradcheck`.
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], opts: GradcheckOptions = {}): boolean {
  if (typeof fn !== 'function') throw new ArgumentTypeError(`gradcheck(): argument 'func' (position 1) must be a function, not ${typeName(fn)}`);
  if (!Array.isArray(inputs)) throw new ArgumentTypeError(`gradcheck(): argument 'inputs' (position 2) must be an array of Tensors, not ${typeName(inputs)}`);
  opts = GRADCHECK_OPTIONS.parse(opts);
  const isF64 = inputs.every((t) => t.dtype !== 'float32');
  const eps = opts.eps ?? (isF64 ? 1e-6 : 1e-3);
  const atol = opts.atol ?? (isF64 ? 1e-5 : 1e-2);
  const rtol = opts.rtol ?? (isF64 ? 1e-3 : 1e-2);
  const out0 = noGrad(() => fn(...inputs));
  const w = out0.contiguousData().map((_, i) => Math.cos(i * 1.7 + 0.3));
  const scalar = (out: Tensor): number => {
    const d = out.contiguousData();
    let s = 0;
    for (let i = 0; i < d.length; i++) s += d[i] * w[i];
    return s;
  };
  // Backward into fresh .grad fields, restoring the caller's afterwards.
  const saved = inputs.map((t) => t.grad);
  for (const t of inputs) t.grad = null;
  const out = fn(...inputs);
  const seed = out0.detach().clone();
  seed.storage.set(w);
  out.backward(seed);
  const analytics = inputs.map((t) => t.grad?.contiguousData() ?? new Float64Array(t.numel()));
  inputs.forEach((t, k) => {
    t.grad = saved[k] ?? null;
  });
  for (const [k, t] of inputs.entries()) {
    if (!t.requiresGrad) continue;
    if (!t.isContiguous()) throw new RuntimeError('gradcheck needs contiguous inputs');
    const analytic = analytics[k];
    for (let i = 0; i < t.numel(); i++) {
      const at = t.offset + i;
      const orig = t.storage[at];
      t.storage[at] = orig + eps;
      const fp = noGrad(() => scalar(fn(...inputs)));
      t.storage[at] = orig - eps;
      const fm = noGrad(() => scalar(fn(...inputs)));
      t.storage[at] = orig;
      const numeric = (fp - fm) / (2 * eps);
      const a = analytic[i];
      if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric))) {
        if (opts.raiseException === false) return false;
        throw new RuntimeError(
          `Jacobian mismatch for output 0 with respect to input ${k}, element ${i}: numerical ${numeric}, analytical ${a}`,
        );
      }
    }
  }
  return true;
}
