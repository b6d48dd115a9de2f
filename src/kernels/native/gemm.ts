/**
 * Float32 matrix product and sigmoid/tanh on the native kernels, in place on the caller's arrays
 * (no copies). Same signatures as the backend's entries (src/kernels/backend.ts); anything the
 * native tier does not take (float64, tiny products, native not loaded) goes to the WebAssembly
 * entries, which fall back to the reference loops by themselves.
 * PyTorch twins: `torch.mm` / `torch.bmm` / `torch.addmm`, `torch.sigmoid`, `torch.tanh` on CPU.
 */
import type { Storage } from '../../tensor/dtype.js';
import type { GemmArgs } from '../ref/matmul.js';
import type { UnaryOp } from '../ref/elementwise.js';
import { unary as wasmUnary } from '../wasm/elementwise.js';
import { gemm as wasmGemm } from '../wasm/gemm.js';
import { call, nativeKernels } from './loader.js';

/** Below this many multiply-adds the reference loop is as fast as the call. */
const MIN_WORK = 512;

/** C[M,N] (+)= op(A)[M,K] · op(B)[K,N] for `batch` problems (see GemmArgs). */
export function gemm(p: GemmArgs): void {
  const k = nativeKernels();
  const { a, b, c, m, n } = p;
  if (!k || !(a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array) || m * n * p.k < MIN_WORK) {
    wasmGemm(p);
    return;
  }
  // Element (i, kk) of op(A) and (kk, j) of op(B) as (row stride, column stride).
  const [rsA, csA] = p.transA ? [1, m] : [p.k, 1];
  const [rsB, csB] = p.transB ? [1, p.k] : [n, 1];
  for (let i = 0; i < (p.batch ?? 1); i++) {
    const oa = (p.offsetA ?? 0) + i * (p.strideA ?? m * p.k);
    const ob = (p.offsetB ?? 0) + i * (p.strideB ?? p.k * n);
    const oc = (p.offsetC ?? 0) + i * (p.strideC ?? m * n);
    call(() => k.gemm(m, n, p.k, a.subarray(oa), rsA, csA, b.subarray(ob), rsB, csB, c.subarray(oc), n, p.accumulate ? 1 : 0));
  }
}

/** out = op(x): sigmoid and tanh of float32 arrays natively, everything else as the WebAssembly entry. */
export function unary(op: UnaryOp, x: Storage, out: Storage): void {
  const k = (op === 'sigmoid' || op === 'tanh') && x instanceof Float32Array && out instanceof Float32Array ? nativeKernels() : null;
  if (k) k.unary(op === 'sigmoid' ? 0 : 1, x as Float32Array, out as Float32Array);
  else wasmUnary(op, x, out);
}
