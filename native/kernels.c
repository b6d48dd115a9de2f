/*
 * torchlet's native kernels, written once and compiled once per instruction set
 * (tools/build-native.ts): -DTL_ISA_AVX512 (16 floats a vector, FMA), -DTL_ISA_AVX2 (8, FMA), or
 * neither (portable: 4-float vectors, plain multiply then add, as WebAssembly SIMD128). GCC's
 * vector extensions give the vector code; `a * b + c` becomes one fused multiply-add where the
 * build has FMA (-ffp-contract=fast). Each build exports one table, tl_kernels_<isa>.
 *
 * What is here, mirroring the WebAssembly kernels (assembly/): a GEMM (B packed into panels of
 * NR = 2 vectors, an MR x NR register tile, K in blocks of KC), SIMD sigmoid/tanh (the same
 * Cephes-style polynomials as assembly/simd.ts: within 1e-6, exact saturation, NaN kept), the
 * fused cells (LSTM, GRU, tanh/relu RNN, forward and backward) and one time loop per direction,
 * forward and backward, over PyTorch's packed layout (src/kernels/rnn.ts). Threads: the input
 * projection and the weight gradients split by output column panels, the time loop by batch rows;
 * every row and every column is computed by the same instructions in the same order whatever the
 * split, so results do not depend on the thread count.
 */
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

#if defined(TL_ISA_AVX512)
#define VW 16
#define MR 8
#define ISA_NAME "avx512"
#define TABLE tl_kernels_avx512
#elif defined(TL_ISA_AVX2)
#define VW 8
#define MR 6
#define ISA_NAME "avx2"
#define TABLE tl_kernels_avx2
#else
#define VW 4
#define MR 6
#define ISA_NAME "portable"
#define TABLE tl_kernels_portable
#endif

/** Columns of a packed panel (two vectors), rows of A per K block, rows of A per cache block. */
#define NR (2 * VW)
#define KC 256
#define MC 128

typedef float vf __attribute__((vector_size(VW * 4)));
typedef int vi __attribute__((vector_size(VW * 4)));
typedef float vfu __attribute__((vector_size(VW * 4), aligned(4), may_alias));

#define LD(p) ((vf)(*(const vfu *)(p)))
#define ST(p, v) (*(vfu *)(p) = (v))

static inline long lmin(long a, long b) { return a < b ? a : b; }
static inline vf splat(float s) { return (vf){0} + s; }
/** The first n (1..VW) floats at p; lanes past n are 0 (masked loads and stores where the ISA has them). */
#if defined(TL_ISA_AVX512)
#include <immintrin.h>
static inline vf ldn(const float *p, int n) { return n == VW ? LD(p) : (vf)_mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p); }
static inline void stn(float *p, vf v, int n) {
  if (n == VW) ST(p, v);
  else _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), (__m512)v);
}
#elif defined(TL_ISA_AVX2)
#include <immintrin.h>
static const int32_t lane_mask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
static inline __m256i mask_of(int n) { return _mm256_loadu_si256((const __m256i *)(lane_mask + 8 - n)); }
static inline vf ldn(const float *p, int n) { return n == VW ? LD(p) : (vf)_mm256_maskload_ps(p, mask_of(n)); }
static inline void stn(float *p, vf v, int n) {
  if (n == VW) ST(p, v);
  else _mm256_maskstore_ps(p, mask_of(n), (__m256)v);
}
#else
static inline vf ldn(const float *p, int n) {
  if (n == VW) return LD(p);
  vf v = {0};
  memcpy(&v, p, (size_t)n * 4);
  return v;
}
static inline void stn(float *p, vf v, int n) {
  if (n == VW) ST(p, v);
  else memcpy(p, &v, (size_t)n * 4);
}
#endif
static inline vf select_(vi m, vf a, vf b) { return (vf)(((vi)a & m) | ((vi)b & ~m)); }

/* ---- activations (assembly/simd.ts) --------------------------------------------------------- */

/** exp on every lane; x > 88.376 gives +Inf, x < -87.337 gives 0, NaN stays NaN. */
static inline vf expv(vf x) {
  const vf t = x * 1.44269504088896341f + 12582912.0f;
  const vf n = t - 12582912.0f;
  vf r = n * -0.693359375f + x;
  r = n * 2.12194440e-4f + r;
  vf p = splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + (r + 1.0f);
  const vi pow2n = ((vi)t + (127 - 0x4b400000)) << 23;
  vf e = p * (vf)pow2n;
  e = select_(x > 88.3762626647949f, splat(__builtin_inff()), e);
  return (vf)((vi)e & ~(x < -87.33654475f));
}

static inline vf sigmoidv(vf x) { return 1.0f / (1.0f + expv(-x)); }

/** |x| < 0.625: odd polynomial; else 1 - 2 / (exp(2|x|) + 1), exactly 1 at saturation; sign last. */
static inline vf tanhv(vf x) {
  const vf a = (vf)((vi)x & 0x7fffffff);
  const vf e = expv(a + a);
  const vf big = 1.0f - 2.0f / (e + 1.0f);
  const vf z = x * x;
  vf p = splat(-5.70498872745e-3f);
  p = p * z + 2.06390887954e-2f;
  p = p * z + -5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z + -3.33332819422e-1f;
  const vf small = (p * z) * a + a;
  const vf r = select_(a < 0.625f, small, big);
  return (vf)((vi)r | ((vi)x & (int)0x80000000));
}

static void sigmoid_array(const float *x, float *out, long n) {
  long i = 0;
  for (; i + VW <= n; i += VW) ST(out + i, sigmoidv(LD(x + i)));
  if (i < n) stn(out + i, sigmoidv(ldn(x + i, (int)(n - i))), (int)(n - i));
}

static void tanh_array(const float *x, float *out, long n) {
  long i = 0;
  for (; i + VW <= n; i += VW) ST(out + i, tanhv(LD(x + i)));
  if (i < n) stn(out + i, tanhv(ldn(x + i, (int)(n - i))), (int)(n - i));
}

/* ---- GEMM ----------------------------------------------------------------------------------- */

/** Floats of B (k, n) packed: panels of NR columns, each k rows of NR (zeros past n). */
static long packed_size(int n, int k) { return (long)((n + NR - 1) / NR) * k * NR; }

/** Pack panels [p0, p1) of B (k, n), element (kk, j) at b[kk * rsB + j * csB]. */
static void pack_b(const float *b, long rsB, long csB, int n, int k, int p0, int p1, float *dst) {
  for (int p = p0; p < p1; p++) {
    float *d = dst + (long)p * k * NR;
    const int j0 = p * NR;
    const int nr = (int)lmin(NR, n - j0);
    if (csB == 1 && nr == NR) {
      for (int kk = 0; kk < k; kk++) memcpy(d + (long)kk * NR, b + kk * rsB + j0, NR * 4);
    } else {
      for (int kk = 0; kk < k; kk++) {
        float *row = d + (long)kk * NR;
        for (int j = 0; j < nr; j++) row[j] = b[kk * rsB + (long)(j0 + j) * csB];
        for (int j = nr; j < NR; j++) row[j] = 0.0f;
      }
    }
  }
}

/*
 * The register tile: C[R, NR] (+)= A[R, kc] · Bpanel[kc, NR]. Every element's arithmetic is the
 * same in every variant: C (or 0), then each k in order, one multiply-add; so a row's result does
 * not depend on where it falls in M (which tile, which thread, how many rows are batched with it:
 * what serving batched requests needs). Full tiles (R = MR) read A with one stride known to be 1
 * (rows contiguous, or A given as its transpose); the few rows left at the bottom go through R = 4,
 * 2 with both strides, and an odd last row through row_panels.
 */
/** N pairs of accumulators from C (or 0): pair i's first vector at AT(i). */
#define ACC_IN(N, S0, S1, AT)                                                          \
  vf S0[N], S1[N];                                                                     \
  for (int i_ = 0; i_ < N; i_++) {                                                     \
    S0[i_] = acc ? LD(AT(i_)) : (vf){0};                                               \
    S1[i_] = acc ? LD(AT(i_) + VW) : (vf){0};                                          \
  }
/** ... and back. */
#define ACC_OUT(N, S0, S1, AT)                                                         \
  for (int i_ = 0; i_ < N; i_++) {                                                     \
    ST(AT(i_), S0[i_]);                                                                \
    ST(AT(i_) + VW, S1[i_]);                                                           \
  }
#define C_ROW(i) (c + (i) * ldc)

#define TILE_BODY(R, A_AT)                                                             \
  ACC_IN(R, c0, c1, C_ROW)                                                             \
  for (int kk = 0; kk < kc; kk++) {                                                    \
    const vf b0 = LD(bp), b1 = LD(bp + VW);                                            \
    bp += NR;                                                                          \
    for (int r = 0; r < R; r++) {                                                      \
      const float av = A_AT;                                                           \
      c0[r] = av * b0 + c0[r];                                                         \
      c1[r] = av * b1 + c1[r];                                                         \
    }                                                                                  \
  }                                                                                    \
  ACC_OUT(R, c0, c1, C_ROW)

/** A rows contiguous: element (r, kk) at a[r * lda + kk]. */
static inline void tile_rows(int kc, const float *a, long lda, const float *bp, float *c, long ldc, int acc) {
  TILE_BODY(MR, a[r * lda + kk])
}

/** A transposed: element (r, kk) at a[kk * lda + r]. */
static inline void tile_cols(int kc, const float *a, long lda, const float *bp, float *c, long ldc, int acc) {
  TILE_BODY(MR, a[kk * lda + r])
}

#define TILE_FEW(R)                                                                                                        \
  static void tile_##R(int kc, const float *a, long rsA, long csA, const float *bp, float *c, long ldc, int acc) {        \
    TILE_BODY(R, a[r * rsA + kk * csA])                                                                                    \
  }
TILE_FEW(4)
TILE_FEW(2)

/**
 * One row (a batch of one: a matrix-vector product, or the odd row left at the bottom) against np
 * consecutive panels, the first at bp (panel q at bp + q * pstride), C from c (panel q at c + q * NR);
 * the last panel has nlast (1..NR) columns. The arithmetic of TILE_BODY exactly (C or 0, then each
 * k in order, one multiply-add), so a row's result does not depend on where it falls in M; several
 * panels at a time give 8-16 independent accumulators, which hide the multiply-add latency.
 */
#define ROW_BODY(Q, CP)                                                                \
  ACC_IN(Q, s0, s1, CP)                                                                \
  for (int kk = 0; kk < kc; kk++) {                                                    \
    const float av = a[kk * csA];                                                      \
    for (int u = 0; u < Q; u++) {                                                      \
      const float *b = bq + u * pstride + kk * NR;                                     \
      s0[u] = av * LD(b) + s0[u];                                                      \
      s1[u] = av * LD(b + VW) + s1[u];                                                 \
    }                                                                                  \
  }                                                                                    \
  ACC_OUT(Q, s0, s1, CP)

#define ROW_PANELS(Q)                                                                  \
  for (; q + Q <= full; q += Q) {                                                      \
    const float *bq = bp + q * pstride;                                                \
    float *cq = c + q * NR;                                                            \
    ROW_BODY(Q, CQ_PANEL)                                                              \
  }

#define CQ_PANEL(i) (cq + (i) * NR)
#define CT_PANEL(i) (ct + (i) * NR)

static void row_panels(int kc, const float *a, long csA, const float *bp, long pstride, int np, int nlast, float *c, int acc) {
  const int full = nlast == NR ? np : np - 1;
  int q = 0;
  /* As many panels at a time as the registers hold (AVX-512: 32 vector registers; else 16). */
#if defined(TL_ISA_AVX512)
  ROW_PANELS(8)
#endif
  ROW_PANELS(4)
  ROW_PANELS(2)
  ROW_PANELS(1)
  if (full < np) {
    float ct[NR];
    float *cq = c + q * NR;
    for (int j = 0; j < NR; j++) ct[j] = acc && j < nlast ? cq[j] : 0.0f;
    const float *bq = bp + q * pstride;
    ROW_BODY(1, CT_PANEL)
    memcpy(cq, ct, (size_t)nlast * 4);
  }
}

/** A partial tile: mr < MR rows (even, or MR) as tiles of 4, 2; nr < NR columns through a copy of C. */
static void tile_edge(int mr, int nr, int kc, const float *a, long rsA, long csA, const float *bp, float *c, long ldc, int acc) {
  float ct[MR * NR];
  float *cc = c;
  long ldcc = ldc;
  if (nr < NR) {
    for (int r = 0; r < mr; r++)
      for (int j = 0; j < NR; j++) ct[r * NR + j] = acc && j < nr ? c[r * ldc + j] : 0.0f;
    cc = ct;
    ldcc = NR;
  }
  int r = 0;
  if (mr == MR) {
    if (csA == 1) tile_rows(kc, a, rsA, bp, cc, ldcc, acc);
    else tile_cols(kc, a, csA, bp, cc, ldcc, acc);
    r = MR;
  }
  for (; mr - r >= 4; r += 4) tile_4(kc, a + r * rsA, rsA, csA, bp, cc + r * ldcc, ldcc, acc);
  if (mr - r >= 2) tile_2(kc, a + r * rsA, rsA, csA, bp, cc + r * ldcc, ldcc, acc);
  if (nr < NR)
    for (int q = 0; q < mr; q++) memcpy(c + q * ldc, ct + q * NR, (size_t)nr * 4);
}

/**
 * C[m, panels p0..p1 of n] (+)= A (m, k) · B, with B packed whole (pack_b, all k rows). One of
 * rsA, csA must be 1. Loops: K blocks, row blocks of MC, panels, MR-row tiles; an odd row left at
 * the bottom of a row block goes through row_panels. Every tile kind does the same arithmetic.
 */
static void gemm_packed(int m, int n, int k, const float *a, long rsA, long csA, const float *bp, int p0, int p1, float *c, long ldc, int accumulate) {
  if (k == 0) {
    if (!accumulate)
      for (int i = 0; i < m; i++) memset(c + i * ldc + p0 * NR, 0, (size_t)(lmin(n, (long)p1 * NR) - p0 * NR) * 4);
    return;
  }
  for (int kb = 0; kb < k; kb += KC) {
    const int kc = (int)lmin(KC, k - kb);
    const int acc = accumulate || kb > 0;
    for (int ib = 0; ib < m; ib += MC) {
      if (tl_beat()) return;
      const int ie0 = (int)lmin(m, ib + MC);
      const int ie = ie0 - (((ie0 - ib) % MR) & 1);
      if (ie < ie0) {
        const int nlast = (int)lmin(NR, n - (long)(p1 - 1) * NR);
        row_panels(kc, a + (long)ie * rsA + (long)kb * csA, csA, bp + (long)p0 * k * NR + (long)kb * NR, (long)k * NR, p1 - p0, nlast, c + (long)ie * ldc + p0 * NR,
                   acc);
      }
      for (int p = p0; p < p1; p++) {
        const int nr = (int)lmin(NR, n - p * NR);
        const float *b = bp + (long)p * k * NR + (long)kb * NR;
        for (int i = ib; i < ie; i += MR) {
          const int mr = (int)lmin(MR, ie - i);
          const float *ai = a + i * rsA + kb * csA;
          float *ci = c + i * ldc + p * NR;
          if (mr < MR || nr < NR) tile_edge(mr, nr, kc, ai, rsA, csA, b, ci, ldc, acc);
          else if (csA == 1) tile_rows(kc, ai, rsA, b, ci, ldc, acc);
          else tile_cols(kc, ai, csA, b, ci, ldc, acc);
        }
      }
    }
  }
}

/** A GEMM split into column-panel groups (one task each), each packing its own panels of B. */
typedef struct {
  int m, n, k;
  const float *a;
  long rsA, csA;
  const float *b;
  long rsB, csB;
  float *bp;
  float *c;
  long ldc;
  int accumulate;
  int groups;
} gemm_job;

static void gemm_group(gemm_job *g, int i) {
  const int np = (g->n + NR - 1) / NR;
  const int p0 = (int)((long)i * np / g->groups), p1 = (int)((long)(i + 1) * np / g->groups);
  if (p1 <= p0) return;
  pack_b(g->b, g->rsB, g->csB, g->n, g->k, p0, p1, g->bp);
  gemm_packed(g->m, g->n, g->k, g->a, g->rsA, g->csA, g->bp, p0, p1, g->c, g->ldc, g->accumulate);
}

static void gemm_task(void *arg, int i) { gemm_group((gemm_job *)arg, i); }

/** Groups worth the threads: one per thread when the product is large, else one. */
static int groups_for(int m, int n, int k) {
  const int np = (n + NR - 1) / NR;
  const int t = tl_threads();
  if (t <= 1 || (double)m * n * k < 262144.0) return 1;
  return t < np ? t : np;
}

/*
 * Scratch: every temporary of a kernel call (packed operands, gate rows, gate gradients) lives in
 * one of a few blocks per calling thread, each kept at the largest size asked for so far and reused
 * by the next calls: a training loop asks for the same sizes every step, and fresh blocks of MBs
 * would cost their page faults every time. Slots never overlap within a call. The blocks are
 * freed by `release` (the addon calls it when the thread's Node environment shuts down; no thread
 * destructor, which could outlive an unloaded addon).
 */
enum { S_GEMM_B, S_GEMM_A, S_GATES, S_WHH, S_WHR, S_HG, S_HU, S_DHPROJ, S_GRAD0, SLOTS = S_GRAD0 + 4 };
static __thread float *slot_p[SLOTS];
static __thread size_t slot_bytes[SLOTS];

/** Slot `slot`'s block, at least n floats (64-byte aligned), or NULL when memory ran out. */
static float *scratch(int slot, long n) {
  const size_t bytes = ((size_t)(n > 0 ? n : 1) * 4 + 63) & ~(size_t)63;
  if (slot_bytes[slot] < bytes) {
    free(slot_p[slot]);
    slot_p[slot] = aligned_alloc(64, bytes);
    slot_bytes[slot] = slot_p[slot] ? bytes : 0;
  }
  return slot_p[slot];
}

/** Free this thread's scratch blocks. */
static void release(void) {
  for (int i = 0; i < SLOTS; i++) {
    free(slot_p[i]);
    slot_p[i] = NULL;
    slot_bytes[i] = 0;
  }
}

static int gemm_(int m, int n, int k, const float *a, long rsA, long csA, const float *b, long rsB, long csB, float *c, long ldc, int accumulate) {
  if (m <= 0 || n <= 0) return 0;
  float *bp = scratch(S_GEMM_B, packed_size(n, k));
  if (!bp) return -1;
  if (rsA != 1 && csA != 1) {
    /* Neither layout: copy A row-major first. */
    float *at = scratch(S_GEMM_A, (long)m * k);
    if (!at) return -1;
    for (int i = 0; i < m; i++)
      for (int kk = 0; kk < k; kk++) at[(long)i * k + kk] = a[i * rsA + kk * csA];
    a = at;
    rsA = k;
    csA = 1;
  }
  gemm_job g = {m, n, k, a, rsA, csA, b, rsB, csB, bp, c, ldc, accumulate, groups_for(m, n, k)};
  if (g.groups > 1) return tl_parallel(g.groups, gemm_task, &g);
  gemm_group(&g, 0);
  return TL_OK;
}

/* ---- fused cells (assembly/cells.ts) -------------------------------------------------------- */
/* Units of a row VW at a time, then the tail through the same code (n < VW lanes). */

/** LSTM: gates (bs, 4H) pre-activations in, i f g o out; c (bs, H) in place; h (bs, ldh) out. */
static void lstm_step(int bs, int H, float *gates, float *c, float *h, long ldh) {
  for (int b = 0; b < bs; b++) {
    float *g = gates + (long)b * 4 * H, *cb = c + (long)b * H, *hb = h + b * ldh;
    for (int j = 0; j < H; j += VW) {
      const int n = (int)lmin(VW, H - j);
      const vf i = sigmoidv(ldn(g + j, n)), f = sigmoidv(ldn(g + H + j, n));
      const vf gg = tanhv(ldn(g + 2 * H + j, n)), o = sigmoidv(ldn(g + 3 * H + j, n));
      stn(g + j, i, n);
      stn(g + H + j, f, n);
      stn(g + 2 * H + j, gg, n);
      stn(g + 3 * H + j, o, n);
      const vf cn = f * ldn(cb + j, n) + i * gg;
      stn(cb + j, cn, n);
      stn(hb + j, o * tanhv(cn), n);
    }
  }
}

/** LSTM backward: dc (bs, H) dL/dc_t in, dL/dc_{t-1} out; dg (bs, 4H) out. */
static void lstm_step_back(int bs, int H, const float *gates, const float *cPrev, const float *cNew, const float *dh, float *dc, float *dg) {
  for (int b = 0; b < bs; b++) {
    const long gb = (long)b * 4 * H, sb = (long)b * H;
    for (int j = 0; j < H; j += VW) {
      const int n = (int)lmin(VW, H - j);
      const float *g = gates + gb + j;
      const vf i = ldn(g, n), f = ldn(g + H, n), gg = ldn(g + 2 * H, n), o = ldn(g + 3 * H, n);
      const vf tc = tanhv(ldn(cNew + sb + j, n));
      const vf d = ldn(dh + sb + j, n);
      const vf dcv = (d * o) * (1.0f - tc * tc) + ldn(dc + sb + j, n);
      float *q = dg + gb + j;
      stn(q, (dcv * gg) * (i * (1.0f - i)), n);
      stn(q + H, (dcv * ldn(cPrev + sb + j, n)) * (f * (1.0f - f)), n);
      stn(q + 2 * H, (dcv * i) * (1.0f - gg * gg), n);
      stn(q + 3 * H, (d * tc) * (o * (1.0f - o)), n);
      stn(dc + sb + j, dcv * f, n);
    }
  }
}

/**
 * GRU: xg (bs, 3H) input part (+ folded biases) in, r z n out; hg (bs, 3H) W_hh h in, its n block
 * replaced by W_hn h + b_hn; hIn (bs, H) h_{t-1}, hOut (bs, H) h_t (may be hIn).
 */
static void gru_step(int bs, int H, float *xg, float *hg, const float *bHn, const float *hIn, float *hOut) {
  for (int b = 0; b < bs; b++) {
    float *x = xg + (long)b * 3 * H, *hh = hg + (long)b * 3 * H;
    const float *hi = hIn + (long)b * H;
    float *ho = hOut + (long)b * H;
    for (int j = 0; j < H; j += VW) {
      const int n = (int)lmin(VW, H - j);
      const vf r = sigmoidv(ldn(x + j, n) + ldn(hh + j, n));
      const vf z = sigmoidv(ldn(x + H + j, n) + ldn(hh + H + j, n));
      const vf hn = ldn(hh + 2 * H + j, n) + ldn(bHn + j, n);
      const vf nn = tanhv(r * hn + ldn(x + 2 * H + j, n));
      stn(x + j, r, n);
      stn(x + H + j, z, n);
      stn(x + 2 * H + j, nn, n);
      stn(hh + 2 * H + j, hn, n);
      stn(ho + j, z * (ldn(hi + j, n) - nn) + nn, n);
    }
  }
}

/** GRU backward: dh (bs, H) dL/dh_t in, dL/dh_t * z out; dgX, dgH (bs, 3H) out. */
static void gru_step_back(int bs, int H, const float *gates, const float *hg, const float *hPrev, float *dh, float *dgX, float *dgH) {
  for (int b = 0; b < bs; b++) {
    const long gb = (long)b * 3 * H, sb = (long)b * H;
    for (int j = 0; j < H; j += VW) {
      const int n = (int)lmin(VW, H - j);
      const vf r = ldn(gates + gb + j, n), z = ldn(gates + gb + H + j, n), nn = ldn(gates + gb + 2 * H + j, n);
      const vf hn = ldn(hg + gb + 2 * H + j, n);
      const vf d = ldn(dh + sb + j, n);
      const vf dpn = (d * (1.0f - z)) * (1.0f - nn * nn);
      const vf dz = d * (ldn(hPrev + sb + j, n) - nn);
      const vf dpr = (dpn * hn) * (r * (1.0f - r));
      const vf dpz = dz * (z * (1.0f - z));
      stn(dgX + gb + j, dpr, n);
      stn(dgX + gb + H + j, dpz, n);
      stn(dgX + gb + 2 * H + j, dpn, n);
      stn(dgH + gb + j, dpr, n);
      stn(dgH + gb + H + j, dpz, n);
      stn(dgH + gb + 2 * H + j, dpn * r, n);
      stn(dh + sb + j, d * z, n);
    }
  }
}

/** relu keeping NaN (as torch.relu): x < 0 ? 0 : x. */
static inline vf reluv(vf x) { return (vf)((vi)x & ~(x < 0.0f)); }

/** Elman RNN: pre (n) in, h' = tanh or relu out, in place. */
static void rnn_step(long n, float *pre, int relu) {
  for (long i = 0; i < n; i += VW) {
    const int m = (int)lmin(VW, n - i);
    const vf v = ldn(pre + i, m);
    stn(pre + i, relu ? reluv(v) : tanhv(v), m);
  }
}

/** Elman RNN backward: h = h' (n), dh = dL/dh' (n), dpre out. */
static void rnn_step_back(long n, const float *h, const float *dh, float *dpre, int relu) {
  for (long i = 0; i < n; i += VW) {
    const int m = (int)lmin(VW, n - i);
    const vf y = ldn(h + i, m), d = ldn(dh + i, m);
    stn(dpre + i, relu ? (vf)((vi)d & (y > 0.0f)) : d * (1.0f - y * y), m);
  }
}

static void add_to(float *dst, const float *src, long n) {
  for (long i = 0; i < n; i += VW) {
    const int m = (int)lmin(VW, n - i);
    stn(dst + i, ldn(dst + i, m) + ldn(src + i, m), m);
  }
}

/* ---- the layer ------------------------------------------------------------------------------ */

static int gates_of(int mode) { return mode == TL_LSTM ? 4 : mode == TL_GRU ? 3 : 1; }

/** Everything a direction's time loop needs beyond tl_layer: packed weights, scratch, the row split. */
typedef struct {
  const tl_layer *L;
  int GH, parts;
  int r0[65];
  float *wHhP, *wHrP;
  /* inference scratch (B rows): W_hh h (GRU), o * tanh(c) (projection); backward: dL/d(o tanh c) */
  float *hgS, *huS;
  /* backward: gate gradients (total, GH), dL/dh of every row (projection) */
  float *dgX, *dgH, *dhProj;
} layer_ctx;

/**
 * Batch rows split into parts (one per thread, multiples of MR where possible) when the layer has
 * enough rows and work; a row's results do not depend on the split.
 */
static void split_rows(layer_ctx *X) {
  const tl_layer *L = X->L;
  int t = tl_threads();
  if (t > 64) t = 64;
  const double macs = (double)L->total * X->GH * (L->I + L->P);
  int parts = t > 1 && L->B >= 4 * t && macs >= 4194304.0 ? t : 1;
  X->parts = parts;
  for (int q = 0; q <= parts; q++) {
    long at = q >= parts ? L->B : lmin(L->B, ((long)q * L->B / parts + MR / 2) / MR * MR);
    X->r0[q] = (int)at;
  }
}

/** Rows of part p active at step t (0 when none), and where they start in the packed layout. */
static inline int part_rows(const layer_ctx *X, int p, int t, long *row) {
  const tl_layer *L = X->L;
  const int r0 = X->r0[p], r1 = X->r0[p + 1];
  const int n = (L->bs[t] < r1 ? L->bs[t] : r1) - r0;
  *row = (long)L->offs[t] + r0;
  return n;
}

static void forward_part(void *arg, int p) {
  layer_ctx *X = arg;
  const tl_layer *L = X->L;
  const int H = L->H, P = L->P, GH = X->GH, T = L->T, r0 = X->r0[p];
  const int npG = (GH + NR - 1) / NR, npP = (P + NR - 1) / NR;
  const int save = L->hPrev != NULL;
  float *hb = L->h + (long)r0 * P;
  float *cb = L->c ? L->c + (long)r0 * H : NULL;
  for (int si = 0; si < T; si++) {
    if (tl_beat()) return;
    const int t = L->reverse ? T - 1 - si : si;
    long row;
    const int bs = part_rows(X, p, t, &row);
    if (bs <= 0) continue;
    float *g = L->gates + row * GH;
    if (save) {
      memcpy(L->hPrev + row * P, hb, (size_t)bs * P * 4);
      if (L->mode == TL_LSTM) memcpy(L->cPrev + row * H, cb, (size_t)bs * H * 4);
    }
    if (L->mode == TL_GRU) {
      float *hgt = save ? L->hg + row * GH : X->hgS + (long)r0 * GH;
      gemm_packed(bs, GH, P, hb, P, 1, X->wHhP, 0, npG, hgt, GH, 0);
      gru_step(bs, H, g, hgt, L->bHn, hb, hb);
    } else if (L->mode == TL_LSTM) {
      gemm_packed(bs, GH, P, hb, P, 1, X->wHhP, 0, npG, g, GH, 1);
      if (L->wHr) {
        float *hu = save ? L->hUnproj + row * H : X->huS + (long)r0 * H;
        lstm_step(bs, H, g, cb, hu, H);
        gemm_packed(bs, P, H, hu, H, 1, X->wHrP, 0, npP, hb, P, 0);
      } else {
        lstm_step(bs, H, g, cb, hb, H);
      }
      if (save) memcpy(L->cNew + row * H, cb, (size_t)bs * H * 4);
    } else {
      gemm_packed(bs, GH, P, hb, P, 1, X->wHhP, 0, npG, g, GH, 1);
      rnn_step((long)bs * H, g, L->mode == TL_RNN_RELU);
      memcpy(hb, g, (size_t)bs * H * 4);
    }
    for (int r = 0; r < bs; r++) memcpy(L->y + (row + r) * L->ldy, hb + (long)r * P, (size_t)P * 4);
  }
}

static void parts_task(void *arg, int p);

static float *alloc_f(long n) { return malloc((size_t)(n > 0 ? n : 1) * 4 + 64); }

/** Pack a whole B operand (single-threaded) into a scratch slot. */
static float *pack_whole(int slot, const float *b, long rsB, long csB, int n, int k) {
  float *p = scratch(slot, packed_size(n, k));
  if (p) pack_b(b, rsB, csB, n, k, 0, (n + NR - 1) / NR, p);
  return p;
}

static int layer_forward(const tl_layer *L0) {
  tl_layer Lc = *L0;
  const tl_layer *L = &Lc;
  layer_ctx X;
  memset(&X, 0, sizeof X);
  X.L = L;
  X.GH = gates_of(L->mode) * L->H;
  const int GH = X.GH, H = L->H, P = L->P;
  const int save = L->hPrev != NULL;
  /* Inference: the gate rows of every step in scratch. */
  if (!Lc.gates && !(Lc.gates = scratch(S_GATES, (long)L->total * GH))) return -1;
  X.wHhP = pack_whole(S_WHH, L->wHh, 1, P, GH, P);
  X.wHrP = L->wHr ? pack_whole(S_WHR, L->wHr, 1, H, P, H) : NULL;
  X.hgS = L->mode == TL_GRU && !save ? scratch(S_HG, (long)L->B * GH) : NULL;
  X.huS = L->wHr && !save ? scratch(S_HU, (long)L->B * H) : NULL;
  if (!X.wHhP || (L->wHr && !X.wHrP) || (L->mode == TL_GRU && !save && !X.hgS) || (L->wHr && !save && !X.huS)) return -1;
  /* The input projection of every step at once: gates = bias + x W_ihᵀ. */
  for (long r = 0; r < L->total; r++) memcpy(L->gates + r * GH, L->bias, (size_t)GH * 4);
  const int rc = gemm_(L->total, GH, L->I, L->x, L->I, 1, L->wIh, 1, L->I, L->gates, GH, 1);
  if (rc != TL_OK) return rc;
  split_rows(&X);
  if (X.parts > 1) return tl_parallel(X.parts, parts_task, &X);
  forward_part(&X, 0);
  return TL_OK;
}

static void backward_part(void *arg, int p) {
  layer_ctx *X = arg;
  const tl_layer *L = X->L;
  const int H = L->H, P = L->P, GH = X->GH, T = L->T, r0 = X->r0[p];
  const int npP = (P + NR - 1) / NR, npH = (H + NR - 1) / NR;
  float *dhb = L->dh + (long)r0 * P;
  float *dcb = L->dc ? L->dc + (long)r0 * H : NULL;
  for (int si = 0; si < T; si++) {
    if (tl_beat()) return;
    const int t = L->reverse ? si : T - 1 - si;
    long row;
    const int bs = part_rows(X, p, t, &row);
    if (bs <= 0) continue;
    if (L->dy) add_to(dhb, L->dy + row * P, (long)bs * P);
    const float *g = L->gates + row * GH;
    float *dgx = X->dgX + row * GH, *dgh = X->dgH + row * GH;
    if (L->mode == TL_GRU) {
      gru_step_back(bs, H, g, L->hg + row * GH, L->hPrev + row * P, dhb, dgx, dgh);
      /* dhb holds the direct part dh * z: the product adds to it. */
      gemm_packed(bs, P, GH, dgh, GH, 1, X->wHhP, 0, npP, dhb, P, 1);
      continue;
    }
    if (L->mode == TL_LSTM) {
      const float *dhu = dhb;
      if (L->wHr) {
        float *du = X->huS + (long)r0 * H;
        memcpy(X->dhProj + row * P, dhb, (size_t)bs * P * 4);
        gemm_packed(bs, H, P, dhb, P, 1, X->wHrP, 0, npH, du, H, 0);
        dhu = du;
      }
      lstm_step_back(bs, H, g, L->cPrev + row * H, L->cNew + row * H, dhu, dcb, dgx);
    } else {
      rnn_step_back((long)bs * H, g, dhb, dgx, L->mode == TL_RNN_RELU);
    }
    gemm_packed(bs, P, GH, dgx, GH, 1, X->wHhP, 0, npP, dhb, P, 0);
  }
}

static void parts_task(void *arg, int p) {
  layer_ctx *X = arg;
  if (X->L->dh) backward_part(arg, p);
  else forward_part(arg, p);
}

/** Column sums of src (rows, cols) into dst (cols), rows in order. */
static void col_sums(const float *src, long rows, int cols, float *dst) {
  memset(dst, 0, (size_t)cols * 4);
  for (long r = 0; r < rows; r++) add_to(dst, src + r * cols, cols);
}

/** The weight gradients: one task list over every product's column groups, plus the bias sums. */
typedef struct {
  gemm_job jobs[4];
  int njobs;
  const layer_ctx *X;
} grads_job;

static void grads_task(void *arg, int i) {
  grads_job *G = arg;
  for (int j = 0; j < G->njobs; j++) {
    if (i < G->jobs[j].groups) {
      gemm_group(&G->jobs[j], i);
      return;
    }
    i -= G->jobs[j].groups;
  }
  const tl_layer *L = G->X->L;
  if (L->dBIh) col_sums(G->X->dgX, L->total, G->X->GH, L->dBIh);
  if (L->dBHh) col_sums(G->X->dgH, L->total, G->X->GH, L->dBHh);
}

static int layer_backward(const tl_layer *L) {
  layer_ctx X;
  memset(&X, 0, sizeof X);
  X.L = L;
  X.GH = gates_of(L->mode) * L->H;
  const int GH = X.GH, H = L->H, P = L->P, I = L->I;
  const long total = L->total;
  X.wHhP = pack_whole(S_WHH, L->wHh, P, 1, P, GH);
  X.wHrP = L->wHr ? pack_whole(S_WHR, L->wHr, H, 1, H, P) : NULL;
  X.huS = L->wHr ? scratch(S_HU, (long)L->B * H) : NULL;
  X.dhProj = L->wHr ? scratch(S_DHPROJ, total * P) : NULL;
  X.dgX = scratch(S_GATES, total * GH);
  X.dgH = L->mode == TL_GRU ? scratch(S_HG, total * GH) : X.dgX;
  if (!X.wHhP || !X.dgX || !X.dgH || (L->wHr && (!X.wHrP || !X.huS || !X.dhProj))) return -1;
  split_rows(&X);
  if (X.parts > 1) {
    if (tl_parallel(X.parts, parts_task, &X) != TL_OK) return TL_POOL_STOPPED;
  } else {
    backward_part(&X, 0);
  }

  /* dx = dgX W_ih; dW_ih = dgXᵀ x; dW_hh = dgHᵀ hPrev; dW_hr = dhProjᵀ hUnproj; bias column sums. */
  grads_job G;
  memset(&G, 0, sizeof G);
  G.X = &X;
  struct {
    int m, n, k;
    const float *a;
    long rsA, csA;
    const float *b;
    long rsB;
    float *c;
  } prod[4] = {
      {(int)total, I, GH, X.dgX, GH, 1, L->wIh, I, L->dx},
      {GH, I, (int)total, X.dgX, 1, GH, L->x, I, L->dWIh},
      {GH, P, (int)total, X.dgH, 1, GH, L->hPrev, P, L->dWHh},
      {P, H, (int)total, X.dhProj, 1, P, L->hUnproj, H, L->dWHr},
  };
  int ok = 1, ntasks = 1;
  float *bufs[4] = {0};
  for (int j = 0; j < 4; j++) {
    if (!prod[j].c || !prod[j].a) continue;
    bufs[j] = scratch(S_GRAD0 + j, packed_size(prod[j].n, prod[j].k));
    if (!bufs[j]) {
      ok = 0;
      break;
    }
    gemm_job g = {prod[j].m, prod[j].n, prod[j].k, prod[j].a, prod[j].rsA, prod[j].csA, prod[j].b, prod[j].rsB, 1, bufs[j], prod[j].c, prod[j].n, 0,
                  groups_for(prod[j].m, prod[j].n, prod[j].k)};
    G.jobs[G.njobs++] = g;
    ntasks += g.groups;
  }
  if (!ok) return TL_NO_MEMORY;
  if (ntasks > 2 && tl_threads() > 1) return tl_parallel(ntasks, grads_task, &G);
  for (int i = 0; i < ntasks; i++) grads_task(&G, i);
  return TL_OK;
}

/* ---- the bench's multiply-add ceiling ------------------------------------------------------- */

static float fma_peak(long rounds) {
  const vf m = splat(0.999999f), c = splat(1e-7f);
  vf a[12];
  for (int i = 0; i < 12; i++) a[i] = splat(1.0f + 0.1f * i);
  for (long r = 0; r < rounds; r++)
    for (int i = 0; i < 12; i++) a[i] = a[i] * m + c;
  vf s = {0};
  for (int i = 0; i < 12; i++) s += a[i];
  float out = 0;
  for (int i = 0; i < VW; i++) out += s[i];
  return out;
}

static int gemm_probe(int m, int n, int k, long calls) {
  float *a = alloc_f((long)m * k), *b = alloc_f((long)k * n), *bp = alloc_f(packed_size(n, k)), *c = alloc_f((long)m * n);
  const int ok = a && b && bp && c;
  if (ok) {
    for (long i = 0; i < (long)m * k; i++) a[i] = 0.01f;
    for (long i = 0; i < (long)k * n; i++) b[i] = 0.01f;
    pack_b(b, n, 1, n, k, 0, (n + NR - 1) / NR, bp);
    for (long r = 0; r < calls; r++) gemm_packed(m, n, k, a, k, 1, bp, 0, (n + NR - 1) / NR, c, n, 0);
  }
  free(a);
  free(b);
  free(bp);
  free(c);
  return ok ? 0 : -1;
}

const tl_kernels TABLE = {ISA_NAME, VW, gemm_, sigmoid_array, tanh_array, layer_forward, layer_backward, fma_peak, gemm_probe, release};
