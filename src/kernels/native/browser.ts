/**
 * The native tier in browsers (package.json `browser` maps index.ts here): there is no addon to
 * load, so each entry is the WebAssembly one and `kernelInfo` reports the WebAssembly or reference
 * tier. Keeps the Node-only loader out of browser bundles.
 */
import { activeKernels, kernelPreference } from '../wasm/loader.js';
import type { KernelInfo, NativeAddon } from './loader.js';

export { unary as nativeUnary } from '../wasm/elementwise.js';
export { gemm as nativeGemm } from '../wasm/gemm.js';
export { wasmRnnKernel as nativeRnnKernel } from '../wasm/rnn.js';
export type { KernelInfo, NativeIsa } from './loader.js';

/** Never loaded in a browser. */
export function nativeKernels(): NativeAddon | null {
  return null;
}

/** Which kernel tier runs float32 work now, and why (browsers: WebAssembly or the reference). No PyTorch twin. */
export function kernelInfo(): KernelInfo {
  const wasm = activeKernels();
  const preference = kernelPreference();
  const reason = `${wasm === 'ref' ? 'reference kernels' : `WebAssembly kernels (${wasm})`}: native kernels off (not Node.js)`;
  return { tier: wasm === 'ref' ? 'ref' : 'wasm', isa: null, wasm, preference, reason };
}
