/**
 * Activation functions. PyTorch: `torch.nn.functional.relu`, `gelu`, `leaky_relu`, `elu`,
 * `sigmoid`, `tanh`, `softmax`, `log_softmax`. Those the core ops lack are pointwise ops written
 * here, each forward beside its derivative.
 */

import { record, traceAttrs } from '../../autograd/node.js';
import { DTypeError, RuntimeError } from '../../errors.js';
import * as ops from '../../ops/index.js';
import { checkNumber, checkTensor } from '../../tensor/args.js';
import { allocStorage, cName, isFloat } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import { warn } from './warn.js';

/**
 * A pointwise op y = f(x) with dy/dx = df(x, y), computed in float64 and stored in x's dtype.
 * One graph node named `name` (PyTorch's grad_fn name); `kernel` is PyTorch's kernel name, which
 * its error for an integer or bool input names.
 */
function pointwise(
  name: string,
  kernel: string,
  x: Tensor,
  f: (v: number) => number,
  df: (v: number, y: number) => number,
): Tensor {
  if (!isFloat(x.dtype)) {
    throw new DTypeError(`"${kernel}" not implemented for '${cName(x.dtype)}'. Hint: convert the input with .float() first.`);
  }
  const xd = ops.contiguous(x.detach()).contiguousData();
  const out = allocStorage(x.dtype, xd.length);
  for (let i = 0; i < xd.length; i++) out[i] = f(xd[i]);
  const y = new Tensor(out, x.shape, x.dtype);
  return record(name, [x], y, ([g]) => {
    const gd = ops.contiguous(g!).contiguousData();
    const dx = allocStorage(x.dtype, xd.length);
    for (let i = 0; i < xd.length; i++) dx[i] = gd[i] * df(xd[i], out[i]);
    return [new Tensor(dx, x.shape, x.dtype)];
  }, [x], 'raw');
}

/** PyTorch: `torch.nn.functional.relu(input)`: max(x, 0); gradient 0 at 0. */
export function relu(input: Tensor): Tensor {
  return ops.relu(input);
}

/** PyTorch: `torch.tanh` / `torch.nn.functional.tanh`. */
export function tanh(input: Tensor): Tensor {
  return ops.tanh(input);
}

/** PyTorch: `torch.sigmoid` / `torch.nn.functional.sigmoid`: 1 / (1 + exp(-x)). */
export function sigmoid(input: Tensor): Tensor {
  return ops.sigmoid(input);
}

/** PyTorch: `torch.nn.functional.leaky_relu(input, negative_slope=0.01)`: x if x > 0 else slope * x. */
export function leakyRelu(input: Tensor, negativeSlope = 0.01): Tensor {
  checkTensor(input, 'leaky_relu', 'input', 1);
  checkNumber(negativeSlope, 'leaky_relu', 'negative_slope', 2);
  const y = pointwise(
    'LeakyReluBackward0',
    'leaky_relu_cpu',
    input,
    (v) => (v > 0 ? v : v * negativeSlope),
    (v) => (v > 0 ? 1 : negativeSlope),
  );
  return traceAttrs(y, { alpha: negativeSlope });
}

/** PyTorch: `torch.nn.functional.elu(input, alpha=1.0)`: x if x > 0 else alpha * (exp(x) - 1). */
export function elu(input: Tensor, alpha = 1.0): Tensor {
  checkTensor(input, 'elu', 'input', 1);
  checkNumber(alpha, 'elu', 'alpha', 2);
  const y = pointwise(
    'EluBackward0',
    'elu_cpu',
    input,
    (v) => (v > 0 ? v : alpha * Math.expm1(v)),
    (v) => (v > 0 ? 1 : alpha * Math.exp(v)),
  );
  return traceAttrs(y, { alpha });
}

/**
 * The error function erf(x) = 2/√π ∫₀ˣ exp(-t²) dt on a plain number. PyTorch: `torch.erf`
 * (elementwise there). Float64 accuracy: Taylor series near 0, a continued fraction for erfc
 * in the tails (no table lookups, so it is easy to check).
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (Number.isNaN(x)) return x;
  if (ax < 2.5) {
    // erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 80; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (ax > 6) return Math.sign(x);
  // erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), evaluated bottom-up.
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * PyTorch: `torch.nn.functional.gelu(input, approximate='none')`:
 * x Φ(x) = 0.5 x (1 + erf(x / √2)), or with `'tanh'`
 * 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))).
 */
export function gelu(input: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  checkTensor(input, 'gelu', 'input', 1);
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new RuntimeError('approximate argument must be either none or tanh.');
  }
  if (approximate === 'tanh') {
    const y = pointwise(
      'GeluBackward0',
      'GeluKernelImpl',
      input,
      (v) => 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))),
      (v) => {
        const inner = SQRT_2_OVER_PI * (v + 0.044715 * v * v * v);
        const t = Math.tanh(inner);
        const dInner = SQRT_2_OVER_PI * (1 + 3 * 0.044715 * v * v);
        return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * dInner;
      },
    );
    return traceAttrs(y, { approximate });
  }
  const y = pointwise(
    'GeluBackward0',
    'GeluKernelImpl',
    input,
    (v) => 0.5 * v * (1 + erf(v * SQRT1_2)),
    (v) => 0.5 * (1 + erf(v * SQRT1_2)) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v),
  );
  return traceAttrs(y, { approximate });
}

/** PyTorch's `_get_softmax_dim`: the dim used when none is given (with its deprecation warning). */
function implicitDim(name: string, ndim: number): number {
  warn(`Implicit dimension choice for ${name} has been deprecated. Change the call to include dim=X as an argument.`);
  return ndim === 0 || ndim === 1 || ndim === 3 ? 0 : 1;
}

/** PyTorch: `torch.nn.functional.softmax(input, dim, dtype=None)`: exp(x) / sum(exp(x)) along dim; `{ dtype }` casts first. */
export function softmax(input: Tensor, dim?: number | null, options?: ops.SoftmaxOptions): Tensor {
  checkTensor(input, 'softmax', 'input', 1);
  if (dim !== undefined && dim !== null) checkNumber(dim, 'softmax', 'dim', 2, true);
  return ops.softmax(input, dim ?? implicitDim('softmax', input.ndim), options);
}

/** PyTorch: `torch.nn.functional.log_softmax(input, dim, dtype=None)`: x - logsumexp(x) along dim; `{ dtype }` casts first. */
export function logSoftmax(input: Tensor, dim?: number | null, options?: ops.SoftmaxOptions): Tensor {
  checkTensor(input, 'log_softmax', 'input', 1);
  if (dim !== undefined && dim !== null) checkNumber(dim, 'log_softmax', 'dim', 2, true);
  return ops.logSoftmax(input, dim ?? implicitDim('log_softmax', input.ndim), options);
}
