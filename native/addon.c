/*
 * torchlet's Node-API addon: picks the kernel build for this CPU (cpuid: AVX-512, else AVX2 + FMA,
 * else portable; `useIsa` forces one), runs its kernels on the Float32Arrays JavaScript passes
 * (no copies: Node-API gives the arrays' own memory), and owns a small pthread pool.
 *
 * Errors never abort: arguments are checked before any kernel runs (a wrong type or a too short
 * array throws a TypeError or RangeError), and a kernel that cannot get memory returns an error
 * that becomes a JavaScript Error.
 *
 * Threads: `setThreads(n)` sizes the pool (n - 1 workers; the calling thread is the n-th). One
 * JavaScript thread uses the pool at a time; a call from another (a worker_threads thread using
 * torchlet too) runs on its own thread alone. A kernel call hands tasks to the workers and takes
 * tasks itself until none is left, so it never waits for a worker that has not started. Its
 * wait for tasks already running is bounded: kernels mark progress (tl_beat) at every time step
 * and GEMM block, and when no mark moves for `deadAfterMs` (setThreads' second argument, the
 * WebAssembly pool's threadTuning.deadAfterMs) the call throws and the pool is given up (see
 * give_up). Independent directions (forwardMany, backwardMany) run side by side, one per thread.
 * Workers block every signal (Node's handlers stay on the main thread), sleep on a condition
 * variable between calls, and are joined when the last Node environment using the addon shuts
 * down, so a process exits normally.
 */
#define NAPI_VERSION 8
#include <malloc.h>
#include <math.h>
#include <node_api.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels.h"

#ifndef TL_SOURCE_HASH
#define TL_SOURCE_HASH "unknown"
#endif

/* ---- which build ---------------------------------------------------------------------------- */

static int have_avx512(void) {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx2");
}
static int have_avx2(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

static const tl_kernels *current;

static const tl_kernels *best(void) {
  __builtin_cpu_init();
  if (have_avx512()) return &tl_kernels_avx512;
  if (have_avx2()) return &tl_kernels_avx2;
  return &tl_kernels_portable;
}

/* ---- thread pool ---------------------------------------------------------------------------- */

#define MAX_WORKERS 63

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t idle = PTHREAD_COND_INITIALIZER;
static pthread_t workers[MAX_WORKERS];
static int nworkers;
/* The job (written under mu): generation, task function, argument, task count, test stall. */
static unsigned long gen;
static int quit;
static tl_task_fn job_fn;
static void *job_arg;
static int job_n;
static int job_stall;
/** Workers inside a job (under mu). */
static int active;
static atomic_int next_task;
static atomic_int remaining;
/** Progress marks (tl_beat): the caller's time limit runs from the last one it saw. */
static atomic_ulong beats;
/** The pool was given up (a worker stuck past the limit): workers leave, calls run alone. */
static atomic_int broken;
/** No progress for this long and the caller gives the pool up (setThreads' second argument). */
static double dead_after_ms = 5000;
/** Test hook (testStall): the next job's first task taken by a worker sleeps this long, unmarked. */
static atomic_int stall_next;
/** Threads asked for by setThreads (the caller included). */
static int requested = 1;
/** One JavaScript thread at a time owns the pool for a kernel call. */
static pthread_mutex_t use_mu = PTHREAD_MUTEX_INITIALIZER;
static __thread int owns_pool;
static __thread int in_task;
static __thread int is_worker;
/** Jobs handed to the workers (info().poolJobs: tests see that a call was split). */
static atomic_long pool_jobs;

int tl_beat(void) {
  atomic_fetch_add_explicit(&beats, 1, memory_order_relaxed);
  return is_worker && atomic_load_explicit(&broken, memory_order_relaxed);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

static void run_tasks(tl_task_fn fn, void *arg, int n, int stall) {
  in_task = 1;
  for (;;) {
    if (is_worker && atomic_load(&broken)) break;
    const int i = atomic_fetch_add(&next_task, 1);
    if (i >= n) break;
    if (stall) {
      sleep_ms(stall);
      stall = 0;
      if (atomic_load(&broken)) break; /* given up meanwhile: the caller has moved on */
    }
    fn(arg, i);
    tl_beat();
    if (atomic_fetch_sub(&remaining, 1) == 1) {
      pthread_mutex_lock(&mu);
      pthread_cond_broadcast(&idle);
      pthread_mutex_unlock(&mu);
    }
  }
  in_task = 0;
}

static void release_all(void) {
  tl_kernels_avx512.release();
  tl_kernels_avx2.release();
  tl_kernels_portable.release();
}

static void *worker_main(void *p) {
  unsigned long seen = (unsigned long)(size_t)p;
  is_worker = 1;
  pthread_mutex_lock(&mu);
  for (;;) {
    while (!quit && gen == seen) pthread_cond_wait(&wake, &mu);
    if (quit) break;
    seen = gen;
    tl_task_fn fn = job_fn;
    void *arg = job_arg;
    const int n = job_n, stall = job_stall;
    active++;
    pthread_mutex_unlock(&mu);
    run_tasks(fn, arg, n, stall);
    pthread_mutex_lock(&mu);
    if (--active == 0) pthread_cond_broadcast(&idle);
  }
  pthread_mutex_unlock(&mu);
  release_all(); /* this thread's scratch blocks */
  return NULL;
}

static void stop_workers(void) {
  pthread_mutex_lock(&mu);
  quit = 1;
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&mu);
  for (int i = 0; i < nworkers; i++) pthread_join(workers[i], NULL);
  nworkers = 0;
  quit = atomic_load(&broken); /* a given-up pool stays down */
}

/** n - 1 workers (only between kernel calls, by the thread that owns the pool; never after giving up). */
static void resize_pool(int n) {
  if (n - 1 == nworkers || atomic_load(&broken)) return;
  stop_workers();
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  for (int i = 0; i < n - 1 && i < MAX_WORKERS; i++) {
    if (pthread_create(&workers[i], NULL, worker_main, (void *)(size_t)gen) != 0) break;
    nworkers++;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/**
 * Give the pool up (mu held): a worker made no progress for dead_after_ms. A pthread cannot be
 * stopped safely from outside, so the workers are detached, not joined: idle ones leave at once,
 * a stuck one when it comes back (it then returns from its task at its next progress mark,
 * tl_beat, and its results are discarded). Every later call runs on its caller alone.
 */
static void give_up(void) {
  atomic_store(&broken, 1);
  quit = 1;
  pthread_cond_broadcast(&wake);
  for (int i = 0; i < nworkers; i++) pthread_detach(workers[i]);
  nworkers = 0;
}

/**
 * Wait (mu held) until no worker is inside a job (`leaving`) or every task has run. Bounded: when
 * no progress mark moves for dead_after_ms the pool is given up and TL_POOL_STOPPED returned.
 */
static int wait_pool(int leaving) {
  unsigned long seen = atomic_load(&beats);
  double since = now_ms();
  while (leaving ? active > 0 : atomic_load(&remaining) > 0) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 20 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&idle, &mu, &ts);
    const unsigned long b = atomic_load(&beats);
    const double t = now_ms();
    if (b != seen) {
      seen = b;
      since = t;
    } else if (t - since >= dead_after_ms && (leaving ? active > 0 : atomic_load(&remaining) > 0)) {
      give_up();
      return TL_POOL_STOPPED;
    }
  }
  return TL_OK;
}

int tl_threads(void) { return owns_pool && !in_task ? nworkers + 1 : 1; }

int tl_parallel(int n, tl_task_fn fn, void *arg) {
  if (n <= 1 || !owns_pool || in_task || nworkers == 0) {
    for (int i = 0; i < n; i++) fn(arg, i);
    return TL_OK;
  }
  pthread_mutex_lock(&mu);
  /* Workers still leaving the last (finished) job must be out before its counters are reset. */
  if (active > 0 && wait_pool(1) != TL_OK) {
    pthread_mutex_unlock(&mu);
    return TL_POOL_STOPPED;
  }
  const int stall = atomic_exchange(&stall_next, 0);
  job_fn = fn;
  job_arg = arg;
  job_n = n;
  job_stall = stall;
  atomic_store(&next_task, 0);
  atomic_store(&remaining, n);
  gen++;
  atomic_fetch_add(&pool_jobs, 1);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&mu);
  if (!stall) run_tasks(fn, arg, n, 0); /* the test stall leaves every task to the workers */
  /* The workers' last tasks usually end within microseconds: spin briefly before sleeping. */
  for (int s = 0; s < 2048 && atomic_load_explicit(&remaining, memory_order_acquire) > 0; s++) __builtin_ia32_pause();
  if (atomic_load(&remaining) == 0) return TL_OK;
  pthread_mutex_lock(&mu);
  const int rc = wait_pool(0);
  pthread_mutex_unlock(&mu);
  return rc;
}

/** Own the pool for one kernel call (sized as asked), or run alone if another thread owns it. */
static void enter(void) {
  owns_pool = pthread_mutex_trylock(&use_mu) == 0;
  if (owns_pool) resize_pool(requested);
}
static void leave(void) {
  if (owns_pool) pthread_mutex_unlock(&use_mu);
  owns_pool = 0;
}

static atomic_int envs;

static void cleanup(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  (void)hint;
  release_all(); /* this environment's thread: its kernels' scratch blocks */
  if (atomic_fetch_sub(&envs, 1) == 1) {
    pthread_mutex_lock(&use_mu);
    stop_workers();
    pthread_mutex_unlock(&use_mu);
  }
}

/* ---- argument checks ------------------------------------------------------------------------ */

#define MAX_ARGS 24

typedef struct {
  napi_env env;
  napi_value argv[MAX_ARGS];
  size_t argc;
  int failed;
} args_t;

static int get_args(napi_env env, napi_callback_info info, args_t *a, size_t want) {
  a->env = env;
  a->argc = MAX_ARGS;
  a->failed = 0;
  if (napi_get_cb_info(env, info, &a->argc, a->argv, NULL, NULL) != napi_ok || a->argc < want) {
    napi_throw_type_error(env, NULL, "torchlet native: wrong number of arguments");
    return 0;
  }
  return 1;
}

/** The elements of JavaScript array `arr` as the arguments (forwardMany, backwardMany). */
static int array_args(napi_env env, napi_value arr, args_t *a, size_t want) {
  uint32_t n = 0;
  bool is = false;
  a->env = env;
  a->failed = 0;
  if (napi_is_array(env, arr, &is) != napi_ok || !is || napi_get_array_length(env, arr, &n) != napi_ok || n < want || n > MAX_ARGS) {
    napi_throw_type_error(env, NULL, "torchlet native: expected an array of a layer's arguments");
    return 0;
  }
  a->argc = n;
  for (uint32_t i = 0; i < n; i++)
    if (napi_get_element(env, arr, i, &a->argv[i]) != napi_ok) return 0;
  return 1;
}

static void fail(args_t *a, int range, const char *msg) {
  if (a->failed) return;
  a->failed = 1;
  if (range) napi_throw_range_error(a->env, NULL, msg);
  else napi_throw_type_error(a->env, NULL, msg);
}

static double num(args_t *a, size_t i) {
  double v = 0;
  if (!a->failed && napi_get_value_double(a->env, a->argv[i], &v) != napi_ok) fail(a, 0, "torchlet native: expected a number");
  return v;
}

static int is_null(args_t *a, size_t i) {
  napi_valuetype t;
  return napi_typeof(a->env, a->argv[i], &t) == napi_ok && (t == napi_null || t == napi_undefined);
}

/** A typed array of the given type with at least `need` elements (NULL allowed when optional). */
static void *typed(args_t *a, size_t i, napi_typedarray_type want, double need, int optional) {
  if (a->failed) return NULL;
  if (is_null(a, i)) {
    if (!optional) fail(a, 0, "torchlet native: a required array is missing");
    return NULL;
  }
  bool is = false;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_is_typedarray(a->env, a->argv[i], &is) != napi_ok || !is ||
      napi_get_typedarray_info(a->env, a->argv[i], &type, &length, &data, NULL, NULL) != napi_ok || type != want) {
    fail(a, 0, want == napi_float32_array ? "torchlet native: expected a Float32Array" : want == napi_int32_array ? "torchlet native: expected an Int32Array" : "torchlet native: expected a Uint8Array");
    return NULL;
  }
  if ((double)length < need) {
    fail(a, 1, "torchlet native: an array is shorter than its shape needs");
    return NULL;
  }
  return data;
}

static float *f32(args_t *a, size_t i, double need, int optional) { return typed(a, i, napi_float32_array, need, optional); }

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

/**
 * A kernel's return code as the call's result: undefined, or a thrown Error. When the pool was
 * given up, the call's arrays `keep` (its arguments) are pinned for the life of the process: a
 * stuck worker that comes back may still write into them, so they must never be collected.
 */
static napi_value result(napi_env env, int rc, napi_value *keep, size_t nkeep) {
  if (rc == TL_OK) return undefined(env);
  if (rc == TL_NO_MEMORY) {
    napi_throw_error(env, NULL, "torchlet native: out of memory in a kernel");
    return NULL;
  }
  for (size_t i = 0; i < nkeep; i++) {
    napi_valuetype t;
    napi_ref ref;
    if (napi_typeof(env, keep[i], &t) == napi_ok && t == napi_object) napi_create_reference(env, keep[i], 1, &ref);
  }
  char msg[200];
  snprintf(msg, sizeof msg, "torchlet native: a worker thread of the native pool made no progress for %.0f ms; the pool was given up", dead_after_ms);
  napi_throw_error(env, NULL, msg);
  return NULL;
}

/* ---- exports -------------------------------------------------------------------------------- */

/** gemm(m, n, k, a, rsA, csA, b, rsB, csB, c, ldc, accumulate): C (+)= A·B on strided views (offsets: subarrays). */
static napi_value js_gemm(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(env, info, &a, 12)) return NULL;
  const double m = num(&a, 0), n = num(&a, 1), k = num(&a, 2);
  const double rsA = num(&a, 4), csA = num(&a, 5), rsB = num(&a, 7), csB = num(&a, 8), ldc = num(&a, 10);
  const int acc = num(&a, 11) != 0;
  if (!a.failed && (m < 0 || n < 0 || k < 0 || m > 2147483647.0 || n > 2147483647.0 || k > 2147483647.0 || rsA < 0 || csA < 0 || rsB < 0 || csB < 0 || ldc < n))
    fail(&a, 1, "torchlet native: bad GEMM sizes");
  const float *A = f32(&a, 3, m > 0 && k > 0 ? (m - 1) * rsA + (k - 1) * csA + 1 : 0, 0);
  const float *B = f32(&a, 6, k > 0 && n > 0 ? (k - 1) * rsB + (n - 1) * csB + 1 : 0, 0);
  float *C = f32(&a, 9, m > 0 && n > 0 ? (m - 1) * ldc + n : 0, 0);
  if (a.failed) return NULL;
  enter();
  const int rc = current->gemm((int)m, (int)n, (int)k, A, (long)rsA, (long)csA, B, (long)rsB, (long)csB, C, (long)ldc, acc);
  leave();
  return result(env, rc, a.argv, a.argc);
}

/** unary(op, x, out): op 0 sigmoid, 1 tanh; out may be x. */
static napi_value js_unary(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(env, info, &a, 3)) return NULL;
  const double op = num(&a, 0);
  size_t len = 0;
  napi_typedarray_type type;
  if (!a.failed && (napi_get_typedarray_info(env, a.argv[1], &type, &len, NULL, NULL, NULL) != napi_ok)) fail(&a, 0, "torchlet native: expected a Float32Array");
  const float *x = f32(&a, 1, 0, 0);
  float *out = f32(&a, 2, (double)len, 0);
  if (a.failed) return NULL;
  if (op == 0) current->sigmoid(x, out, (long)len);
  else current->tanh(x, out, (long)len);
  return undefined(env);
}

/** Shared by forward and backward: sizes and steps from (ints, bs); offsets written to *offs. */
static int layer_sizes(args_t *a, tl_layer *L, int32_t **offs) {
  const int32_t *ints = typed(a, 0, napi_int32_array, 6, 0);
  napi_typedarray_type type;
  size_t T = 0;
  if (a->failed) return 0;
  const int32_t *bs = typed(a, 1, napi_int32_array, 1, 0);
  if (a->failed) return 0;
  napi_get_typedarray_info(a->env, a->argv[1], &type, &T, NULL, NULL, NULL);
  L->mode = ints[0];
  L->reverse = ints[1] != 0;
  L->H = ints[2];
  L->I = ints[3];
  L->P = ints[4];
  L->ldy = ints[5];
  L->T = (int)T;
  L->B = bs[0];
  if (L->mode < 0 || L->mode > 3 || L->H <= 0 || L->I <= 0 || L->P <= 0 || (L->P != L->H && L->mode != TL_LSTM) || T > 2147483647u) {
    fail(a, 1, "torchlet native: bad layer sizes");
    return 0;
  }
  *offs = malloc((T + 1) * sizeof(int32_t));
  if (!*offs) {
    fail(a, 1, "torchlet native: out of memory");
    return 0;
  }
  long total = 0;
  for (size_t t = 0; t < T; t++) {
    if (bs[t] <= 0 || bs[t] > L->B) {
      free(*offs);
      *offs = NULL;
      fail(a, 1, "torchlet native: batch sizes must be positive and non-increasing");
      return 0;
    }
    if (t > 0 && bs[t] > bs[t - 1]) {
      free(*offs);
      *offs = NULL;
      fail(a, 1, "torchlet native: batch sizes must be positive and non-increasing");
      return 0;
    }
    (*offs)[t] = (int32_t)total;
    total += bs[t];
    if (total > 2147483647L) {
      free(*offs);
      *offs = NULL;
      fail(a, 1, "torchlet native: too many rows");
      return 0;
    }
  }
  (*offs)[T] = (int32_t)total;
  L->total = (int)total;
  L->bs = bs;
  L->offs = *offs;
  return 1;
}

/** Most directions one call takes (forwardMany, backwardMany). */
#define MAX_DIRS 8

/** Several directions' layer kernels: side by side (one task each), or in turn. */
typedef struct {
  const tl_layer *L;
  int n;
  int (*kernel)(const tl_layer *);
  int rc[MAX_DIRS];
} dirs_job;

static void dir_task(void *arg, int i) {
  dirs_job *D = arg;
  D->rc[i] = D->kernel(&D->L[i]);
}

/**
 * Run n directions (their checks passed). With at least as many threads as directions they run
 * side by side, one per thread, each on one thread (a direction's results do not depend on the
 * thread count, so they are the same bits as in turn); else in turn, each split across the pool.
 */
static int run_dirs(const tl_layer *L, int n, int (*kernel)(const tl_layer *)) {
  dirs_job D = {L, n, kernel, {0}};
  enter();
  int rc = TL_OK;
  if (n >= 2 && tl_threads() >= n) {
    rc = tl_parallel(n, dir_task, &D);
  } else {
    for (int i = 0; i < n; i++) dir_task(&D, i);
  }
  leave();
  for (int i = 0; i < n && rc == TL_OK; i++) rc = D.rc[i];
  return rc;
}

/** After the checks: run the layer kernels of `n` directions and throw what the checks or kernels found. */
static napi_value run_layers(args_t *a, const tl_layer *L, int32_t **offs, int n, int (*kernel)(const tl_layer *), napi_value *keep, size_t nkeep) {
  int failed = 0;
  for (int i = 0; i < n; i++) failed |= a[i].failed;
  const int rc = failed ? TL_OK : run_dirs(L, n, kernel);
  /* A given-up pool's stuck worker may still read its direction's step offsets: keep them. */
  if (rc != TL_POOL_STOPPED)
    for (int i = 0; i < n; i++) free(offs[i]);
  return failed ? NULL : result(a[0].env, rc, keep, nkeep);
}

static int gates_of(int mode) { return mode == TL_LSTM ? 4 : mode == TL_GRU ? 3 : 1; }

typedef struct {
  double total, H, I, P, B, GH;
  int lstm, gru, proj;
} dims;

/** What forward and backward share: sizes and steps, x and the weights (arguments 2-5). */
static int layer_args(args_t *a, tl_layer *L, int32_t **offs, dims *z) {
  memset(L, 0, sizeof *L);
  if (!layer_sizes(a, L, offs)) return 0;
  *z = (dims){L->total, L->H, L->I, L->P, L->B, gates_of(L->mode) * L->H, L->mode == TL_LSTM, L->mode == TL_GRU, L->mode == TL_LSTM && L->P != L->H};
  L->x = f32(a, 2, z->total * z->I, 0);
  L->wIh = f32(a, 3, z->GH * z->I, 0);
  L->wHh = f32(a, 4, z->GH * z->P, 0);
  L->wHr = f32(a, 5, z->P * z->H, !z->proj);
  return 1;
}

#define FORWARD_ARGS 17
#define BACKWARD_ARGS 21

/**
 * forward(ints [mode, reverse, H, I, P, ldy], bs, x, wIh, wHh, wHr, bias, bHn, h, c, y,
 *         gates, hPrev, cPrev, cNew, hg, hUnproj): see tl_layer; y is its first column's view.
 * Checks the arguments into L (a->failed and an exception pending when they are wrong).
 */
static int forward_args(args_t *a, tl_layer *L, int32_t **offs) {
  dims z;
  if (!layer_args(a, L, offs, &z)) return 0;
  if (L->ldy < L->P) fail(a, 1, "torchlet native: bad output stride");
  L->bias = f32(a, 6, z.GH, 0);
  L->bHn = f32(a, 7, z.H, !z.gru);
  L->h = f32(a, 8, z.B * z.P, 0);
  L->c = f32(a, 9, z.B * z.H, !z.lstm);
  L->y = f32(a, 10, (z.total - 1) * L->ldy + z.P, 0);
  L->gates = f32(a, 11, z.total * z.GH, 1);
  L->hPrev = f32(a, 12, z.total * z.P, 1);
  const int save = L->hPrev != NULL;
  if (save && !L->gates) fail(a, 0, "torchlet native: saving needs the gates array");
  L->cPrev = f32(a, 13, z.total * z.H, !(save && z.lstm));
  L->cNew = f32(a, 14, z.total * z.H, !(save && z.lstm));
  L->hg = f32(a, 15, z.total * z.GH, !(save && z.gru));
  L->hUnproj = f32(a, 16, z.total * z.H, !(save && z.proj));
  if (!z.proj) L->wHr = NULL;
  return 1;
}

/**
 * backward(ints [mode, reverse, H, I, P, 0], bs, x, wIh, wHh, wHr, gates, hPrev, cPrev, cNew, hg,
 *          hUnproj, dy, dh, dc, dx, dWIh, dWHh, dBIh, dBHh, dWHr): see tl_layer.
 */
static int backward_args(args_t *a, tl_layer *L, int32_t **offs) {
  dims z;
  if (!layer_args(a, L, offs, &z)) return 0;
  L->gates = f32(a, 6, z.total * z.GH, 0);
  L->hPrev = f32(a, 7, z.total * z.P, 0);
  L->cPrev = f32(a, 8, z.total * z.H, !z.lstm);
  L->cNew = f32(a, 9, z.total * z.H, !z.lstm);
  L->hg = f32(a, 10, z.total * z.GH, !z.gru);
  L->hUnproj = f32(a, 11, z.total * z.H, !z.proj);
  L->dy = f32(a, 12, z.total * z.P, 1);
  L->dh = f32(a, 13, z.B * z.P, 0);
  L->dc = f32(a, 14, z.B * z.H, !z.lstm);
  L->dx = f32(a, 15, z.total * z.I, 1);
  L->dWIh = f32(a, 16, z.GH * z.I, 0);
  L->dWHh = f32(a, 17, z.GH * z.P, 0);
  L->dBIh = f32(a, 18, z.GH, 1);
  L->dBHh = f32(a, 19, z.GH, 1);
  L->dWHr = f32(a, 20, z.P * z.H, !z.proj);
  if (!z.proj) L->wHr = L->hUnproj = L->dWHr = NULL;
  return 1;
}

typedef int (*args_fn)(args_t *, tl_layer *, int32_t **);

/** forward(...) / backward(...): one direction. */
static napi_value one_layer(napi_env env, napi_callback_info info, size_t argc, args_fn parse, int (*kernel)(const tl_layer *)) {
  args_t a;
  tl_layer L;
  int32_t *offs = NULL;
  if (!get_args(env, info, &a, argc)) return NULL;
  if (!parse(&a, &L, &offs)) return NULL;
  return run_layers(&a, &L, &offs, 1, kernel, a.argv, a.argc);
}

/** forwardMany([args...]) / backwardMany([args...]): independent directions, each forward's / backward's arguments. */
static napi_value many_layers(napi_env env, napi_callback_info info, size_t argc, args_fn parse, int (*kernel)(const tl_layer *)) {
  args_t list, a[MAX_DIRS];
  tl_layer L[MAX_DIRS];
  int32_t *offs[MAX_DIRS] = {0};
  uint32_t n = 0;
  bool is = false;
  if (!get_args(env, info, &list, 1)) return NULL;
  if (napi_is_array(env, list.argv[0], &is) != napi_ok || !is || napi_get_array_length(env, list.argv[0], &n) != napi_ok || n < 1 || n > MAX_DIRS) {
    napi_throw_type_error(env, NULL, "torchlet native: expected an array of 1 to 8 directions' arguments");
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    if (napi_get_element(env, list.argv[0], i, &item) != napi_ok || !array_args(env, item, &a[i], argc) || !parse(&a[i], &L[i], &offs[i]) || a[i].failed) {
      for (uint32_t j = 0; j <= i; j++) free(offs[j]);
      return NULL;
    }
  }
  return run_layers(a, L, offs, (int)n, kernel, list.argv, 1);
}

static napi_value js_forward(napi_env env, napi_callback_info info) { return one_layer(env, info, FORWARD_ARGS, forward_args, current->layer_forward); }
static napi_value js_backward(napi_env env, napi_callback_info info) { return one_layer(env, info, BACKWARD_ARGS, backward_args, current->layer_backward); }
static napi_value js_forward_many(napi_env env, napi_callback_info info) { return many_layers(env, info, FORWARD_ARGS, forward_args, current->layer_forward); }
static napi_value js_backward_many(napi_env env, napi_callback_info info) { return many_layers(env, info, BACKWARD_ARGS, backward_args, current->layer_backward); }

static napi_value str(napi_env env, const char *s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

/** info(): { isa, width, supported: [...], sourceHash, threads, poolJobs, poolStopped }. */
static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value o, list, v;
  napi_create_object(env, &o);
  napi_set_named_property(env, o, "isa", str(env, current->name));
  napi_create_int32(env, current->width, &v);
  napi_set_named_property(env, o, "width", v);
  napi_create_array(env, &list);
  uint32_t i = 0;
  if (have_avx512()) napi_set_element(env, list, i++, str(env, "avx512"));
  if (have_avx2()) napi_set_element(env, list, i++, str(env, "avx2"));
  napi_set_element(env, list, i++, str(env, "portable"));
  napi_set_named_property(env, o, "supported", list);
  napi_set_named_property(env, o, "sourceHash", str(env, TL_SOURCE_HASH));
  napi_create_int32(env, requested, &v);
  napi_set_named_property(env, o, "threads", v);
  napi_create_double(env, (double)atomic_load(&pool_jobs), &v);
  napi_set_named_property(env, o, "poolJobs", v);
  napi_get_boolean(env, atomic_load(&broken) != 0, &v);
  napi_set_named_property(env, o, "poolStopped", v);
  return o;
}

/** useIsa(name): 'avx512' | 'avx2' | 'portable' | 'auto'; false (nothing changed) if this CPU lacks it. */
static napi_value js_use_isa(napi_env env, napi_callback_info info) {
  args_t a;
  char name[16] = {0};
  size_t len = 0;
  napi_value r;
  if (!get_args(env, info, &a, 1)) return NULL;
  if (napi_get_value_string_utf8(env, a.argv[0], name, sizeof name, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "torchlet native: useIsa expects a string");
    return NULL;
  }
  const tl_kernels *k = NULL;
  if (!strcmp(name, "auto")) k = best();
  else if (!strcmp(name, "avx512") && have_avx512()) k = &tl_kernels_avx512;
  else if (!strcmp(name, "avx2") && have_avx2()) k = &tl_kernels_avx2;
  else if (!strcmp(name, "portable")) k = &tl_kernels_portable;
  if (k) current = k;
  napi_get_boolean(env, k != NULL, &r);
  return r;
}

/**
 * setThreads(n, deadAfterMs?): the pool used by the next kernel calls (n - 1 workers), and how long
 * a call waits for a worker that makes no progress before it gives the pool up.
 */
static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(env, info, &a, 1)) return NULL;
  const double n = num(&a, 0), limit = a.argc > 1 ? num(&a, 1) : dead_after_ms;
  if (a.failed) return NULL;
  requested = n < 1 ? 1 : n > MAX_WORKERS + 1 ? MAX_WORKERS + 1 : (int)n;
  dead_after_ms = limit > 1 ? limit : 1;
  return undefined(env);
}

/** testStall(ms): test hook; the next job's first task taken by a worker sleeps ms with no progress mark. */
static napi_value js_test_stall(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(env, info, &a, 1)) return NULL;
  const double ms = num(&a, 0);
  if (a.failed) return NULL;
  atomic_store(&stall_next, ms < 0 ? 0 : ms > 600000 ? 600000 : (int)ms);
  return undefined(env);
}

/**
 * keepFreedMemory(trimBytes, mmapBytes): glibc's malloc keeps up to trimBytes of freed memory at
 * the top of its heap (M_TRIM_THRESHOLD) and serves blocks below mmapBytes from the heap
 * (M_MMAP_THRESHOLD) instead of handing them back to the system at every free. A training loop's
 * garbage ArrayBuffers (tens of MB freed at each garbage collection, allocated again at the next
 * steps) then reuse the same pages instead of being unmapped and faulted in again, which made the
 * process's RSS swing by ±10% from one collection to the next. Process-wide; returns whether both
 * settings took. loader.ts calls it once (TORCHLET_MALLOC_TUNING=0 or the user's own malloc
 * settings leave glibc's defaults).
 */
static napi_value js_keep_freed_memory(napi_env env, napi_callback_info info) {
  args_t a;
  napi_value r;
  if (!get_args(env, info, &a, 2)) return NULL;
  const double trim = num(&a, 0), mmap = num(&a, 1);
  if (!a.failed && (trim < 0 || mmap < 0 || trim > 1073741824.0 || mmap > 33554432.0)) fail(&a, 1, "torchlet native: bad malloc thresholds");
  if (a.failed) return NULL;
  const int ok = mallopt(M_MMAP_THRESHOLD, (int)mmap) == 1 && mallopt(M_TRIM_THRESHOLD, (int)trim) == 1;
  napi_get_boolean(env, ok, &r);
  return r;
}

/** fmaPeak(rounds): the register-only multiply-add loop (bench: the core's peak at this width). */
static napi_value js_fma_peak(napi_env env, napi_callback_info info) {
  args_t a;
  napi_value r;
  if (!get_args(env, info, &a, 1)) return NULL;
  const double n = num(&a, 0);
  if (a.failed) return NULL;
  napi_create_double(env, current->fma_peak((long)n), &r);
  return r;
}

/** gemmProbe(m, n, k, calls): the bench's packed-weight GEMM (packing outside the loop; time it from JS). */
static napi_value js_gemm_probe(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(env, info, &a, 4)) return NULL;
  const double m = num(&a, 0), n = num(&a, 1), k = num(&a, 2), calls = num(&a, 3);
  if (!a.failed && (m < 1 || n < 1 || k < 1 || m * k > 1e8 || k * n > 1e8 || m * n > 1e8)) fail(&a, 1, "torchlet native: bad GEMM probe sizes");
  if (a.failed) return NULL;
  return result(env, current->gemm_probe((int)m, (int)n, (int)k, (long)calls), NULL, 0);
}


/* ---- JSON numbers (torchlet serve) ------------------------------------------------------------
 * The C twin of writeNumbers in src/serve/json.ts, the oracle it must match byte for byte
 * (test/serve-json.test.ts compares the two on a million float32 bit patterns): each float32 with
 * 9 significant digits, trailing zeros dropped (0.5, -0, 1.40129846e-45, 3.40282347e38), NaN and
 * +-Infinity as null. Same steps as the JavaScript, in the same double arithmetic: the digits are
 * round(v * 10^(8 - e)), one multiply rounded then rounded to an integer, so the multiply and the
 * rounding must not be fused into one fma (fp-contract off here, whatever the build's flags). */

static const double POW10[121] = {
  1e-60, 1e-59, 1e-58, 1e-57, 1e-56, 1e-55, 1e-54, 1e-53, 1e-52, 1e-51,
  1e-50, 1e-49, 1e-48, 1e-47, 1e-46, 1e-45, 1e-44, 1e-43, 1e-42, 1e-41,
  1e-40, 1e-39, 1e-38, 1e-37, 1e-36, 1e-35, 1e-34, 1e-33, 1e-32, 1e-31,
  1e-30, 1e-29, 1e-28, 1e-27, 1e-26, 1e-25, 1e-24, 1e-23, 1e-22, 1e-21,
  1e-20, 1e-19, 1e-18, 1e-17, 1e-16, 1e-15, 1e-14, 1e-13, 1e-12, 1e-11,
  1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1,
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
  1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
  1e20, 1e21, 1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29,
  1e30, 1e31, 1e32, 1e33, 1e34, 1e35, 1e36, 1e37, 1e38, 1e39,
  1e40, 1e41, 1e42, 1e43, 1e44, 1e45, 1e46, 1e47, 1e48, 1e49,
  1e50, 1e51, 1e52, 1e53, 1e54, 1e55, 1e56, 1e57, 1e58, 1e59,
  1e60
};
static uint32_t TRIPLES[1000];
static pthread_once_t json_once = PTHREAD_ONCE_INIT;

static void json_init(void) {
  for (int i = 0; i < 1000; i++) TRIPLES[i] = (uint32_t)(48 + i / 100) | ((uint32_t)(48 + (i / 10) % 10) << 8) | ((uint32_t)(48 + i % 10) << 16);
}

/* The 9 digits of n (1e8 <= n < 1e9) at p[0..8]. */
__attribute__((always_inline)) static inline void nine_digits(uint32_t n, uint8_t *p) {
  const uint32_t a = n / 1000000, r = n - a * 1000000, b = r / 1000, c = r - b * 1000;
  const uint32_t ta = TRIPLES[a], tb = TRIPLES[b], tc = TRIPLES[c];
  p[0] = (uint8_t)ta, p[1] = (uint8_t)(ta >> 8), p[2] = (uint8_t)(ta >> 16);
  p[3] = (uint8_t)tb, p[4] = (uint8_t)(tb >> 8), p[5] = (uint8_t)(tb >> 16);
  p[6] = (uint8_t)tc, p[7] = (uint8_t)(tc >> 8), p[8] = (uint8_t)(tc >> 16);
}

#if defined(__clang__)
#define TL_NO_CONTRACT
#else
#define TL_NO_CONTRACT __attribute__((optimize("O2", "fp-contract=off")))
#endif

/* One float32 as JSON at p (at most 16 bytes); returns the position after it. */
TL_NO_CONTRACT __attribute__((always_inline)) static inline uint8_t *json_number(float f, uint8_t *p) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
  uint32_t bits;
  memcpy(&bits, &f, 4);
  const int be = (int)((bits >> 23) & 255);
  if (be == 255) {
    memcpy(p, "null", 4);
    return p + 4;
  }
  *p = '-';
  p += bits >> 31;
  const double v = fabs((double)f);
  if (v == 0) {
    *p++ = '0';
    return p;
  }
  int e = ((be == 0 ? -118 - __builtin_clz(bits & 0x7fffff) : be - 127) * 1233) >> 12;
  e += v >= POW10[61 + e]; /* the estimate is e or one less: no branch to mispredict */
  const double x = v * POW10[68 - e];
  uint32_t n = (uint32_t)floor(x + 0.5); /* Math.round: x + 0.5 is exact below 2^30 */
  if (n >= 1000000000) {
    n = 100000000;
    e++;
  }
  uint8_t *end;
  if (e < 0 && e >= -5) {
    memcpy(p, "0.000000", 8);
    p += 1 - e;
    nine_digits(n, p);
    p += 9;
    while (p[-1] == '0') p--;
    return p;
  }
  if (e >= 0 && e < 9) {
    nine_digits(n, p + 1);
    for (int i = 0; i <= e; i++) p[i] = p[i + 1];
    p[e + 1] = '.';
    end = p + 10;
    while (end[-1] == '0') end--;
    return end[-1] == '.' ? end - 1 : end;
  }
  nine_digits(n, p + 1);
  p[0] = p[1];
  p[1] = '.';
  end = p + 10;
  while (end[-1] == '0') end--;
  p = end[-1] == '.' ? end - 1 : end;
  *p++ = 'e';
  if (e < 0) {
    *p++ = '-';
    e = -e;
  }
  if (e >= 10) {
    const int q = e / 10;
    *p++ = (uint8_t)('0' + q);
    e -= q * 10;
  }
  *p++ = (uint8_t)('0' + e);
  return p;
}

/* The rows' JSON at p; returns the position after it. */
TL_NO_CONTRACT static uint8_t *json_rows(const float *x, size_t R, size_t C, int oneD, uint8_t *p) {
  if (!oneD) *p++ = '[';
  for (size_t i = 0; i < R; i++) {
    if (i > 0) *p++ = ',';
    *p++ = '[';
    for (size_t j = 0; j < C; j++) {
      if (j > 0) *p++ = ',';
      p = json_number(x[i * C + j], p);
    }
    *p++ = ']';
  }
  if (!oneD) *p++ = ']';
  return p;
}

/** jsonRows(data, start, rows, cols, oneD, out, at): `[[x, ...], ...]` (rows of cols numbers from
 * data[start]; oneD: one row, `[x, ...]`) written into the Uint8Array out at `at`; returns the
 * position after it. out needs rows * (17 * cols + 3) + 2 bytes free from at. */
static napi_value js_json_rows(napi_env env, napi_callback_info info) {
  args_t a;
  napi_value r;
  if (!get_args(env, info, &a, 7)) return NULL;
  const double start = num(&a, 1), rows = num(&a, 2), cols = num(&a, 3), oneD = num(&a, 4), at = num(&a, 6);
  if (!a.failed && (start < 0 || rows < 0 || cols < 0 || at < 0 || (oneD != 0 && rows != 1))) fail(&a, 1, "torchlet native: bad JSON rows arguments");
  const float *d = f32(&a, 0, start + rows * cols, 0);
  const uint8_t *out0 = typed(&a, 5, napi_uint8_array, at + rows * (17 * cols + 3) + 2, 0);
  if (a.failed) return NULL;
  const uint8_t *p = json_rows(d + (size_t)start, (size_t)rows, (size_t)cols, oneD != 0, (uint8_t *)out0 + (size_t)at);
  napi_create_double(env, (double)(p - out0), &r);
  return r;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  if (!current) current = best();
  pthread_once(&json_once, json_init);
  /* Once per Node environment (process.dlopen may run this again for the same one): its cleanup. */
  static int marker;
  void *seen = NULL;
  if (napi_get_instance_data(env, &seen) == napi_ok && seen == NULL && napi_set_instance_data(env, &marker, cleanup, NULL) == napi_ok)
    atomic_fetch_add(&envs, 1);
  const struct {
    const char *name;
    napi_callback fn;
  } fns[] = {{"gemm", js_gemm},       {"unary", js_unary},           {"forward", js_forward},    {"backward", js_backward},
             {"info", js_info},       {"useIsa", js_use_isa},        {"setThreads", js_set_threads}, {"fmaPeak", js_fma_peak},
             {"gemmProbe", js_gemm_probe}, {"forwardMany", js_forward_many}, {"backwardMany", js_backward_many},
             {"testStall", js_test_stall}, {"keepFreedMemory", js_keep_freed_memory}, {"jsonRows", js_json_rows}};
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f);
    napi_set_named_property(env, exports, fns[i].name, f);
  }
  return exports;
}
