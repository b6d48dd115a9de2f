/**
 * Child process of test/kernels-wasm.test.ts ("threads under --liftoff-only"): the threaded
 * paths (a layer's batch rows split across 2 threads, forward and backward; weight-gradient
 * products split by columns; both directions side by side) on small LSTM/GRU cases, in a fresh
 * process, under `node --liftoff-only`: slow baseline code lets the threads drift apart, the
 * configuration that exposed wrong gradients from an earlier design (hidden units split across
 * threads with a barrier per step). Prints one JSON line.
 */
import { setKernelPreference } from '../src/kernels/wasm/loader.js';
import { setNumThreads, threadTuning } from '../src/kernels/wasm/threads.js';
import { caseName, runCase, runPairCase } from './kernels-wasm-cases.js';

setKernelPreference('simd');
const threads = await setNumThreads(2);
threadTuning.minMacs = 0; // thread even these tiny layers
const bad: unknown[] = [];
for (const mode of ['LSTM', 'GRU'] as const) {
  for (const reverse of [false, true]) {
    for (const packed of [false, true]) {
      const c = { mode, reverse, packed, bias: true, projSize: 0, hidden: 16, input: 40, wide: true };
      for (const m of runCase(c)) bad.push({ case: caseName(c), ...m });
      if (!reverse) for (const m of runPairCase(c)) bad.push({ case: `pair ${caseName(c)}`, ...m });
    }
  }
}
console.log(JSON.stringify({ threads, bad }));
process.exit(0);
