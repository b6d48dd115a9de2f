// Memory-bound helpers the glue strings between GEMMs: bias broadcast, adds, transposes,
// and whole-array activations (also used by the activation sweep test).
import { ldn, madd, sigmoidv, splat, stn, tanhv } from './simd';

/** dst is (rows, cols): every row set to bias (cols). */
export function fillRows(dst: usize, rows: i32, cols: i32, bias: usize): void {
  const rb = <usize>cols << 2;
  for (let i = 0; i < rows; i++) memory.copy(dst + <usize>i * rb, bias, rb);
}

/** dst (n) += src (n). */
export function addTo(dst: usize, src: usize, n: i32): void {
  if (n <= 0) return;
  const end = <usize>(n & ~3) << 2;
  const rem = n & 3;
  let off: usize = 0;
  if (end > 0) do {
    v128.store(dst + off, f32x4.add(v128.load(dst + off), v128.load(src + off)));
    off += 16;
  } while (off < end);
  if (rem) stn(dst + end, f32x4.add(ldn(dst + end, rem), ldn(src + end, rem)), rem);
}

/** src is (rows, cols), dst is (cols, rows). Blocked 16x16 to stay in cache. */
export function transpose(src: usize, rows: i32, cols: i32, dst: usize): void {
  for (let i0 = 0; i0 < rows; i0 += 16) {
    const i1 = min(rows, i0 + 16);
    for (let j0 = 0; j0 < cols; j0 += 16) {
      const j1 = min(cols, j0 + 16);
      for (let i = i0; i < i1; i++) {
        for (let j = j0; j < j1; j++) {
          store<f32>(dst + ((<usize>j * rows + i) << 2), load<f32>(src + ((<usize>i * cols + j) << 2)));
        }
      }
    }
  }
}

/** dst (n) = tanh or sigmoid of src (n); may alias. Inlined into each caller with `tanh` constant. */
// @ts-ignore: decorator
@inline function activateArray(src: usize, dst: usize, n: i32, tanh: bool): void {
  if (n <= 0) return;
  const end = <usize>(n & ~3) << 2;
  const rem = n & 3;
  let off: usize = 0;
  if (end > 0) do {
    const v = v128.load(src + off);
    v128.store(dst + off, tanh ? tanhv(v) : sigmoidv(v));
    off += 16;
  } while (off < end);
  if (rem) {
    const v = ldn(src + end, rem);
    stn(dst + end, tanh ? tanhv(v) : sigmoidv(v), rem);
  }
}

/** dst (n) = sigmoid(src (n)); may alias. */
export function sigmoidArray(src: usize, dst: usize, n: i32): void {
  activateArray(src, dst, n, false);
}

/** dst (n) = tanh(src (n)); may alias. */
export function tanhArray(src: usize, dst: usize, n: i32): void {
  activateArray(src, dst, n, true);
}

/**
 * The core's multiply-add ceiling as WebAssembly sees it: n rounds of 10 independent 4-lane
 * multiply-adds held in registers, no memory traffic (20·4·10·n flops). The bench divides the
 * GEMM's rate by this one to show how close to the 128-bit hardware bound the kernels run.
 * Returns a lane sum so the work cannot be dropped.
 */
export function maddPeak(n: i32): f32 {
  const m = splat(0.999999);
  const c = splat(1e-7);
  let a0 = splat(1.0), a1 = splat(1.1), a2 = splat(1.2), a3 = splat(1.3), a4 = splat(1.4);
  let a5 = splat(1.5), a6 = splat(1.6), a7 = splat(1.7), a8 = splat(1.8), a9 = splat(1.9);
  let i = 0;
  if (n > 0) do {
    a0 = madd(a0, m, c); a1 = madd(a1, m, c); a2 = madd(a2, m, c); a3 = madd(a3, m, c); a4 = madd(a4, m, c);
    a5 = madd(a5, m, c); a6 = madd(a6, m, c); a7 = madd(a7, m, c); a8 = madd(a8, m, c); a9 = madd(a9, m, c);
    i++;
  } while (i < n);
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)), f32x4.add(a8, a9)));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}
