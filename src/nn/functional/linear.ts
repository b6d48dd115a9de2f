/**
 * Linear maps and lookups. PyTorch: `torch.nn.functional.linear`, `torch.nn.functional.embedding`.
 */

import { record } from '../../autograd/node.js';
import { DTypeError, IndexError, ShapeError, ValueError } from '../../errors.js';
import { add } from '../../ops/elementwise.js';
import { matmul } from '../../ops/matmul.js';
import { reshape, transpose } from '../../ops/shape.js';
import { contiguous } from '../../ops/util.js';
import { allocStorage } from '../../tensor/dtype.js';
import { fmtShape } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';

/**
 * PyTorch: `torch.nn.functional.linear(input, weight, bias=None)`: y = x Wᵀ + b.
 *
 * Shape: input (*, Hin), weight (Hout, Hin), bias (Hout) or null, output (*, Hout).
 * Leading dims are flattened into one GEMM (no per-row loop, no copy of the weight).
 */
export function linear(input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  if (input.ndim === 0 || weight.ndim === 0) {
    throw new ShapeError(`both arguments to matmul need to be at least 1D, but they are ${input.ndim}D and ${weight.ndim}D`);
  }
  const inF = input.shape[input.ndim - 1]!;
  const wt = weight.ndim === 1 ? weight : transpose(weight, 0, 1);
  let y: Tensor;
  if (input.ndim <= 2) {
    y = matmul(input, wt);
  } else {
    const lead = input.shape.slice(0, -1);
    y = matmul(reshape(input, [-1, inF]), wt);
    y = reshape(y, [...lead, ...y.shape.slice(1)]);
  }
  if (bias === null) return y;
  if (bias.ndim > y.ndim || bias.shape.some((s, i) => s !== 1 && s !== y.shape[y.ndim - bias.ndim + i])) {
    throw new ShapeError(
      `The expanded size of the tensor (${y.shape[y.ndim - 1]}) must match the existing size (${bias.shape[bias.ndim - 1]}) at non-singleton dimension ${y.ndim - 1}.  Target sizes: ${fmtShape(y.shape)}.  Tensor sizes: ${fmtShape(bias.shape)}`,
    );
  }
  return add(y, bias);
}

/** `paddingIdx` as PyTorch normalises it: negative counts from the end; must address a row. */
export function normalizePaddingIdx(paddingIdx: number | null | undefined, numEmbeddings: number): number | null {
  if (paddingIdx === null || paddingIdx === undefined) return null;
  if (!Number.isInteger(paddingIdx) || paddingIdx >= numEmbeddings || paddingIdx < -numEmbeddings) {
    // PyTorch raises AssertionError; ValueError is the nearest typed error here.
    throw new ValueError('Padding_idx must be within num_embeddings');
  }
  return paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx;
}

/**
 * PyTorch: `torch.nn.functional.embedding(input, weight, padding_idx=None)`: rows of `weight`
 * picked by integer indices. The row at `paddingIdx` gets no gradient.
 *
 * Shape: input (*) int32 indices, weight (numEmbeddings, embeddingDim), output (*, embeddingDim).
 * PyTorch parity: indices are int32 here (PyTorch takes int64 or int32).
 */
export function embedding(input: Tensor, weight: Tensor, paddingIdx: number | null = null): Tensor {
  if (input.dtype !== 'int32') {
    throw new DTypeError(
      `Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got torch.${input.dtype === 'float64' ? 'Double' : 'Float'}Tensor instead (while checking arguments for embedding)`,
    );
  }
  if (weight.ndim !== 2) throw new ShapeError("'weight' must be 2-D");
  const [rows, dim] = weight.shape as [number, number];
  const pad = normalizePaddingIdx(paddingIdx, rows);
  const idx = contiguous(input).contiguousData();
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i]!;
    if (v < 0 || v >= rows) {
      throw new IndexError(
        `index out of range in self (index ${v} with ${rows} embeddings; valid indices are 0..${rows - 1})`,
      );
    }
  }
  const w = contiguous(weight.detach()).contiguousData();
  const out = allocStorage(weight.dtype, idx.length * dim);
  for (let i = 0; i < idx.length; i++) out.set(w.subarray(idx[i]! * dim, (idx[i]! + 1) * dim), i * dim);
  const y = new Tensor(out, [...input.shape, dim], weight.dtype);
  return record('EmbeddingBackward0', [weight], y, ([g]) => {
    const gd = contiguous(g!).contiguousData();
    const dw = allocStorage(weight.dtype, rows * dim);
    for (let i = 0; i < idx.length; i++) {
      const row = idx[i]!;
      if (row === pad) continue;
      for (let j = 0; j < dim; j++) dw[row * dim + j]! += gd[i * dim + j]!;
    }
    return [new Tensor(dw, weight.shape, weight.dtype)];
  });
}
