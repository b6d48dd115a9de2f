/**
 * The one list of fast kernel tiers the differential and fixture tests run against (besides the
 * reference): the WebAssembly kernels, and the native kernels on every instruction set this CPU
 * has (AVX-512, AVX2 + FMA, portable), each forced through the one kernel switch
 * (setKernelPreference). A tier that cannot run here (no native binary for this platform) is
 * left out, and `nativeIsasHere` says so.
 */
import { type Backend, nativeBackend, refBackend, setBackend, wasmBackend } from '../../src/kernels/backend.js';
import { type NativeIsa, nativeKernels } from '../../src/kernels/native/loader.js';
import type { RnnKernel } from '../../src/kernels/rnn.js';
import { type KernelPreference, kernelPreference, setKernelPreference } from '../../src/kernels/wasm/loader.js';

export interface KernelTier {
  name: string;
  preference: KernelPreference;
  /** The whole backend of the tier (GEMM, activations, recurrent kernel). */
  backend: Backend;
  /** Its recurrent kernel. */
  rnn: RnnKernel;
}

/** The native instruction sets this machine runs (empty where the addon does not load). */
export function nativeIsasHere(): NativeIsa[] {
  const before = kernelPreference();
  setKernelPreference('native');
  try {
    return nativeKernels()?.info().supported ?? [];
  } finally {
    setKernelPreference(before);
  }
}

/** WebAssembly SIMD128 (native off), then native on each instruction set here. */
export function kernelTiers(): KernelTier[] {
  return [
    { name: 'wasm SIMD128', preference: 'simd', backend: wasmBackend, rnn: wasmBackend.rnn },
    ...nativeIsasHere().map((isa): KernelTier => ({ name: `native ${isa}`, preference: `native-${isa}`, backend: nativeBackend, rnn: nativeBackend.rnn })),
  ];
}

/** The reference tier (TypeScript loops). */
export const refTier: KernelTier = { name: 'ref', preference: 'ref', backend: refBackend, rnn: refBackend.rnn };

/** What a process starts with: 'auto' (native where it loads) on the default backend. */
export const defaultTier: KernelTier = { name: 'default', preference: 'auto', backend: nativeBackend, rnn: nativeBackend.rnn };

/** Switch to a tier: its preference and its backend. */
export function useTier(t: KernelTier): void {
  setKernelPreference(t.preference);
  setBackend(t.backend);
}
