/** Matrix products. PyTorch: `torch.matmul` (1-D, 2-D and batched with broadcasting). */

import { record } from '../autograd/node.js';
import { DTypeError, ShapeError } from '../errors.js';
import { backend } from '../kernels/backend.js';
import type { FloatStorage } from '../tensor/dtype.js';
import { allocStorage, isFloat } from '../tensor/dtype.js';
import { broadcastShapes, numel } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { expand, reshape, squeezeDims, transpose, unsqueeze } from './shape.js';
import { contiguous, sumToShape } from './util.js';

/** A 2-D operand as the GEMM kernel wants it: row-major, or row-major of its transpose. */
function gemmOperand(t: Tensor): { data: FloatStorage; offset: number; trans: boolean } {
  const [r, c] = [t.shape[0]!, t.shape[1]!];
  if (t.strides[1] === 1 && (t.strides[0] === c || r === 1)) {
    return { data: t.storage as FloatStorage, offset: t.offset, trans: false };
  }
  if (t.strides[0] === 1 && (t.strides[1] === r || c === 1)) {
    return { data: t.storage as FloatStorage, offset: t.offset, trans: true };
  }
  const cc = contiguous(t);
  return { data: cc.storage as FloatStorage, offset: cc.offset, trans: false };
}

/** (M,K)·(K,N) → (M,N), no autograd. */
function mm(a: Tensor, b: Tensor): Tensor {
  const [m, k] = [a.shape[0]!, a.shape[1]!];
  const n = b.shape[1]!;
  const out = allocStorage(a.dtype, m * n) as FloatStorage;
  const A = gemmOperand(a);
  const B = gemmOperand(b);
  backend().gemm({ m, n, k, a: A.data, b: B.data, c: out, transA: A.trans, transB: B.trans, offsetA: A.offset, offsetB: B.offset });
  return new Tensor(out, [m, n], a.dtype);
}

/** (...,M,K)·(...,K,N) with batch dims already equal → (...,M,N), no autograd. */
function bmm(a: Tensor, b: Tensor): Tensor {
  const batchShape = a.shape.slice(0, -2);
  const batch = numel(batchShape);
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.ndim - 1]!;
  const ac = contiguous(a);
  const bc = contiguous(b);
  const out = allocStorage(a.dtype, batch * m * n) as FloatStorage;
  backend().gemm({
    m, n, k, batch,
    a: ac.storage as FloatStorage, offsetA: ac.offset,
    b: bc.storage as FloatStorage, offsetB: bc.offset,
    c: out,
  });
  return new Tensor(out, [...batchShape, m, n], a.dtype);
}

/**
 * PyTorch: `torch.matmul(input, other)`.
 * Shapes: (K)·(K) → (); (M,K)·(K,N) → (M,N); (K)·(...,K,N) → (...,N); (...,M,K)·(K) → (...,M);
 * (...,M,K)·(...,K,N) → (broadcast(...),M,N).
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(`both arguments to matmul need to be at least 1D, but they are ${a.ndim}D and ${b.ndim}D`);
  }
  if (!isFloat(a.dtype) || !isFloat(b.dtype)) throw new DTypeError('"addmm_impl_cpu_" not implemented for \'Int\'');
  if (a.dtype !== b.dtype) {
    throw new DTypeError(`expected m1 and m2 to have the same dtype, but got: ${a.dtype} != ${b.dtype}`);
  }
  if (a.ndim === 1 && b.ndim === 1) {
    if (a.shape[0] !== b.shape[0]) {
      throw new ShapeError(
        `inconsistent tensor size, expected tensor [${a.shape[0]}] and src [${b.shape[0]}] to have the same number of elements, but got ${a.shape[0]} and ${b.shape[0]} elements respectively`,
      );
    }
    return reshape(matmul(unsqueeze(a, 0), unsqueeze(b, 1)), []);
  }
  if (a.ndim === 1) return squeezeDims(matmul(unsqueeze(a, 0), b), [b.ndim - 1]);
  if (b.ndim === 1) return squeezeDims(matmul(a, unsqueeze(b, 1)), [a.ndim - 1]);
  const [m, k] = a.shape.slice(-2) as [number, number];
  const [k2, n] = b.shape.slice(-2) as [number, number];
  if (k !== k2) {
    const rows = (t: Tensor) => numel(t.shape.slice(0, -1));
    throw new ShapeError(
      a.ndim === 2 && b.ndim === 2
        ? `mat1 and mat2 shapes cannot be multiplied (${m}x${k} and ${k2}x${n})`
        : `Expected size for first two dimensions of batch2 tensor to be: [${rows(b) / k2}, ${k}] but got: [${rows(b) / k2}, ${k2}].`,
    );
  }
  let y: Tensor;
  if (a.ndim === 2 && b.ndim === 2) {
    y = mm(a, b);
  } else {
    const batchShape = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
    y = bmm(expand(a.detach(), [...batchShape, m, k]), expand(b.detach(), [...batchShape, k, n]));
  }
  return record('MmBackward0', [a, b], y, ([g]) => [
    // dA = g·Bᵀ, dB = Aᵀ·g (summed over broadcast batch dims)
    a.requiresGrad ? sumToShape(matmul(g!, transpose(b, -1, -2)), a.shape) : null,
    b.requiresGrad ? sumToShape(matmul(transpose(a, -1, -2), g!), b.shape) : null,
  ]);
}
