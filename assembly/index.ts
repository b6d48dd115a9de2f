// Entry point of the torchlet WebAssembly kernels (built by tools/build-wasm.ts in four
// flavours: SIMD128 or SIMD128 + relaxed SIMD, each with private or shared memory for threads).
// Memory is imported: JavaScript owns it, places the arrays and passes byte offsets.
export { gemm, gemmPanels, heapBase, packW, packedSize, setThreadId } from './gemm';
export { maddPeak, sigmoidArray, tanhArray, transpose } from './util';
export { runEach, runJob } from './layer';
