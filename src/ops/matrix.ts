/**
 * Matrix-shaped ops: triangles, diagonals, batched products, outer products.
 * PyTorch: `torch.triu`, `torch.tril`, `torch.diag`, `torch.bmm`, `torch.baddbmm`, `torch.outer`.
 * Forward beside backward.
 */

import { noGrad } from '../autograd/grad-mode.js';
import { record } from '../autograd/node.js';
import { ArgumentTypeError, DTypeError, RuntimeError, ShapeError, typeName } from '../errors.js';
import { defineOptions, opt } from '../options.js';
import { checkTensor } from '../tensor/args.js';
import { cName, isFloat } from '../tensor/dtype.js';
import { broadcastShapes, fmtShape, normDim } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { add, mul } from './elementwise.js';
import { matmul } from './matmul.js';
import { expand, transpose, unsqueeze } from './shape.js';
import { copyContiguous, sumToShape } from './util.js';

function checkInt(v: unknown, fn: string, arg: string, position: number): asserts v is number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new ArgumentTypeError(`${fn}(): argument '${arg}' (position ${position}) must be int, not ${typeof v === 'number' ? 'float' : typeName(v)}`);
  }
}

/** Zero the entries of the last two dims above (lower) or below (upper) the `k`-th diagonal; no record. */
function triangleRaw(x: Tensor, k: number, upper: boolean): Tensor {
  const y = copyContiguous(x);
  const [m, n] = [x.shape[x.ndim - 2], x.shape[x.ndim - 1]];
  const s = y.storage;
  for (let base = 0; base < s.length; base += m * n) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const keep = upper ? j - i >= k : j - i <= k;
        if (!keep) s[base + i * n + j] = 0;
      }
    }
  }
  return y;
}

function triangle(x: Tensor, diagonal: number, upper: boolean): Tensor {
  const name = upper ? 'triu' : 'tril';
  checkTensor(x, name, 'input', 1);
  checkInt(diagonal, name, 'diagonal', 2);
  if (x.ndim < 2) {
    // PyTorch fails on reading dim -2: "Dimension out of range (expected to be in range of [-1, 0], but got -2)".
    normDim(-2, Math.max(x.ndim, 1));
    throw new RuntimeError(`${name}: input tensor must have at least 2 dimensions`);
  }
  const y = triangleRaw(x, diagonal, upper);
  return record(upper ? 'TriuBackward0' : 'TrilBackward0', [x], y, ([g]) => [triangle(g!, diagonal, upper)], []);
}

/**
 * PyTorch: `torch.triu(input, diagonal=0)`: the upper triangle of the last two dims (entries with
 * j - i >= diagonal), the rest zero. Shapes: (..., M, N) → (..., M, N).
 */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return triangle(x, diagonal, true);
}

/**
 * PyTorch: `torch.tril(input, diagonal=0)`: the lower triangle of the last two dims (entries with
 * j - i <= diagonal), the rest zero. Shapes: (..., M, N) → (..., M, N). `tril(ones(L, L))` is a
 * causal mask.
 */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return triangle(x, diagonal, false);
}

/** The `k`-th diagonal of a matrix as a strided view, no record. */
function diagonalView(x: Tensor, k: number): Tensor {
  const [m, n] = [x.shape[0], x.shape[1]];
  const len = Math.max(0, k >= 0 ? Math.min(m, n - k) : Math.min(m + k, n));
  const offset = x.offset + (len === 0 ? 0 : k >= 0 ? k * x.strides[1] : -k * x.strides[0]);
  return new Tensor(x.storage, [len], x.dtype, [x.strides[0] + x.strides[1]], offset);
}

/** A (m, n) matrix of zeros with `v` on its `k`-th diagonal (recorded: its backward reads the diagonal back). */
function diagEmbed(v: Tensor, k: number, m: number, n: number): Tensor {
  const z = Tensor.empty([m, n], v.dtype);
  const d = diagonalView(z, k);
  const src = v.contiguousData();
  for (let i = 0; i < d.shape[0]; i++) z.storage[d.offset + i * d.strides[0]] = src[i];
  return record('DiagEmbedBackward0', [v], z, ([g]) => [diagExtract(g!, k)], []);
}

/** The `k`-th diagonal of a matrix, copied (recorded: its backward embeds the gradient). */
function diagExtract(x: Tensor, k: number): Tensor {
  const y = copyContiguous(diagonalView(x, k));
  return record('DiagonalBackward0', [x], y, ([g]) => [diagEmbed(g!, k, x.shape[0], x.shape[1])], []);
}

/**
 * PyTorch: `torch.diag(input, diagonal=0)`: a 1-D input (N) becomes the square matrix
 * (N + |k|, N + |k|) with it on the k-th diagonal (k > 0 above the main one); a 2-D input (M, N)
 * gives its k-th diagonal as a 1-D copy. Gradients flow both ways.
 */
export function diag(x: Tensor, diagonal = 0): Tensor {
  checkTensor(x, 'diag', 'input', 1);
  checkInt(diagonal, 'diag', 'diagonal', 2);
  if (x.ndim === 1) {
    const n = x.shape[0] + Math.abs(diagonal);
    return diagEmbed(x, diagonal, n, n);
  }
  if (x.ndim === 2) return diagExtract(x, diagonal);
  throw new RuntimeError('matrix or a vector expected');
}

/**
 * PyTorch: `torch.bmm(input, mat2)`: a batch of matrix products, no broadcasting.
 * Shapes: (B, N, M) · (B, M, P) → (B, N, P).
 */
export function bmm(a: Tensor, b: Tensor): Tensor {
  checkTensor(a, 'bmm', 'input', 1);
  checkTensor(b, 'bmm', 'mat2', 2);
  checkBatches(a, b);
  return matmul(a, b);
}

function checkBatches(a: Tensor, b: Tensor): void {
  if (a.ndim !== 3) throw new ShapeError('batch1 must be a 3D tensor');
  if (b.ndim !== 3) throw new ShapeError('batch2 must be a 3D tensor');
  if (b.shape[0] !== a.shape[0] || b.shape[1] !== a.shape[2]) {
    throw new ShapeError(
      `Expected size for first two dimensions of batch2 tensor to be: [${a.shape[0]}, ${a.shape[2]}] but got: [${b.shape[0]}, ${b.shape[1]}].` +
        `\nbmm needs batch1 (B, N, M) and batch2 (B, M, P); got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}.`,
    );
  }
  if (a.dtype !== b.dtype) throw new DTypeError(`expected scalar type ${cName(a.dtype)} but found ${cName(b.dtype)}`);
}

/** Options of `baddbmm`. PyTorch: the keyword arguments `beta=1, alpha=1`. */
export interface BaddbmmOptions {
  /** Multiplier of `input` (0 ignores its values, NaN included, as PyTorch). */
  beta?: number;
  /** Multiplier of the product. */
  alpha?: number;
}
/** @internal The run-time check of these options (src/options.ts). */
const BADDBMM_OPTIONS = defineOptions<BaddbmmOptions>('torch.baddbmm', { beta: opt.number, alpha: opt.number });

/**
 * PyTorch: `torch.baddbmm(input, batch1, batch2, *, beta=1, alpha=1)`:
 * beta · input + alpha · (batch1 @ batch2), input broadcast to the result.
 * Shapes: input broadcastable to (B, N, P); batch1 (B, N, M); batch2 (B, M, P) → (B, N, P).
 */
export function baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, options?: BaddbmmOptions): Tensor {
  const o = BADDBMM_OPTIONS.parse(options);
  checkTensor(input, 'baddbmm', 'input', 1);
  checkTensor(batch1, 'baddbmm', 'batch1', 2);
  checkTensor(batch2, 'baddbmm', 'batch2', 3);
  checkBatches(batch1, batch2);
  const beta = o.beta ?? 1;
  const alpha = o.alpha ?? 1;
  if (!isFloat(batch1.dtype) && (!Number.isInteger(beta) || !Number.isInteger(alpha))) {
    throw new RuntimeError('For integral input tensors, argument alpha must not be a floating point number.');
  }
  const shape = [batch1.shape[0], batch1.shape[1], batch2.shape[2]];
  const bs = broadcastShapes(input.shape, shape);
  if (bs.length !== 3 || bs.some((s, i) => s !== shape[i])) {
    throw new ShapeError(`The expanded size of the tensor (${shape[2]}) must match the existing size (${input.shape[input.ndim - 1]}) at non-singleton dimension 2.  Target sizes: ${fmtShape(shape)}.  Tensor sizes: ${fmtShape(input.shape)}`);
  }
  const y = noGrad(() => {
    const p = matmul(batch1, batch2);
    const scaled = alpha === 1 ? p : mul(p, alpha);
    // beta = 0: input's values (NaN, inf) are not read, as PyTorch.
    return beta === 0 ? copyContiguous(scaled) : copyContiguous(add(scaled, mul(expand(input, shape), beta)));
  });
  return record(
    'BaddbmmBackward0',
    [input, batch1, batch2],
    y,
    ([g]) => [
      input.requiresGrad ? sumToShape(mul(g!, beta), input.shape) : null,
      batch1.requiresGrad ? mul(matmul(g!, transpose(batch2, 1, 2)), alpha) : null,
      batch2.requiresGrad ? mul(matmul(transpose(batch1, 1, 2), g!), alpha) : null,
    ],
    [batch2.requiresGrad ? batch1 : null, batch1.requiresGrad ? batch2 : null],
  );
}

/**
 * PyTorch: `torch.outer(input, vec2)` (alias `ger`): the outer product of two vectors.
 * Shapes: (N) ⊗ (M) → (N, M).
 */
export function outer(a: Tensor, b: Tensor): Tensor {
  checkTensor(a, 'outer', 'input', 1);
  checkTensor(b, 'outer', 'vec2', 2);
  if (a.ndim !== 1) throw new ShapeError(`outer: Expected 1-D argument self, but got ${a.ndim}-D`);
  if (b.ndim !== 1) throw new ShapeError(`outer: Expected 1-D argument vec2, but got ${b.ndim}-D`);
  return mul(unsqueeze(a, 1), b);
}
