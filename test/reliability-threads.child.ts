/**
 * Child process of test/reliability-threads.test.ts: uses the thread pool and then simply ends
 * (no process.exit), so the test sees whether the pool lets the process exit by itself.
 * argv[2]: 'await2' (a top-level `await setNumThreads(2)` first) or 'default' (no call: threads
 * on by default, the pool started by the first op that uses it). Prints one JSON line.
 */
import * as torch from '../src/index.js';
import { setKernelPreference } from '../src/kernels/wasm/loader.js';
import { currentThreadPool, threadTuning } from '../src/kernels/wasm/threads.js';

setKernelPreference('simd'); // the wasm tier, whatever becomes the default
let set: number | null = null;
if (process.argv[2] === 'await2') set = await torch.setNumThreads(2);
threadTuning.minMacs = 0; // thread even this small layer (8 batch rows: split across 2 threads)
const m = new torch.nn.LSTM(8, 16);
const [y] = m.forward(torch.randn(5, 8, 8));
y.sum().backward();
console.log(JSON.stringify({ set, threads: torch.getNumThreads(), jobs: currentThreadPool()?.started ?? 0 }));
