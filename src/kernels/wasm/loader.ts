/**
 * Loads the WebAssembly kernels (embedded as base64, so Node and browsers need no file access),
 * picks the fastest flavour the engine validates, and owns the memory the kernels work in.
 *
 * Flavours, best first: 'relaxed' (SIMD128 + `f32x4.relaxed_madd`, on by default in current
 * browsers; Node 20 needs `--experimental-wasm-relaxed-simd`), 'simd' (SIMD128), and 'ref'
 * (no WebAssembly: the plain TypeScript reference kernels are used).
 *
 * Forcing a path: `setKernelPreference('ref' | 'simd' | 'relaxed' | 'auto')`, or the
 * environment variable `TORCHLET_KERNELS` with the same values (read once at load).
 */
import { relaxedSharedWasm, relaxedWasm, simdSharedWasm, simdWasm } from './binary.generated.js';

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

export type KernelFlavour = 'relaxed' | 'simd';
export type KernelPreference = 'auto' | KernelFlavour | 'ref';

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
    if (this.top !== this.pinEnd) throw new Error('Arena.pin: only right after reset()');
    const bytes = Math.ceil((n * 4) / 64) * 64;
    if (this.pinnedBytes() + bytes > Arena.pinBudget) return null;
    // First fit among freed blocks (split off the rest), else at the end of the pinned region.
    const i = this.pins.findIndex((b) => b.free && b.bytes >= bytes);
    if (i >= 0) {
      const b = this.pins[i]!;
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
    this.pins[i]!.free = true;
    for (let j = this.pins.length - 1; j > 0; j--) {
      const a = this.pins[j - 1]!;
      const b = this.pins[j]!;
      if (a.free && b.free) {
        a.bytes += b.bytes;
        this.pins.splice(j, 1);
      }
    }
    while (this.pins.length > 0 && this.pins[this.pins.length - 1]!.free) {
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

function decode(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function envPreference(): KernelPreference | null {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const v = env?.TORCHLET_KERNELS;
  return v === 'ref' || v === 'simd' || v === 'relaxed' || v === 'auto' ? v : null;
}

let preference: KernelPreference = envPreference() ?? 'auto';
const cache = new Map<KernelFlavour, WasmKernels | null>();
const pending = new Map<KernelFlavour, Promise<void>>();

function bytesOf(f: KernelFlavour, shared = false): Uint8Array<ArrayBuffer> {
  if (shared) return decode(f === 'relaxed' ? relaxedSharedWasm : simdSharedWasm);
  return decode(f === 'relaxed' ? relaxedWasm : simdWasm);
}

/** Whether this engine accepts the given flavour (the whole module is the feature test). */
export function flavourSupported(f: KernelFlavour): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(bytesOf(f));
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
    throw new Error(`torchlet: the WebAssembly kernels lack exports ${missing.join(', ')}; rebuild with npm run build:wasm`);
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
 * the engine has no shared memory (browsers without cross-origin isolation) or lacks the flavour.
 */
export function sharedKernels(f: KernelFlavour): WasmKernels | null {
  if (typeof SharedArrayBuffer === 'undefined' || !flavourSupported(f)) return null;
  try {
    const bytes = bytesOf(f, true);
    if (!WebAssembly.validate(bytes)) return null;
    return instantiate(f, new WebAssembly.Module(bytes), true);
  } catch {
    return null;
  }
}

function load(f: KernelFlavour): WasmKernels | null {
  if (cache.has(f)) return cache.get(f)!;
  if (!flavourSupported(f)) {
    cache.set(f, null);
    return null;
  }
  try {
    const w = instantiate(f, new WebAssembly.Module(bytesOf(f)));
    cache.set(f, w);
    return w;
  } catch {
    // Browsers' main threads refuse synchronous compiles of big modules: compile in the
    // background and use the reference kernels until it is done (see wasmReady()).
    if (!pending.has(f)) {
      pending.set(
        f,
        WebAssembly.compile(bytesOf(f)).then(
          (m) => void cache.set(f, instantiate(f, m)),
          () => void cache.set(f, null),
        ),
      );
    }
    return null;
  }
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
      return load('relaxed') ?? load('simd');
  }
}

/** Resolves once background compilation (browsers' main thread) is done; true if wasm is in use. */
export async function wasmReady(): Promise<boolean> {
  wasmKernels();
  await Promise.all(pending.values());
  return wasmKernels() !== null;
}

/**
 * Choose the kernels: 'auto' (default: relaxed SIMD, else SIMD128, else reference), a given
 * flavour (reference if the engine lacks it), or 'ref' to force the TypeScript kernels.
 */
export function setKernelPreference(p: KernelPreference): void {
  preference = p;
}

export function kernelPreference(): KernelPreference {
  return preference;
}

/** What runs now: 'relaxed', 'simd' or 'ref'. */
export function activeKernels(): KernelFlavour | 'ref' {
  return wasmKernels()?.flavour ?? 'ref';
}
