/** Matrix products. PyTorch: `torch.matmul` (1-D, 2-D and batched with broadcasting). */

import { record } from '../autograd/node.js';
import { DTypeError, ShapeError } from '../errors.js';
import { backend } from '../kernels/backend.js';
import type { FloatStorage } from '../tensor/dtype.js';
import { allocStorage, isFloat } from '../tensor/dtype.js';
import { broadcastShapes, broadcastStrides, numel } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { reshape, transpose } from './shape.js';
import { cName, copyContiguous, sumToShape, toDtype } from './util.js';
import { checkTensor } from '../tensor/args.js';

/** A 2-D operand as the GEMM kernel wants it: row-major, or row-major of its transpose. */
function gemmOperand(t: Tensor): { data: FloatStorage; offset: number; trans: boolean } {
  const [r, c] = [t.shape[0], t.shape[1]];
  if (t.strides[1] === 1 && (t.strides[0] === c || r === 1)) {
    return { data: t.storage as FloatStorage, offset: t.offset, trans: false };
  }
  if (t.strides[0] === 1 && (t.strides[1] === r || c === 1)) {
    return { data: t.storage as FloatStorage, offset: t.offset, trans: true };
  }
  const cc = copyContiguous(t);
  return { data: cc.storage as FloatStorage, offset: cc.offset, trans: false };
}

/** (M,K)·(K,N) → (M,N), no autograd. */
function mm(a: Tensor, b: Tensor): Tensor {
  const [m, k] = [a.shape[0], a.shape[1]];
  const n = b.shape[1];
  const out = allocStorage(a.dtype, m * n) as FloatStorage;
  const A = gemmOperand(a);
  const B = gemmOperand(b);
  backend().gemm({ m, n, k, a: A.data, b: B.data, c: out, transA: A.trans, transB: B.trans, offsetA: A.offset, offsetB: B.offset });
  return new Tensor(out, [m, n], a.dtype);
}

/**
 * (...,M,K)·(...,K,N) with batch dims already equal → (...,M,N), no autograd. With `shareA`, a is
 * one (M,K) matrix used for every batch entry (gemm's strideA 0), so it is never copied.
 */
function bmm(a: Tensor, b: Tensor, shareA = false): Tensor {
  const batchShape = b.shape.slice(0, -2);
  const batch = numel(batchShape);
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.ndim - 1];
  const ac = a.isContiguous() ? a : copyContiguous(a);
  const bc = b.isContiguous() ? b : copyContiguous(b);
  const out = allocStorage(a.dtype, batch * m * n) as FloatStorage;
  backend().gemm({
    m, n, k, batch,
    a: ac.storage as FloatStorage, offsetA: ac.offset, strideA: shareA ? 0 : m * k,
    b: bc.storage as FloatStorage, offsetB: bc.offset,
    c: out,
  });
  return new Tensor(out, [...batchShape, m, n], a.dtype);
}

function checkMatmul(a: Tensor, b: Tensor): void {
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(`both arguments to matmul need to be at least 1D, but they are ${a.ndim}D and ${b.ndim}D`);
  }
  if (a.dtype !== b.dtype) {
    throw new DTypeError(`expected scalar type ${cName(a.dtype)} but found ${cName(b.dtype)}`);
  }
  const ka = a.shape[a.ndim - 1];
  const kb = b.shape[b.ndim === 1 ? 0 : b.ndim - 2];
  if (ka === kb) {
    // Batch dims must broadcast.
    if (a.ndim > 2 || b.ndim > 2) broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, b.ndim === 1 ? 0 : -2));
    return;
  }
  const rows = (t: Tensor) => numel(t.shape.slice(0, -1));
  const n = b.shape[b.ndim - 1];
  // PyTorch's messages come from the kernel each case is routed to (dot, mv, mm, bmm).
  let msg: string;
  if (a.ndim === 1 && b.ndim === 1) {
    msg = `inconsistent tensor size, expected tensor [${ka}] and src [${kb}] to have the same number of elements, but got ${ka} and ${kb} elements respectively`;
  } else if (a.ndim === 2 && b.ndim === 1) {
    msg = `size mismatch, got ${a.shape[0]}, ${a.shape[0]}x${ka},${kb}`;
  } else if (b.ndim <= 2) {
    // (..., M, K) or (K) times (K, N) is folded into one mm.
    msg = `mat1 and mat2 shapes cannot be multiplied (${a.ndim === 1 ? 1 : rows(a)}x${ka} and ${kb}x${n})`;
    msg += `\nmatmul needs input.size(-1) == other.size(-2), got ${ka} and ${kb}; transpose one operand?`;
  } else if (a.ndim <= 2) {
    // (M, K) times (..., K, N) is folded as (Bᵀ-batched)·Aᵀ.
    msg = `mat1 and mat2 shapes cannot be multiplied (${numel(b.shape) / kb}x${kb} and ${ka}x${a.ndim === 1 ? 1 : a.shape[0]})`;
  } else {
    msg = `Expected size for first two dimensions of batch2 tensor to be: [${numel(b.shape.slice(0, -2))}, ${ka}] but got: [${numel(b.shape.slice(0, -2))}, ${kb}].`;
  }
  throw new ShapeError(msg);
}

/** (...,M,K)·(...,K,N) of at least 2 dims each, batch dims broadcast, no autograd. */
function matmulRaw(a: Tensor, b: Tensor): Tensor {
  if (a.ndim === 2 && b.ndim === 2) return mm(a, b);
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.ndim - 1];
  if (b.ndim === 2) {
    // (..., M, K)·(K, N): one (rows, K)·(K, N) product, as PyTorch folds it (b is not copied per batch).
    const ac = a.isContiguous() ? a : copyContiguous(a);
    const y = mm(new Tensor(ac.storage, [numel(a.shape) / k, k], a.dtype, undefined, ac.offset), b);
    return new Tensor(y.storage, [...a.shape.slice(0, -1), n], a.dtype);
  }
  if (a.ndim === 2) return bmm(a, b, true);
  const batchShape = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const ea = new Tensor(a.storage, [...batchShape, m, k], a.dtype, broadcastStrides(a.shape, a.strides, [...batchShape, m, k]), a.offset);
  const eb = new Tensor(b.storage, [...batchShape, k, n], b.dtype, broadcastStrides(b.shape, b.strides, [...batchShape, k, n]), b.offset);
  return bmm(ea, eb);
}

/** A 1-D operand as a matrix: (K) → (1,K) on the left, (K,1) on the right (views, no record). */
function asMatrix(t: Tensor, side: 'left' | 'right'): Tensor {
  if (t.ndim !== 1) return t;
  const k = t.shape[0];
  const s = t.strides[0];
  return side === 'left' ? new Tensor(t.storage, [1, k], t.dtype, [k * s, s], t.offset) : new Tensor(t.storage, [k, 1], t.dtype, [s, 1], t.offset);
}

/** PyTorch's node name for each matmul routing (what `grad_fn` prints). */
function matmulName(a: Tensor, b: Tensor): string {
  if (a.ndim === 1 && b.ndim === 1) return 'DotBackward0';
  if (a.ndim === 2 && b.ndim === 1) return 'MvBackward0';
  if (a.ndim === 1 && b.ndim === 2) return 'SqueezeBackward3';
  if (a.ndim === 2 && b.ndim === 2) return 'MmBackward0';
  return 'UnsafeViewBackward0';
}

/**
 * PyTorch: `torch.matmul(input, other)`.
 * Shapes: (K)·(K) → (); (M,K)·(K,N) → (M,N); (K)·(...,K,N) → (...,N); (...,M,K)·(K) → (...,M);
 * (...,M,K)·(...,K,N) → (broadcast(...),M,N).
 * Integer operands are multiplied exactly in float64 (PyTorch multiplies int64 on the CPU too);
 * bool operands are refused, as PyTorch.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor(a, 'matmul', 'input', 1);
  checkTensor(b, 'matmul', 'other', 2);
  checkMatmul(a, b);
  if (a.dtype === 'bool') throw new DTypeError(`"${a.ndim === 1 && b.ndim === 1 ? 'dot' : 'addmm_impl_cpu_'}" not implemented for 'Bool'`);
  if (!isFloat(a.dtype)) return toDtype(matmul(toDtype(a, 'float64'), toDtype(b, 'float64')), a.dtype);
  const a2 = asMatrix(a, 'left');
  const b2 = asMatrix(b, 'right');
  const y2 = matmulRaw(a2, b2);
  // Drop the dims that the 1-D operands gained.
  let outShape = [...y2.shape];
  if (b.ndim === 1) outShape = outShape.slice(0, -1);
  if (a.ndim === 1) outShape.splice(outShape.length - (b.ndim === 1 ? 1 : 2), 1);
  const y = new Tensor(y2.storage, outShape, y2.dtype);
  return record(matmulName(a, b), [a, b], y, ([g]) => {
    // dA = g·Bᵀ, dB = Aᵀ·g on the matrix forms, summed over broadcast batch dims.
    const g2 = reshape(g!, y2.shape);
    return [
      a.requiresGrad ? reshape(sumToShape(matmul(g2, transpose(b2, -1, -2)), a2.shape), a.shape) : null,
      b.requiresGrad ? reshape(sumToShape(matmul(transpose(a2, -1, -2), g2), b2.shape), b.shape) : null,
    ];
  }, [a.requiresGrad ? b : null, b.requiresGrad ? a : null]);
}
