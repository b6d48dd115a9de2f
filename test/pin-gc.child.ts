/**
 * Child process of test/kernels-wasm.test.ts (run with --expose-gc): forwards that keep state
 * for a backward that never comes; once their closures are garbage collected, the state they
 * pinned in the kernels' memory must be released. Prints one JSON line.
 */
import { wasmKernels } from '../src/kernels/wasm/loader.js';
import { wasmRnnKernel } from '../src/kernels/wasm/rnn.js';

const w = wasmKernels()!;
const spec = { mode: 'LSTM' as const, inputSize: 8, hiddenSize: 16, projSize: 0, batchSizes: Int32Array.from([4, 4, 4]), reverse: false };
const det = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.cos(i));
const weights = { wIh: det(64 * 8), wHh: det(64 * 16), bIh: det(64), bHh: det(64), wHr: null };
const run = (): boolean => wasmRnnKernel.forward({ spec, weights, x: det(12 * 8), h0: det(64), c0: det(64), needsGrad: true }).backward !== null;
let made = 0;
for (let i = 0; i < 5; i++) if (run()) made++;
const pinnedBefore = w.arena.pinnedBytes();
const gc = (globalThis as { gc?: () => void }).gc!;
for (let i = 0; i < 20 && w.arena.pinnedBytes() > 0; i++) {
  gc();
  await new Promise((r) => setTimeout(r, 10));
}
console.log(JSON.stringify({ made, pinnedBefore, pinnedAfter: w.arena.pinnedBytes() }));
