/**
 * torchlet's WebAssembly SIMD kernels: the fused recurrent kernel (`RnnKernel`), a float32
 * GEMM with the backend's signature, SIMD activations, and the switch between kernel flavours.
 *
 * Plugging into the backend (src/kernels/backend.ts):
 *   setBackend({ ...refBackend, name: 'wasm', gemm: wasmGemm, rnn: wasmRnnKernel })
 * Both fall back to the reference path by themselves (float64, no WebAssembly SIMD, or
 * `setKernelPreference('ref')`), so that backend is safe to use everywhere.
 */
export { sigmoidF32, tanhF32, unary as wasmUnary } from './elementwise.js';
export { gemm as wasmGemm } from './gemm.js';
export {
  activeKernels,
  flavourSupported,
  type KernelFlavour,
  type KernelPreference,
  kernelPreference,
  setKernelPreference,
  wasmReady,
} from './loader.js';
export { wasmRnnKernel } from './rnn.js';
