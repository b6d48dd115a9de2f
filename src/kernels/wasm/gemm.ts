/**
 * Float32 matrix product and activations on the WebAssembly kernels, for the general ops.
 * `gemm` has the backend's signature (src/kernels/backend.ts, `GemmArgs` of
 * src/kernels/ref/matmul.ts), so the backend can route float32 matmul here; anything else
 * (float64, tiny products, no WebAssembly) goes to the reference loops.
 * PyTorch twin: `torch.mm` / `torch.bmm` / `torch.addmm` on CPU.
 */
import type { FloatStorage } from '../../tensor/dtype.js';
import { type GemmArgs, gemm as refGemm } from '../ref/matmul.js';
import { wasmKernels } from './loader.js';

/** Below this many multiply-adds, copying into wasm memory costs more than it saves. */
const MIN_WORK = 16 * 16 * 16;

function allF32(p: GemmArgs<FloatStorage>): p is GemmArgs<Float32Array> {
  return p.a instanceof Float32Array && p.b instanceof Float32Array && p.c instanceof Float32Array;
}

/**
 * C[M,N] (+)= op(A)[M,K] · op(B)[K,N] for `batch` problems (see GemmArgs). op(B) is packed once
 * per problem, op(A) transposed into place when transA, then the 4x8 SIMD micro-kernel runs.
 */
export function gemm(p: GemmArgs): void {
  const w = wasmKernels();
  const { m, n, k } = p;
  if (!w || !allF32(p) || m * n * k < MIN_WORK) {
    refGemm(p);
    return;
  }
  const { k: K, arena } = w;
  const batch = p.batch ?? 1;
  arena.reset();
  const aP = arena.alloc(m * k);
  const aT = p.transA ? arena.alloc(m * k) : aP;
  const bP = arena.alloc(k * n);
  const packed = arena.alloc(K.packedSize(n, k));
  const cP = arena.alloc(m * n);
  const f = arena.f32();
  for (let bi = 0; bi < batch; bi++) {
    const oa = (p.offsetA ?? 0) + bi * (p.strideA ?? m * k);
    const ob = (p.offsetB ?? 0) + bi * (p.strideB ?? k * n);
    const oc = (p.offsetC ?? 0) + bi * (p.strideC ?? m * n);
    if (bi === 0 || p.strideA !== 0) {
      f.set(p.a.subarray(oa, oa + m * k), aP >> 2);
      // op(A) = Aᵀ with A stored (K, M): transpose to (M, K).
      if (p.transA) K.transpose(aP, k, m, aT);
    }
    if (bi === 0 || p.strideB !== 0) {
      f.set(p.b.subarray(ob, ob + k * n), bP >> 2);
      // The kernel wants W (N, K) with op(B) = Wᵀ: B (K, N) is W read with strides (1, N);
      // transB's B stored (N, K) is W itself.
      if (p.transB) K.packW(bP, k, 1, n, k, packed);
      else K.packW(bP, 1, n, n, k, packed);
    }
    if (p.accumulate) f.set(p.c.subarray(oc, oc + m * n), cP >> 2);
    K.gemm(m, n, k, aT, k, packed, cP, n, p.accumulate ? 1 : 0);
    p.c.set(f.subarray(cP >> 2, (cP >> 2) + m * n), oc);
  }
}
