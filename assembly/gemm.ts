// Packed-weight GEMM: C (+)= A · Wᵀ, the one product shape every recurrent kernel needs.
//
// Shapes: A is (M, K) row-major with row stride lda; W is (N, K) addressed through strides
// (W[n, k] = src[n*rs + k*cs], so a row-major (K, N) matrix B packs as Bᵀ with rs=1, cs=N);
// C is (M, N) with row stride ldc. All pointers are byte offsets into the imported memory,
// strides are in elements.
//
// W is packed once per sequence into panels of 8 columns, k-major inside a panel:
// packed[(p*K + k)*8 + j] = W[8p + j, k], zero past N. The 4x8 micro-kernel then holds a 4x8
// tile of C in 8 registers and streams one 32-byte panel row per k (a 6x8 tile runs out of
// registers on V8 and halves speed).
import { beat, setBeat } from './beat';
import { loadTail, madd, splat, storeTail } from './simd';

const MAX_KC = 320;
const MC = 64;

/** Threads sharing one memory (each instance needs its own packed-A scratch). */
const MAX_THREADS = 4;
const A_SCRATCH_BYTES = MC * MAX_KC * 4;

function scratchBase(): usize {
  return (__heap_base + 63) & ~63;
}

/** This instance's scratch for one packed A block (MC x MAX_KC floats). */
let aPack: usize = 0;

/** Which thread this instance runs on (0 = the main thread): picks its scratch block. */
export function setThreadId(tid: i32): void {
  aPack = scratchBase() + <usize>tid * A_SCRATCH_BYTES;
  // Heartbeat word tid of the pool's control block (words 8.., at heapBase(); threads.ts BEAT).
  setBeat(heapBase() + 32 + (<usize>tid << 2));
}

/** First byte past the module's own memory (static data + scratch): JS owns the rest. */
export function heapBase(): usize {
  return scratchBase() + MAX_THREADS * A_SCRATCH_BYTES;
}

/** Floats needed to pack an (N, K) matrix. */
export function packedSize(N: i32, K: i32): i32 {
  return ((N + 7) >> 3) * 8 * K;
}

/** Pack W (N, K) with W[n, k] = src[n*rs + k*cs] into 8-column panels at dst. */
export function packW(src: usize, rs: i32, cs: i32, N: i32, K: i32, dst: usize): void {
  packWPanels(src, rs, cs, N, K, dst, 0, (N + 7) >> 3);
}

/** The 4 floats at p, p + stepB, p + 2 stepB, p + 3 stepB as one vector. */
// @ts-ignore: decorator
@inline function gather4(p: usize, stepB: usize): v128 {
  const v = f32x4.replace_lane(v128.load32_splat(p), 1, load<f32>(p + stepB));
  return f32x4.replace_lane(f32x4.replace_lane(v, 2, load<f32>(p + stepB * 2)), 3, load<f32>(p + stepB * 3));
}

/**
 * packW of panels [p0, p1) only (threads pack the panels they then multiply by). Per panel row
 * k, the 8 values W[8p + j, k] (stepB bytes apart) become 32 contiguous bytes: two 16-byte
 * copies when they are contiguous (rs = 1, a row-major (K, N) source), else gathered; the last
 * panel's columns past N are zeros.
 */
export function packWPanels(src: usize, rs: i32, cs: i32, N: i32, K: i32, dst: usize, p0: i32, p1: i32): void {
  const stepB = <usize>rs << 2;
  const csB = <usize>cs << 2;
  for (let p = p0; p < p1; p++) {
    const nv = min(8, N - p * 8);
    let s = src + <usize>p * 8 * stepB;
    let d = dst + (<usize>p * K << 5);
    const de = d + (<usize>K << 5);
    if (K > 0) do {
      if (nv < 8) {
        v128.store(d, splat(0));
        v128.store(d, splat(0), 16);
        for (let j = 0; j < nv; j++) store<f32>(d + (<usize>j << 2), load<f32>(s + <usize>j * stepB));
      } else if (rs == 1) {
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
      } else {
        v128.store(d, gather4(s, stepB));
        v128.store(d, gather4(s + stepB * 4, stepB), 16);
      }
      s += csB;
      d += 32;
    } while (d < de);
  }
}

// @ts-ignore: decorator
@inline function storeRow(c: usize, v0: v128, v1: v128, nv: i32, acc: bool): void {
  if (nv == 8) {
    if (acc) {
      v0 = f32x4.add(v128.load(c), v0);
      v1 = f32x4.add(v128.load(c, 16), v1);
    }
    v128.store(c, v0);
    v128.store(c, v1, 16);
  } else {
    storeRowPartial(c, v0, v1, nv, acc);
  }
}

function storeRowPartial(c: usize, v0: v128, v1: v128, nv: i32, acc: bool): void {
  const n0 = nv < 4 ? nv : 4;
  const n1 = nv - n0;
  if (acc) {
    storeTail(c, f32x4.add(v0, loadTail(c, n0)), n0);
    if (n1 > 0) storeTail(c + 16, f32x4.add(v1, loadTail(c + 16, n1)), n1);
  } else {
    storeTail(c, v0, n0);
    if (n1 > 0) storeTail(c + 16, v1, n1);
  }
}


/**
 * C[4, 0:nv] (+)= A[4, 0:kc] · panel[0:kc, 0:8] on a packed A block (4 rows interleaved, 16
 * bytes per k): one pointer, immediate offsets, no per-row address arithmetic in the loop.
 * a, c, p byte pointers; ldc in bytes.
 */
// @ts-ignore: decorator
@inline function kernel4x8p(a: usize, p: usize, kc: i32, c: usize, ldc: usize, nv: i32, acc: bool): void {
  let c00 = splat(0), c01 = splat(0), c10 = splat(0), c11 = splat(0);
  let c20 = splat(0), c21 = splat(0), c30 = splat(0), c31 = splat(0);
  const pe = p + (<usize>kc << 5);
  if (kc > 0) do {
    const b0 = v128.load(p);
    const b1 = v128.load(p, 16);
    let av = v128.load32_splat(a);
    c00 = madd(av, b0, c00);
    c01 = madd(av, b1, c01);
    av = v128.load32_splat(a, 4);
    c10 = madd(av, b0, c10);
    c11 = madd(av, b1, c11);
    av = v128.load32_splat(a, 8);
    c20 = madd(av, b0, c20);
    c21 = madd(av, b1, c21);
    av = v128.load32_splat(a, 12);
    c30 = madd(av, b0, c30);
    c31 = madd(av, b1, c31);
    a += 16;
    p += 32;
  } while (p < pe);
  storeRow(c, c00, c01, nv, acc);
  storeRow(c + ldc, c10, c11, nv, acc);
  storeRow(c + ldc * 2, c20, c21, nv, acc);
  storeRow(c + ldc * 3, c30, c31, nv, acc);
}

/**
 * Interleave rows [0, m4) x cols [0, kc) of A 4 rows at a time (dst[((i/4)*kc + k)*4 + r] =
 * A[i + r, k]), A[m, k] at a + m*rsB + k*csB (bytes). Row-major A (rsB = lda bytes, csB = 4)
 * gathers 4 rows per k; A stored transposed (rsB = 4, csB = lda bytes) has the 4 rows of a
 * group in one 16-byte load. The loops go along the source's rows, front to back: groups
 * outer for row-major A, k outer for transposed A.
 */
// @ts-ignore: decorator
@inline function packA(a: usize, rsB: usize, csB: usize, m4: i32, kc: i32, dst: usize, transA: bool): void {
  if (m4 <= 0 || kc <= 0) return;
  const gstep = <usize>kc << 4; // bytes per packed group of 4 rows
  const outer = transA ? kc : m4 >> 2;
  const inner = transA ? m4 >> 2 : kc;
  // Source and destination steps of the inner and outer loops.
  const sIn = transA ? rsB << 2 : csB;
  const dIn = transA ? gstep : 16;
  const sOut = transA ? csB : rsB << 2;
  const dOut = transA ? 16 : gstep;
  for (let o = 0; o < outer; o++) {
    let s = a + <usize>o * sOut;
    let d = dst + <usize>o * dOut;
    for (let i = 0; i < inner; i++) {
      v128.store(d, transA ? v128.load(s) : gather4(s, rsB));
      s += sIn;
      d += dIn;
    }
  }
}

/** kernel1x8 for one row of a transposed A: consecutive k are ldaB bytes apart. */
function kernel1x8s(a: usize, ldaB: usize, p: usize, kc: i32, c: usize, nv: i32, acc: bool): void {
  let c0 = splat(0), c1 = splat(0);
  const pe = p + (<usize>kc << 5);
  if (kc > 0) do {
    const av = v128.load32_splat(a);
    c0 = madd(av, v128.load(p), c0);
    c1 = madd(av, v128.load(p, 16), c1);
    a += ldaB;
    p += 32;
  } while (p < pe);
  storeRow(c, c0, c1, nv, acc);
}

/**
 * C[1, 0:8*np] (+)= A[1, 0:kc] · np panels (np = 1, 2 or 3, a constant after inlining; panel q at
 * p + q*ps bytes, the last one nv columns wide). One row reuses nothing, so it is bound by the FMA
 * latency chain: the np panels' 2*np accumulators are the independent chains (batch 1).
 *
 * Every output is one chain, k in order from zero, exactly as in kernel4x8p: a row's result does
 * not depend on whether it falls in a 4-row group or is left over (batched == alone, bitwise).
 */
// @ts-ignore: decorator
@inline function kernel1xN(np: i32, a: usize, p: usize, ps: usize, kc: i32, c: usize, nv: i32, acc: bool): void {
  let c0 = splat(0), c1 = splat(0), d0 = splat(0), d1 = splat(0), e0 = splat(0), e1 = splat(0);
  let q = p + ps;
  let r = q + ps;
  const pe = p + (<usize>kc << 5);
  if (kc > 0) do {
    const av = v128.load32_splat(a);
    c0 = madd(av, v128.load(p), c0);
    c1 = madd(av, v128.load(p, 16), c1);
    if (np > 1) {
      d0 = madd(av, v128.load(q), d0);
      d1 = madd(av, v128.load(q, 16), d1);
      q += 32;
    }
    if (np > 2) {
      e0 = madd(av, v128.load(r), e0);
      e1 = madd(av, v128.load(r, 16), e1);
      r += 32;
    }
    a += 4;
    p += 32;
  } while (p < pe);
  storeRow(c, c0, c1, np == 1 ? nv : 8, acc);
  if (np > 1) storeRow(c + 32, d0, d1, np == 2 ? nv : 8, acc);
  if (np > 2) storeRow(c + 64, e0, e1, nv, acc);
}

/** One row of A (at a) times panels [j0, j1) (bp the packed W at this k block, K its full depth), into C's row at c. */
function kernelRow(a: usize, bp: usize, K: i32, kc: i32, c: usize, N: i32, j0: i32, j1: i32, acc: bool): void {
  const ps = <usize>K << 5;
  let j = j0;
  while (j + 3 <= j1) {
    kernel1xN(3, a, bp + <usize>j * ps, ps, kc, c + (<usize>j << 5), min(8, N - (j + 2) * 8), acc);
    j += 3;
  }
  if (j + 2 == j1) kernel1xN(2, a, bp + <usize>j * ps, ps, kc, c + (<usize>j << 5), min(8, N - (j + 1) * 8), acc);
  else if (j + 1 == j1) kernel1xN(1, a, bp + <usize>j * ps, ps, kc, c + (<usize>j << 5), min(8, N - j * 8), acc);
}

/** gemm flag: add to C instead of overwriting it. */
const ACCUMULATE = 1;
/** gemm flag: A is stored transposed, as a (K, M) matrix with row stride lda. */
const A_TRANSPOSED = 2;

/**
 * C (+)= A · Wᵀ with W pre-packed by packW. A is (M, K) (row stride lda), C is (M, N) (row
 * stride ldc). flags: bit 0 (1) adds to C, else C is overwritten; bit 1 (2) reads A from
 * storage holding Aᵀ, a (K, M) matrix with row stride lda (so dW = dGᵀ · X needs no explicit
 * transpose of dG). Blocked over K (so a panel slice stays in L1) and M (so the A block stays
 * in L2).
 */
export function gemm(M: i32, N: i32, K: i32, a: usize, lda: i32, bp: usize, c: usize, ldc: i32, flags: i32): void {
  gemmPanels(M, N, K, a, lda, bp, c, ldc, flags, 0, (N + 7) >> 3);
}

/**
 * gemm restricted to the 8-column panels [p0, p1) of C, i.e. columns [8*p0, min(8*p1, N)):
 * how threads split one product by output columns.
 */
export function gemmPanels(M: i32, N: i32, K: i32, a: usize, lda: i32, bp: usize, c: usize, ldc: i32, flags: i32, p0: i32, p1: i32): void {
  const accumulate = flags & ACCUMULATE;
  const transA = (flags & A_TRANSPOSED) != 0;
  if (M <= 0 || N <= 0 || p1 <= p0) return;
  if (aPack == 0) setThreadId(0);
  if (K <= 0) {
    if (accumulate == 0) {
      const c0 = p0 * 8;
      const c1 = min(N, p1 * 8);
      for (let i = 0; i < M; i++) memory.fill(c + ((<usize>i * ldc + c0) << 2), 0, <usize>(c1 - c0) << 2);
    }
    return;
  }
  const nk = (K + MAX_KC - 1) / MAX_KC;
  const KC = (K + nk - 1) / nk;
  const ldaB = <usize>lda << 2;
  const ldcB = <usize>ldc << 2;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    const acc = accumulate != 0 || k0 > 0;
    for (let m0 = 0; m0 < M; m0 += MC) {
      beat();
      const mc = min(MC, M - m0);
      const m4 = mc & ~3;
      // Start of the (m0, k0) block of A, and the byte step between rows of A.
      const ab = transA ? a + <usize>k0 * ldaB + (<usize>m0 << 2) : a + <usize>m0 * ldaB + (<usize>k0 << 2);
      if (transA) packA(ab, 4, ldaB, m4, kc, aPack, true);
      else packA(ab, ldaB, 4, m4, kc, aPack, false);
      for (let j = p0; j < p1; j++) {
        const p = bp + ((<usize>j * K + k0) << 5);
        const nv = min(8, N - j * 8);
        const cj = c + (<usize>j << 5) + <usize>m0 * ldcB;
        let i = 0;
        if (m4 > 0) do {
          kernel4x8p(aPack + (<usize>i * kc << 2), p, kc, cj + <usize>i * ldcB, ldcB, nv, acc);
          i += 4;
        } while (i < m4);
        if (transA) for (; i < mc; i++) kernel1x8s(ab + (<usize>i << 2), ldaB, p, kc, cj + <usize>i * ldcB, nv, acc);
      }
      // The rows left over (mc mod 4; every row when mc < 4) go along the panels, three at a time.
      if (!transA) {
        const bk = bp + (<usize>k0 << 5);
        for (let i = m4; i < mc; i++) kernelRow(ab + <usize>i * ldaB, bk, K, kc, c + <usize>(m0 + i) * ldcB, N, p0, p1, acc);
      }
    }
  }
}
