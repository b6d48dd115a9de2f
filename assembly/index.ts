// Entry point of the torchlet WebAssembly kernels (built twice by tools/build-wasm.mjs:
// SIMD128, and SIMD128 + relaxed SIMD). Memory is imported: JavaScript owns it, places the
// arrays and passes byte offsets.
export { gemm, heapBase, packW, packedSize } from './gemm';
export { gruStep, gruStepBack, lstmStep, lstmStepBack, rnnStep, rnnStepBack } from './cells';
export { addTo, colSum, fillRows, sigmoidArray, tanhArray, transpose } from './util';
