/**
 * Loads the WebAssembly kernels, picks the fastest flavour the engine supports, and owns the
 * memory the kernels work in.
 *
 * The kernels are `.wasm` files next to this module (kernels-<flavour>.wasm), found with
 * `new URL('./kernels-….wasm', import.meta.url)`, which Vite, webpack, Rollup and Parcel turn into
 * emitted assets (with esbuild, copy the files next to the bundle). Only the chosen flavour is
 * read: the engine's features are tested with a few-byte module first. In Node the file is read
 * and compiled synchronously at the first op (`process.getBuiltinModule('node:fs')`), so the
 * first ops already run on WebAssembly; in browsers it is fetched and compiled in the background
 * (`WebAssembly.compileStreaming`) while the reference kernels run, and `await wasmReady()` waits
 * for it. Worker threads get the compiled module, never the bytes again.
 *
 * Flavours, best first: 'relaxed' (SIMD128 + `f32x4.relaxed_madd`, on by default in current
 * browsers; Node 20 needs `--experimental-wasm-relaxed-simd`), 'simd' (SIMD128), and 'ref'
 * (no WebAssembly: the plain TypeScript reference kernels are used).
 *
 * Forcing a path: `setKernelPreference('ref' | 'simd' | 'relaxed' | 'auto')`, or the
 * environment variable `TORCHLET_KERNELS` with the same values (read once at load).
 */

import { RuntimeError } from '../../errors.js';

/** Byte offsets in, nothing out: the exports of assembly/index.ts. */
export interface KernelExports {
  /** flags: bit 0 accumulate into C, bit 1 A stored transposed. */
  gemm(m: number, n: number, k: number, a: number, lda: number, bp: number, c: number, ldc: number, flags: number): void;
  packW(src: number, rs: number, cs: number, n: number, k: number, dst: number): void;
  packedSize(n: number, k: number): number;
  gemmPanels(m: number, n: number, k: number, a: number, lda: number, bp: number, c: number, ldc: number, flags: number, p0: number, p1: number): void;
  transpose(src: number, rows: number, cols: number, dst: number): void;
  sigmoidArray(src: number, dst: number, n: number): void;
  tanhArray(src: number, dst: number, n: number): void;
  /** n rounds of 10 register-only 4-lane multiply-adds (the bench's FMA ceiling); returns a lane sum. */
  maddPeak(n: number): number;
  heapBase(): number;
  setThreadId(tid: number): void;
  /** Run a job block of the given kind (assembly/abi.ts JobKind) as thread tid. */
  runJob(kind: number, job: number, tid: number): void;
  /** Thread tid runs entry tid of an EachList [kind, job0, job1, ...] (0: none). */
  runEach(list: number, tid: number): void;
}

/** A WebAssembly build: 'relaxed' (relaxed SIMD) or 'simd' (SIMD128). No PyTorch twin. */
export type KernelFlavour = 'relaxed' | 'simd';
/**
 * Which kernels `setKernelPreference` asks for: 'auto' (native in Node where it loads, else the best
 * WebAssembly flavour), 'native' or a forced native instruction set (src/kernels/native/loader.ts),
 * a WebAssembly flavour, or 'ref'. No PyTorch twin (PyTorch picks its CPU kernels itself).
 */
export type KernelPreference = 'auto' | KernelFlavour | 'ref' | 'native' | 'native-avx512' | 'native-avx2' | 'native-portable';

const PREFERENCES: readonly string[] = ['auto', 'relaxed', 'simd', 'ref', 'native', 'native-avx512', 'native-avx2', 'native-portable'];

const PAGE = 65536;

/**
 * A bump allocator over the module's memory. Every kernel call starts from `reset()`, places
 * its arrays, runs, and copies its results out, so scratch is never freed one by one.
 *
 * Below the scratch, `pin` keeps blocks that must survive later calls: what a recurrent
 * forward saves for its backward stays in place instead of being copied out and back in (tens
 * of MB per layer). Pinned bytes are capped (`pinBudget`); past the cap callers copy out as
 * before. A pinned block is released by its backward, or when its backward closure is garbage
 * collected without running (FinalizationRegistry), so a forgotten graph frees it too.
 */
export class Arena {
  private top: number;
  private view: Float32Array;
  private ints: Int32Array;
  /** Pinned blocks in address order: [start, bytes, free]. Scratch starts at `pinEnd`. */
  private readonly pins: { start: number; bytes: number; free: boolean }[] = [];
  private pinEnd: number;
  /** Highest byte in use since `resetPeak` (tests: what a call needed). */
  private peak: number;

  /** Upper bound on pinned bytes (shared memory tops out at 1 GiB). */
  static pinBudget = 256 * 1024 * 1024;

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly base: number,
  ) {
    this.top = base;
    this.pinEnd = base;
    this.peak = base;
    this.view = new Float32Array(memory.buffer);
    this.ints = new Int32Array(memory.buffer);
  }

  reset(): void {
    this.top = this.pinEnd;
  }

  /** Room for n floats, 64-byte aligned (a cache line); returns the byte offset. */
  alloc(n: number): number {
    const p = this.top;
    this.top = p + Math.ceil((n * 4) / 64) * 64;
    this.ensure(this.top);
    if (this.top > this.peak) this.peak = this.top;
    return p;
  }

  private ensure(end: number): void {
    const need = end - this.memory.buffer.byteLength;
    if (need > 0) this.memory.grow(Math.ceil(need / PAGE));
  }

  /**
   * A block of n floats that outlives `reset()` until `unpin`, or null when the budget or the
   * memory's maximum would be exceeded. Only right after `reset()` (no scratch in use).
   */
  pin(n: number): number | null {
    if (this.top !== this.pinEnd) throw new RuntimeError('Arena.pin: only right after reset()');
    const bytes = Math.ceil((n * 4) / 64) * 64;
    if (this.pinnedBytes() + bytes > Arena.pinBudget) return null;
    // First fit among freed blocks (split off the rest), else at the end of the pinned region.
    const i = this.pins.findIndex((b) => b.free && b.bytes >= bytes);
    if (i >= 0) {
      const b = this.pins[i];
      if (b.bytes > bytes) this.pins.splice(i + 1, 0, { start: b.start + bytes, bytes: b.bytes - bytes, free: true });
      b.bytes = bytes;
      b.free = false;
      return b.start;
    }
    const start = this.pinEnd;
    try {
      this.ensure(start + bytes);
    } catch {
      return null; // the memory cannot grow that far: callers copy out instead
    }
    this.pins.push({ start, bytes, free: false });
    this.pinEnd = start + bytes;
    this.top = this.pinEnd;
    if (this.top > this.peak) this.peak = this.top;
    return start;
  }

  /** Release a pinned block (freed neighbours merge; a free tail gives its room back to scratch). */
  unpin(p: number): void {
    const i = this.pins.findIndex((b) => b.start === p && !b.free);
    if (i < 0) return;
    this.pins[i].free = true;
    for (let j = this.pins.length - 1; j > 0; j--) {
      const a = this.pins[j - 1];
      const b = this.pins[j];
      if (a.free && b.free) {
        a.bytes += b.bytes;
        this.pins.splice(j, 1);
      }
    }
    while (this.pins.length > 0 && this.pins[this.pins.length - 1].free) {
      this.pinEnd = this.pins.pop()!.start;
    }
    if (this.top < this.pinEnd) this.top = this.pinEnd;
  }

  /** Bytes past the arena's base in use at the highest point since the last `resetPeak` (tests). */
  peakBytes(): number {
    return this.peak - this.base;
  }

  /** Start a new peak from empty scratch (every kernel call starts with `reset()`). */
  resetPeak(): void {
    this.peak = this.pinEnd;
  }

  /** Bytes pinned now (tests). */
  pinnedBytes(): number {
    return this.pins.reduce((a, b) => a + (b.free ? 0 : b.bytes), 0);
  }

  /** A float view of the whole memory; call after the last alloc (growing detaches views). */
  f32(): Float32Array {
    if (this.view.buffer !== this.memory.buffer) this.view = new Float32Array(this.memory.buffer);
    return this.view;
  }

  /** An int32 view of the whole memory (job blocks, step lists); call after the last alloc. */
  i32(): Int32Array {
    if (this.ints.buffer !== this.memory.buffer) this.ints = new Int32Array(this.memory.buffer);
    return this.ints;
  }

  /** alloc + copy in. */
  put(src: ArrayLike<number>): number {
    const p = this.alloc(src.length);
    this.f32().set(src, p >> 2);
    return p;
  }
}

export interface WasmKernels {
  readonly flavour: KernelFlavour;
  readonly k: KernelExports;
  readonly arena: Arena;
  /** Compiled module, for instantiating it again on worker threads (shared memory only). */
  readonly module: WebAssembly.Module;
  readonly shared: boolean;
}

/** Pages of 64 KiB: the shared builds declare this maximum (tools/build-wasm.ts). */
export const SHARED_MAX_PAGES = 16384;

function envPreference(): KernelPreference | null {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const v = env?.TORCHLET_KERNELS;
  return v !== undefined && PREFERENCES.includes(v) ? (v as KernelPreference) : null;
}

let preference: KernelPreference = envPreference() ?? 'auto';
const cache = new Map<KernelFlavour, WasmKernels | null>();
const pending = new Map<KernelFlavour, Promise<void>>();

/**
 * Where each build is. One literal `new URL(...)` per file, so bundlers see (and emit) each;
 * only the one chosen is read or fetched.
 */
function wasmUrl(f: KernelFlavour, shared: boolean): URL {
  if (f === 'relaxed') return shared ? new URL('./kernels-relaxed-shared.wasm', import.meta.url) : new URL('./kernels-relaxed.wasm', import.meta.url);
  return shared ? new URL('./kernels-simd-shared.wasm', import.meta.url) : new URL('./kernels-simd.wasm', import.meta.url);
}

/**
 * Feature tests: a function returning `i32x4.splat(0)` (SIMD128), and one computing
 * `f32x4.relaxed_madd` of three such vectors (relaxed SIMD, the instruction the kernels use).
 */
const FEATURE_TESTS: Record<KernelFlavour, readonly number[]> = {
  // magic, version; type section: () -> v128; function section; code section.
  simd: [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253, 17, 11],
  relaxed: [
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 19, 1, 17, 0, 65, 0, 253, 17, 65, 0, 253, 17, 65, 0, 253, 17, 253, 133, 2,
    11,
  ],
};

/** Whether this engine accepts the given flavour (a few-byte module using its instructions). */
export function flavourSupported(f: KernelFlavour): boolean {
  let ok = supported.get(f);
  if (ok === undefined) {
    ok = typeof WebAssembly === 'object' && WebAssembly.validate(new Uint8Array(FEATURE_TESTS[f]));
    supported.set(f, ok);
  }
  return ok;
}
const supported = new Map<KernelFlavour, boolean>();

interface NodeFs {
  readFileSync(path: URL): Uint8Array;
}

/** The file's bytes, read synchronously where that is possible (Node, a file: URL), else null. */
function readSync(url: URL): Uint8Array<ArrayBuffer> | null {
  if (url.protocol !== 'file:') return null;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.('node:fs') as NodeFs | undefined;
  if (!fs) return null;
  try {
    const b = fs.readFileSync(url);
    return new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength);
  } catch {
    return null;
  }
}

/** Compile a build in the background: streaming where the server sends application/wasm. */
async function compileAsync(url: URL): Promise<WebAssembly.Module> {
  if (typeof fetch !== 'function') throw new RuntimeError(`torchlet: cannot load ${url.href}: no fetch`);
  const response = fetch(url);
  if (typeof WebAssembly.compileStreaming === 'function') {
    try {
      return await WebAssembly.compileStreaming(response);
    } catch {
      // A wrong Content-Type (or a failed fetch): read the bytes and compile them instead.
    }
  }
  const r = await fetch(url);
  if (!r.ok) throw new RuntimeError(`torchlet: cannot load ${url.href}: HTTP ${r.status}`);
  return WebAssembly.compile(await r.arrayBuffer());
}

/** The .wasm files read or fetched and compiled so far, by URL (tests: only the chosen flavour is). */
export function loadedWasmFiles(): string[] {
  return [...modules].filter(([, m]) => m !== null).map(([url]) => url);
}

/** Compiled modules by file, and compiles under way. */
const modules = new Map<string, WebAssembly.Module | null>();
const compiling = new Map<string, Promise<void>>();

/**
 * The compiled module of a build: at once when it is compiled or can be read synchronously
 * (Node), else null while it compiles in the background (the compile is started here).
 */
function moduleOf(f: KernelFlavour, shared: boolean): WebAssembly.Module | null {
  const url = wasmUrl(f, shared);
  const key = url.href;
  const have = modules.get(key);
  if (have !== undefined) return have;
  const bytes = readSync(url);
  if (bytes) {
    try {
      const m = new WebAssembly.Module(bytes);
      modules.set(key, m);
      return m;
    } catch {
      // Too big for a synchronous compile here: compile in the background below.
    }
  }
  if (!compiling.has(key)) {
    compiling.set(
      key,
      (bytes ? WebAssembly.compile(bytes) : compileAsync(url)).then(
        (m) => void modules.set(key, m),
        () => void modules.set(key, null),
      ),
    );
  }
  return null;
}

/** The first 64 bytes past the module's own memory: the thread pool's control words. */
export function controlBlock(w: WasmKernels): number {
  return Math.ceil(w.k.heapBase() / 64) * 64;
}

/** Every export KernelExports names, checked once, so a stale or foreign binary fails loudly here. */
const EXPORT_NAMES: readonly (keyof KernelExports)[] = [
  'gemm', 'packW', 'packedSize', 'gemmPanels', 'transpose', 'sigmoidArray', 'tanhArray', 'maddPeak', 'heapBase', 'setThreadId',
  'runJob', 'runEach',
];

function isKernelExports(e: WebAssembly.Exports): e is WebAssembly.Exports & KernelExports {
  return EXPORT_NAMES.every((name) => typeof e[name] === 'function');
}

function checkedExports(e: WebAssembly.Exports): KernelExports {
  if (!isKernelExports(e)) {
    const missing = EXPORT_NAMES.filter((name) => typeof e[name] !== 'function');
    throw new RuntimeError(`torchlet: the WebAssembly kernels lack exports ${missing.join(', ')}; rebuild with npm run build:wasm`);
  }
  return e;
}

function instantiate(f: KernelFlavour, mod: WebAssembly.Module, shared = false): WasmKernels {
  const memory = new WebAssembly.Memory(shared ? { initial: 256, maximum: SHARED_MAX_PAGES, shared: true } : { initial: 256, maximum: 65536 });
  const inst = new WebAssembly.Instance(mod, { env: { memory, abort: () => {} } });
  const k = checkedExports(inst.exports);
  k.setThreadId(0);
  return { flavour: f, k, arena: new Arena(memory, Math.ceil(k.heapBase() / 64) * 64 + 64), module: mod, shared };
}

/**
 * A fresh instance of the given flavour on shared memory (for the thread pool), or null where
 * the engine has no shared memory (browsers without cross-origin isolation) or lacks the flavour,
 * or while its module still compiles (see `sharedKernelsReady`).
 */
export function sharedKernels(f: KernelFlavour): WasmKernels | null {
  if (typeof SharedArrayBuffer === 'undefined' || !flavourSupported(f)) return null;
  try {
    const mod = moduleOf(f, true);
    return mod ? instantiate(f, mod, true) : null;
  } catch {
    return null;
  }
}

/** `sharedKernels(f)` once its module is compiled (browsers compile it in the background). */
export async function sharedKernelsReady(f: KernelFlavour): Promise<WasmKernels | null> {
  if (typeof SharedArrayBuffer === 'undefined' || !flavourSupported(f)) return null;
  moduleOf(f, true);
  await compiling.get(wasmUrl(f, true).href);
  return sharedKernels(f);
}

function load(f: KernelFlavour): WasmKernels | null {
  if (cache.has(f)) return cache.get(f)!;
  if (!flavourSupported(f)) {
    cache.set(f, null);
    return null;
  }
  const mod = moduleOf(f, false);
  if (mod === null) {
    // Compiling in the background (browsers), or failed: the reference kernels run meanwhile.
    const key = wasmUrl(f, false).href;
    if (modules.get(key) === null) cache.set(f, null);
    else if (!pending.has(f)) {
      pending.set(
        f,
        compiling.get(key)!.then(() => {
          const m = modules.get(key);
          cache.set(f, m ? instantiate(f, m) : null);
        }),
      );
    }
    return null;
  }
  const w = instantiate(f, mod);
  cache.set(f, w);
  return w;
}

/** The kernels to use under the current preference, or null for the reference path. */
export function wasmKernels(): WasmKernels | null {
  switch (preference) {
    case 'ref':
      return null;
    case 'simd':
    case 'relaxed':
      return load(preference);
    default:
      // The best flavour the engine supports; the next only if that one failed to load.
      if (flavourSupported('relaxed')) {
        const w = load('relaxed');
        if (w !== null || cache.get('relaxed') !== null) return w;
      }
      return load('simd');
  }
}

/** Resolves once the WebAssembly kernels are loaded (browsers fetch and compile them in the background); true if wasm is in use. No PyTorch twin. */
export async function wasmReady(): Promise<boolean> {
  wasmKernels();
  await Promise.all(pending.values());
  return wasmKernels() !== null;
}

/**
 * Choose the kernels: 'auto' (default: in Node the native kernels where they load, else relaxed
 * SIMD, else SIMD128, else reference), 'native' / 'native-avx512' / 'native-avx2' /
 * 'native-portable' (the native kernels, an instruction set forced; WebAssembly where they do not
 * load), a WebAssembly flavour (reference if the engine lacks it), or 'ref' to force the
 * TypeScript kernels. `torch.kernelInfo()` says what runs. No PyTorch twin.
 */
export function setKernelPreference(p: KernelPreference): void {
  preference = p;
}

export function kernelPreference(): KernelPreference {
  return preference;
}

/** What runs now: 'relaxed', 'simd' or 'ref'. No PyTorch twin (PyTorch: `torch.backends.cpu.get_cpu_capability()`). */
export function activeKernels(): KernelFlavour | 'ref' {
  return wasmKernels()?.flavour ?? 'ref';
}
