/**
 * Loads the native kernels (a Node-API addon, native/*.c, shipped prebuilt for linux-x64 as
 * torchlet.linux-x64.node next to this module) in Node.js, and says which kernel tier runs.
 *
 * Nothing here touches the file system or Node's APIs outside Node: in browsers the addon is
 * never looked for, and the WebAssembly kernels run. In Node the addon is loaded at the first
 * kernel call; any failure (another platform, a glibc older than the binary needs, a missing or
 * stale file) leaves it off, silently, and the WebAssembly kernels run; `kernelInfo()` says why.
 *
 * Choice (the one switch, `setKernelPreference` / `TORCHLET_KERNELS`): 'auto' and 'native' use
 * the addon with the best instruction set this CPU has (AVX-512, else AVX2 + FMA, else portable);
 * 'native-avx512', 'native-avx2', 'native-portable' force one (tests run all three here);
 * 'relaxed', 'simd' force the WebAssembly kernels and 'ref' the TypeScript reference.
 */
import { RuntimeError, SizeError } from '../../errors.js';
import { activeKernels, type KernelFlavour, type KernelPreference, kernelPreference } from '../wasm/loader.js';
import { getNumThreads, setPoolStartPolicy, threadTuning } from '../wasm/threads.js';
import { sourceHash } from './binary.generated.js';

/** The addon's functions (native/addon.c). Arrays are used in place; offsets are subarrays. */
export interface NativeAddon {
  gemm(m: number, n: number, k: number, a: Float32Array, rsA: number, csA: number, b: Float32Array, rsB: number, csB: number, c: Float32Array, ldc: number, accumulate: number): void;
  unary(op: number, x: Float32Array, out: Float32Array): void;
  forward(ints: Int32Array, batchSizes: Int32Array, ...arrays: (Float32Array | null)[]): void;
  backward(ints: Int32Array, batchSizes: Int32Array, ...arrays: (Float32Array | null)[]): void;
  /** Independent directions (each one `forward`'s arguments): side by side when the pool has a thread for each, else in turn. */
  forwardMany(dirs: LayerCallArgs[]): void;
  /** As forwardMany, each one `backward`'s arguments. */
  backwardMany(dirs: LayerCallArgs[]): void;
  info(): { isa: NativeIsa; width: number; supported: NativeIsa[]; sourceHash: string; threads: number; poolJobs: number; poolStopped: boolean };
  useIsa(isa: NativeIsa | 'auto'): boolean;
  /** Pool size for the next calls, and how long a call waits on a worker that makes no progress before giving the pool up. */
  setThreads(n: number, deadAfterMs: number): void;
  /** glibc malloc keeps freed memory for reuse (M_TRIM_THRESHOLD, M_MMAP_THRESHOLD; process-wide): whether it took. */
  keepFreedMemory(trimBytes: number, mmapBytes: number): boolean;
  /** Test hook: the next pool job's first task taken by a worker sleeps `ms` without progress (the caller leaves every task to the workers). */
  testStall(ms: number): void;
  fmaPeak(rounds: number): number;
  /**
   * `[[x, ...], ...]`: `rows` rows of `cols` float32 from `data[start]` as JSON (oneD 1: one row,
   * `[x, ...]`) into `out` at `at`; returns the position after it. Byte for byte src/serve/json.ts's
   * writeNumbers, its oracle. `out` needs rows * (17 * cols + 3) + 2 bytes free from `at`.
   */
  jsonRows(data: Float32Array, start: number, rows: number, cols: number, oneD: number, out: Uint8Array, at: number): number;
  /** The bench's GEMM probe: `calls` products (m, k)·(k, n) with B packed once, outside the loop. */
  gemmProbe(m: number, n: number, k: number, calls: number): void;
}

/** One direction's arguments to the addon's forward or backward (Int32Arrays first, then Float32Arrays or null). */
export type LayerCallArgs = (Int32Array | Float32Array | null)[];

/** An instruction set of the native kernels. No PyTorch twin (PyTorch: `torch.backends.cpu.get_cpu_capability()`). */
export type NativeIsa = 'avx512' | 'avx2' | 'portable';

/** Which kernels run, and why. No PyTorch twin (PyTorch: `torch.backends.cpu.get_cpu_capability()`). */
export interface KernelInfo {
  /** The tier float32 kernels run on now. */
  tier: 'native' | 'wasm' | 'ref';
  /** The native instruction set in use, or null. */
  isa: NativeIsa | null;
  /** The WebAssembly flavour behind it (the fallback, and what browsers run), or 'ref'. */
  wasm: KernelFlavour | 'ref';
  preference: KernelPreference;
  /** One sentence: why this tier (and, when native is off, why). */
  reason: string;
}

const FILE = 'torchlet.linux-x64.node';
/** Where the binary is relative to this module: beside it, or (Node bundle, dist/bundle/) in ../kernels/native/. */
const PLACES = ['./', '../kernels/native/'];

interface NodeProcess {
  env?: Record<string, string | undefined>;
  platform?: string;
  arch?: string;
  versions?: { node?: string };
  dlopen?: (module: { exports: unknown }, filename: string) => void;
  getBuiltinModule?: (id: string) => unknown;
}

let addon: NativeAddon | null | undefined;
let whyNot = '';
let isaApplied: string | null = null;

function load(): NativeAddon | null {
  const proc = (globalThis as { process?: NodeProcess }).process;
  if (typeof proc?.versions?.node !== 'string' || typeof proc.dlopen !== 'function') {
    whyNot = 'not Node.js';
    return null;
  }
  if (proc.platform !== 'linux' || proc.arch !== 'x64') {
    whyNot = `no prebuilt native binary for ${proc.platform}-${proc.arch}`;
    return null;
  }
  const fs = proc.getBuiltinModule?.('node:fs') as { existsSync(p: string): boolean } | undefined;
  const url = (globalThis as { URL: typeof URL }).URL;
  const here = import.meta.url;
  const file = PLACES.map((p) => new url(p + FILE, here)).find((u) => u.protocol === 'file:' && fs?.existsSync(decodeURIComponent(u.pathname)));
  if (!file) {
    whyNot = `${FILE} not found next to the package's kernels`;
    return null;
  }
  try {
    const m = { exports: {} as NativeAddon };
    proc.dlopen(m, decodeURIComponent(file.pathname));
    const got = m.exports.info().sourceHash;
    if (got !== sourceHash) {
      whyNot = `${FILE} was built from other sources (${got}, expected ${sourceHash}): run npm run build:native`;
      return null;
    }
    keepFreedMemory(proc, m.exports);
    return m.exports;
  } catch (e) {
    // e.g. "version `GLIBC_2.34' not found": a system older than the binary needs.
    whyNot = `${FILE} failed to load: ${(e as Error).message}`;
    return null;
  }
}

/** Freed memory glibc keeps at the top of its heap, and the block size from which it maps blocks of their own (its dynamic maximum). */
export const MALLOC_KEEP = { trimBytes: 256 << 20, mmapBytes: 32 << 20 };

/**
 * Once, when the addon loads: let glibc's malloc keep freed memory for reuse (see the addon's
 * keepFreedMemory). Without it a training loop's RSS saws up and down (W2: 205-257 MB from one
 * collection to the next) as each garbage collection frees tens of MB of ArrayBuffers that glibc
 * hands back to the system and the next steps fault in again; with it RSS holds still between the
 * rare resizes of V8's own heap (bench/rss.ts). Left alone when TORCHLET_MALLOC_TUNING=0 or the
 * user set glibc's malloc thresholds.
 */
function keepFreedMemory(proc: NodeProcess, k: NativeAddon): void {
  const env = proc.env ?? {};
  const own = /malloc\.(trim|mmap)_threshold/.test(env.GLIBC_TUNABLES ?? '') || env.MALLOC_TRIM_THRESHOLD_ !== undefined || env.MALLOC_MMAP_THRESHOLD_ !== undefined;
  if (env.TORCHLET_MALLOC_TUNING === '0' || own) return;
  k.keepFreedMemory(MALLOC_KEEP.trimBytes, MALLOC_KEEP.mmapBytes);
}

const wanted = (p: KernelPreference): NativeIsa | 'auto' | null =>
  p === 'auto' || p === 'native' ? 'auto' : p.startsWith('native-') ? (p.slice(7) as NativeIsa) : null;

/**
 * The addon when the native tier should run now (preference, platform, load), with the forced
 * instruction set applied and its thread count set from `setNumThreads`; else null.
 */
export function nativeKernels(): NativeAddon | null {
  const isa = wanted(kernelPreference());
  if (isa === null) return null;
  if (addon === undefined) addon = load();
  if (addon === null) return null;
  if (isaApplied !== isa) {
    if (!addon.useIsa(isa)) addon.useIsa('auto');
    isaApplied = isa;
  }
  addon.setThreads(getNumThreads(), threadTuning.deadAfterMs);
  return addon;
}

// The WebAssembly workers start when a WebAssembly kernel needs them, not at setNumThreads while native runs.
setPoolStartPolicy(() => nativeKernels() === null);

/**
 * Run an addon call; its errors (bad arguments, out of memory, a stuck worker) become torchlet's
 * error classes. A pool that was given up (a worker made no progress for
 * `threadTuning.deadAfterMs`) turns the native tier off for the rest of the process: its thread
 * cannot be stopped, so later calls run on the WebAssembly kernels (`kernelInfo()` says so).
 */
export function call<R>(run: () => R): R {
  try {
    return run();
  } catch (e) {
    const msg = (e as Error).message;
    if (/out of memory/.test(msg)) throw new SizeError(`${msg}. Hint: smaller batches or shorter sequences need less memory.`);
    if (/no progress/.test(msg)) {
      addon = null;
      whyNot = 'its thread pool was given up after a worker made no progress';
      throw new RuntimeError(`${msg}: this call's results are not valid, and the native kernels are off for the rest of the process (the WebAssembly kernels run; TORCHLET_NUM_THREADS=1 avoids worker threads)`);
    }
    throw new RuntimeError(`${msg} (an internal error: please report it)`);
  }
}

/** Which kernel tier runs float32 work now, and why. No PyTorch twin (PyTorch: `torch.backends.cpu.get_cpu_capability()`). */
export function kernelInfo(): KernelInfo {
  const preference = kernelPreference();
  const wasm = activeKernels();
  const n = nativeKernels();
  if (n) {
    const { isa, supported } = n.info();
    const forced = wanted(preference);
    const reason =
      forced === 'auto'
        ? `native kernels, ${isa}: the best instruction set this CPU has (${supported.join(', ')})`
        : forced === isa
          ? `native kernels, ${isa}: forced by the kernel preference '${preference}'`
          : `native kernels, ${isa}: '${preference}' asked for ${forced}, which this CPU lacks`;
    return { tier: 'native', isa, wasm, preference, reason };
  }
  const why = wanted(preference) === null ? `the kernel preference is '${preference}'` : `native kernels off (${whyNot})`;
  const reason = wasm === 'ref' ? `reference kernels: ${why}, and no WebAssembly SIMD in use` : `WebAssembly kernels (${wasm}): ${why}`;
  return { tier: wasm === 'ref' ? 'ref' : 'wasm', isa: null, wasm, preference, reason };
}
