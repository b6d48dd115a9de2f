/**
 * The backend: the one small interface through which ops reach kernels (ops only ever call
 * `backend()`). A fast backend replaces entries (e.g. float32 `gemm`, the recurrent kernel) and
 * keeps the reference kernels for the rest, so ops never change when kernels do. Every entry is
 * always present, and every fast entry falls back to the reference kernel by itself for what it
 * does not handle (float64, no WebAssembly SIMD, `setKernelPreference('ref')`), so the one
 * public switch for kernel choice is `torch.setKernelPreference` (or `TORCHLET_KERNELS`).
 * `setBackend` is for tests and for plugging in another kernel set.
 */

import * as elementwise from './ref/elementwise.js';
import { gemm } from './ref/matmul.js';
import * as reduce from './ref/reduce.js';
import { nativeGemm, nativeKernels, nativeRnnKernel, nativeUnary } from './native/index.js';
import { refRnnKernel } from './ref/rnn.js';
import type { RnnKernel } from './rnn.js';
import { unary as wasmUnary } from './wasm/elementwise.js';
import { gemm as wasmGemm } from './wasm/gemm.js';
import { wasmRnnKernel } from './wasm/rnn.js';

/**
 * Kernel entry points. Kernels see flat typed arrays and shapes, never `Tensor`. A fast backend is
 * `{ ...refBackend, name, gemm: fastGemm }`: it overrides what it speeds up and must agree with
 * the reference kernels (tests compare them).
 * No PyTorch twin (PyTorch dispatches to its kernels internally).
 */
export interface Backend {
  readonly name: string;
  readonly unary: typeof elementwise.unary;
  readonly binary: typeof elementwise.binary;
  readonly where: typeof elementwise.where;
  readonly clamp: typeof elementwise.clamp;
  readonly stridedCopy: typeof elementwise.stridedCopy;
  readonly gemm: typeof gemm;
  readonly sumAxis: typeof reduce.sumAxis;
  readonly maxAxis: typeof reduce.maxAxis;
  readonly softmaxAxis: typeof reduce.softmaxAxis;
  /** The recurrent kernel (src/kernels/rnn.ts). */
  readonly rnn: RnnKernel;
}

/** The reference kernels: plain loops, the oracle for fast ones. No PyTorch twin. */
export const refBackend: Backend = {
  name: 'ref',
  unary: elementwise.unary,
  binary: elementwise.binary,
  where: elementwise.where,
  clamp: elementwise.clamp,
  stridedCopy: elementwise.stridedCopy,
  gemm,
  sumAxis: reduce.sumAxis,
  maxAxis: reduce.maxAxis,
  softmaxAxis: reduce.softmaxAxis,
  rnn: refRnnKernel,
};

/**
 * The default: WebAssembly SIMD for float32 GEMM, the fused recurrent kernel and float32
 * sigmoid/tanh, reference loops for everything else. The wasm entries fall back to the
 * reference kernels by themselves for float64, where WebAssembly SIMD is missing, or under
 * `setKernelPreference('ref')` / `TORCHLET_KERNELS=ref`.
 * No PyTorch twin.
 */
export const wasmBackend: Backend = { ...refBackend, name: 'wasm', unary: wasmUnary, gemm: wasmGemm, rnn: wasmRnnKernel };

/**
 * The default: in Node the native kernels (src/kernels/native/, a Node-API addon) for float32
 * GEMM, sigmoid/tanh and the recurrent kernel where the addon loads and the kernel preference
 * allows; each entry falls back to the WebAssembly one by itself (browsers, other platforms,
 * `setKernelPreference('simd')`, float64), and that one to the reference. No PyTorch twin.
 */
export const nativeBackend: Backend = {
  ...wasmBackend,
  name: 'native',
  unary: nativeUnary,
  gemm: nativeGemm,
  // Off (not loaded or not chosen), the native kernel hands forwardMany to the wasm one as it is:
  // batch-first directions too, where that one takes them.
  rnn: { ...nativeRnnKernel, takesBatchFirst: (list) => nativeKernels() === null && wasmRnnKernel.takesBatchFirst!(list) },
};

let current: Backend = nativeBackend;

/** The backend ops use now. No PyTorch twin. */
export function backend(): Backend {
  return current;
}

/** Swap the backend (tests force the reference path with `setBackend(refBackend)`). No PyTorch twin. */
export function setBackend(b: Backend): void {
  current = b;
}
