/**
 * Child process of test/serve.test.ts: batched == alone on the relaxed-SIMD build (Node 20 needs
 * --experimental-wasm-relaxed-simd), on this thread and on a worker thread; prints one JSON line.
 */
import { activeKernels, kernelInfo, setKernelPreference } from '../src/index.js';
import { batchedVsAlone } from './serve-cases.js';

setKernelPreference('relaxed');
const inline = await batchedVsAlone(0);
const threads = await batchedVsAlone(1);
console.log(JSON.stringify({ flavour: activeKernels(), tier: kernelInfo().tier, bad: [...inline, ...threads.map((s) => `worker thread: ${s}`)] }));
