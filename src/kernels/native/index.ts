/**
 * torchlet's native kernels for Node (a Node-API addon, native/*.c): float32 GEMM, sigmoid/tanh and
 * the fused recurrent kernel, on the tensors' own arrays. They plug into the backend as the
 * WebAssembly ones do, and fall back to them by themselves:
 *   setBackend({ ...wasmBackend, name: 'native', gemm: nativeGemm, unary: nativeUnary, rnn: nativeRnnKernel })
 */
export { gemm as nativeGemm, unary as nativeUnary } from './gemm.js';
export { type KernelInfo, kernelInfo, type NativeIsa, nativeKernels } from './loader.js';
export { nativeRnnKernel } from './rnn.js';
