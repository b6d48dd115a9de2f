/*
 * torchlet's native kernels: what each instruction-set build of kernels.c provides (one table per
 * build: kernels.c is compiled three times, with -mavx512f..., with -mavx2 -mfma, and portable),
 * and the pieces shared by every build (thread pool, layer descriptions). addon.c picks a table
 * at run time (cpuid) and exposes it to JavaScript through Node-API.
 *
 * Every matrix is row-major float32. Element (i, k) of a strided operand is p[i * rs + k * cs].
 */
#ifndef TORCHLET_KERNELS_H
#define TORCHLET_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* ---- thread pool (addon.c) ------------------------------------------------------------------ */

/**
 * Run task(arg, i) for i in [0, n) on the pool (the caller takes part); returns 0 when all ran,
 * or TL_POOL_STOPPED when a worker made no progress for the pool's time limit (the pool is then
 * given up: its results are not valid, and every later call runs on the caller alone).
 */
typedef void (*tl_task_fn)(void *arg, int i);
int tl_parallel(int n, tl_task_fn task, void *arg);
/** Threads a kernel call may use (1 = the caller alone). */
int tl_threads(void);
/**
 * Progress mark, called by kernels at every time step and GEMM block (the pool's caller takes a
 * worker for stuck when no mark moves for its time limit). Nonzero: this thread is a worker of a
 * pool that was given up, and its task should return at once (its results are discarded).
 */
int tl_beat(void);

/** Kernel return codes: 0, out of memory, the pool was given up. */
enum { TL_OK = 0, TL_NO_MEMORY = -1, TL_POOL_STOPPED = -2 };

/* ---- one direction of one recurrent layer --------------------------------------------------- */

enum { TL_RNN_TANH = 0, TL_RNN_RELU = 1, TL_LSTM = 2, TL_GRU = 3 };

/**
 * Shapes (G gates, GH = G*H, P = Hout, B = bs[0], total = sum of bs, offs[t] = first row of step t):
 * x (total, I), y (total, ldy) of which P columns, h (B, P) h0 in / hN out, c (B, H) c0 in / cN out,
 * wIh (GH, I), wHh (GH, P), wHr (P, H) or NULL, bias (GH) b_ih + b_hh folded (GRU: without the
 * n block of b_hh), bHn (H) GRU's n block of b_hh (zeros without bias).
 * Saved (NULL when not training): gates (total, GH) activations, hPrev (total, P), cPrev and cNew
 * (total, H) LSTM, hg (total, GH) GRU (W_hh h, n block + b_hn), hUnproj (total, H) projected LSTM.
 */
typedef struct {
  int mode, reverse, T, H, I, P, B, total;
  const int32_t *bs;
  const int32_t *offs;
  const float *x, *wIh, *wHh, *wHr, *bias, *bHn;
  float *h, *c, *y;
  long ldy;
  float *gates, *hPrev, *cPrev, *cNew, *hg, *hUnproj;
  /* backward: dy (total, P) or NULL; dh (B, P) dhN in / dh0 out; dc (B, H) dcN in / dc0 out;
     outputs dx (total, I) or NULL, dWIh (GH, I), dWHh (GH, P), dBIh, dBHh (GH) or NULL, dWHr (P, H) or NULL */
  const float *dy;
  float *dh, *dc, *dx, *dWIh, *dWHh, *dBIh, *dBHh, *dWHr;
} tl_layer;

/** One instruction-set build of kernels.c. Functions return TL_OK, TL_NO_MEMORY or TL_POOL_STOPPED. */
typedef struct {
  const char *name;
  /** Floats per vector register. */
  int width;
  /** C (+)= A·B, A (m, k) strided (rsA, csA), B (k, n) strided (rsB, csB), C (m, ldc). */
  int (*gemm)(int m, int n, int k, const float *a, long rsA, long csA, const float *b, long rsB, long csB, float *c, long ldc, int accumulate);
  void (*sigmoid)(const float *x, float *out, long n);
  void (*tanh)(const float *x, float *out, long n);
  int (*layer_forward)(const tl_layer *L);
  int (*layer_backward)(const tl_layer *L);
  /** rounds x 12 register-only vector multiply-adds; returns a sum so nothing is dropped. */
  float (*fma_peak)(long rounds);
  /** The bench's GEMM probe: `calls` products C (m, n) = A (m, k) · B with B packed once (not timed). */
  int (*gemm_probe)(int m, int n, int k, long calls);
  /** Free the calling thread's scratch blocks (kept between calls; see kernels.c). */
  void (*release)(void);
} tl_kernels;

extern const tl_kernels tl_kernels_avx512, tl_kernels_avx2, tl_kernels_portable;

#endif
