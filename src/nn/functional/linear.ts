/**
 * Linear maps and lookups. PyTorch: `torch.nn.functional.linear`, `torch.nn.functional.embedding`.
 */

import { checkNumber, checkOptionalTensor, checkTensor } from '../../tensor/args.js';
import { record, traceAttrs } from '../../autograd/node.js';
import { DTypeError, IndexError, ShapeError, ValueError } from '../../errors.js';
import { backend } from '../../kernels/backend.js';
import { contiguous } from '../../ops/util.js';
import type { FloatStorage } from '../../tensor/dtype.js';
import { allocStorage, cName, isFloat, tensorTypeName } from '../../tensor/dtype.js';
import { fmtShape } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';

/**
 * PyTorch: `torch.nn.functional.linear(input, weight, bias=None)`: y = x Wᵀ + b.
 *
 * Shape: input (*, Hin), weight (Hout, Hin), bias (Hout) or null, output (*, Hout).
 * One fused op as PyTorch's `addmm`: the leading dims are flattened into M rows, the bias is
 * written into the output rows and the backend's GEMM accumulates x Wᵀ onto it. Backward:
 * dx = g W, dW = gᵀ x (both GEMMs), db = column sums of g.
 */
export function linear(input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  checkTensor(input, 'linear', 'input', 1);
  checkTensor(weight, 'linear', 'weight', 2);
  checkOptionalTensor(bias, 'linear', 'bias', 3);
  if (input.ndim === 0 || weight.ndim === 0) {
    throw new ShapeError(`both arguments to matmul need to be at least 1D, but they are ${input.ndim}D and ${weight.ndim}D`);
  }
  if (weight.ndim !== 2) throw new ShapeError(`linear: weight must be 2-D (out_features, in_features), got ${fmtShape(weight.shape)}`);
  if (!isFloat(input.dtype) || !isFloat(weight.dtype)) {
    throw new DTypeError(`"addmm_impl_cpu_" not implemented for '${cName(isFloat(input.dtype) ? weight.dtype : input.dtype)}'`);
  }
  const [outF, inF] = weight.shape as [number, number];
  const k = input.shape[input.ndim - 1];
  const m = input.numel() / Math.max(k, 1);
  if (k !== inF) {
    throw new ShapeError(
      `mat1 and mat2 shapes cannot be multiplied (${input.ndim === 1 ? 1 : m}x${k} and ${inF}x${outF})`,
    );
  }
  const typeName = (d: string) => (d === 'float64' ? 'Double' : 'Float');
  if (weight.dtype !== input.dtype) {
    throw new DTypeError(`expected scalar type ${typeName(input.dtype)} but found ${typeName(weight.dtype)}`);
  }
  if (bias !== null) {
    if (bias.dtype !== input.dtype) throw new DTypeError('self and mat2 must have the same dtype');
    if (bias.numel() !== outF && bias.numel() !== 1) {
      throw new ShapeError(
        `The expanded size of the tensor (${outF}) must match the existing size (${bias.shape[bias.ndim - 1] ?? 1}) at non-singleton dimension 1.  Target sizes: [${m}, ${outF}].  Tensor sizes: ${fmtShape(bias.shape)}`,
      );
    }
  }
  const x = floatData(input);
  const w = floatData(weight);
  const out = allocStorage(input.dtype, m * outF) as FloatStorage;
  if (bias !== null) {
    const b = floatData(bias);
    for (let r = 0; r < m; r++) {
      if (b.length === 1) out.fill(b[0], r * outF, (r + 1) * outF);
      else out.set(b, r * outF);
    }
  }
  backend().gemm({ m, n: outF, k, a: x, b: w, transB: true, c: out, accumulate: bias !== null });
  const y = new Tensor(out, [...input.shape.slice(0, -1), outF], input.dtype);
  const inputs = bias === null ? [input, weight] : [input, weight, bias];
  return record('AddmmBackward0', inputs, y, ([g]) => {
    const gd = floatData(g!);
    let dx: Tensor | null = null;
    let dw: Tensor | null = null;
    let db: Tensor | null = null;
    if (input.requiresGrad) {
      // dx (M, Hin) = g (M, Hout) · W (Hout, Hin)
      const d = allocStorage(input.dtype, m * k) as FloatStorage;
      backend().gemm({ m, n: k, k: outF, a: gd, b: w, c: d });
      dx = new Tensor(d, input.shape, input.dtype);
    }
    if (weight.requiresGrad) {
      // dW (Hout, Hin) = gᵀ (Hout, M) · x (M, Hin)
      const d = allocStorage(weight.dtype, outF * k) as FloatStorage;
      backend().gemm({ m: outF, n: k, k: m, a: gd, transA: true, b: x, c: d });
      dw = new Tensor(d, weight.shape, weight.dtype);
    }
    if (bias?.requiresGrad) {
      const d = new Float64Array(outF);
      for (let r = 0; r < m; r++) for (let j = 0; j < outF; j++) d[j] += gd[r * outF + j];
      const sums = allocStorage(bias.dtype, bias.numel());
      if (bias.numel() === 1) sums[0] = d.reduce((a, v) => a + v, 0);
      else sums.set(d);
      db = new Tensor(sums, bias.shape, bias.dtype);
    }
    return bias === null ? [dx, dw] : [dx, dw, db];
  }, [weight.requiresGrad ? input : null, input.requiresGrad ? weight : null], 'raw');
}

function floatData(t: Tensor): FloatStorage {
  return contiguous(t.detach()).contiguousData() as FloatStorage;
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
 * Shape: input (*) int64 or int32 indices, weight (numEmbeddings, embeddingDim), output (*, embeddingDim).
 */
export function embedding(input: Tensor, weight: Tensor, paddingIdx: number | null = null): Tensor {
  checkTensor(input, 'embedding', 'input', 1);
  checkTensor(weight, 'embedding', 'weight', 2);
  if (paddingIdx !== null && paddingIdx !== undefined) checkNumber(paddingIdx, 'embedding', 'padding_idx', 3, true);
  if (input.dtype !== 'int64' && input.dtype !== 'int32') {
    throw new DTypeError(
      `Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got ${input.dtype === 'bool' ? 'CPUBoolType' : tensorTypeName(input.dtype)} instead (while checking arguments for embedding)`,
    );
  }
  if (weight.ndim !== 2) throw new ShapeError("'weight' must be 2-D");
  const [rows, dim] = weight.shape as [number, number];
  const pad = normalizePaddingIdx(paddingIdx, rows);
  const idx = contiguous(input).contiguousData();
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i];
    if (v < 0 || v >= rows) {
      throw new IndexError(
        `index out of range in self (index ${v} with ${rows} embeddings; valid indices are 0..${rows - 1})`,
      );
    }
  }
  const w = contiguous(weight.detach()).contiguousData();
  const out = allocStorage(weight.dtype, idx.length * dim);
  for (let i = 0; i < idx.length; i++) out.set(w.subarray(idx[i] * dim, (idx[i] + 1) * dim), i * dim);
  const y = new Tensor(out, [...input.shape, dim], weight.dtype);
  return traceAttrs(record('EmbeddingBackward0', [weight], y, ([g]) => {
    const gd = contiguous(g!).contiguousData();
    const dw = allocStorage(weight.dtype, rows * dim);
    for (let i = 0; i < idx.length; i++) {
      const row = idx[i];
      if (row === pad) continue;
      for (let j = 0; j < dim; j++) dw[row * dim + j] += gd[i * dim + j];
    }
    return [new Tensor(dw, weight.shape, weight.dtype)];
  }, [input], 'linear'), { indices: input });
}
