/**
 * Child process of test/soak.test.ts (its own process, so its RSS is its own): on 2 threads
 * (wasm tier forced, this small layer threaded), `steps` training steps of a small LSTM, then
 * `inferences` inference calls of varying lengths. Run with --expose-gc. Prints one JSON line:
 * RSS after warm-up and at the end (after a full GC each), and the wasm memories' sizes after
 * warm-up and at the end. argv: steps inferences.
 */
import * as torch from '../src/index.js';
import { setKernelPreference, wasmKernels } from '../src/kernels/wasm/loader.js';
import { currentThreadPool, threadTuning } from '../src/kernels/wasm/threads.js';

const steps = Number(process.argv[2]);
const inferences = Number(process.argv[3]);
const gc = (globalThis as { gc?: () => void }).gc!;
const rss = (): number => {
  gc();
  gc();
  return process.memoryUsage().rss;
};

setKernelPreference('simd');
const threads = await torch.setNumThreads(2);
threadTuning.minMacs = 0;
torch.manualSeed(0);
const model = new torch.nn.LSTM(8, 32);
const head = new torch.nn.Linear(32, 1);
const opt = new torch.optim.Adam([...model.parameters(), ...head.parameters()], { lr: 1e-3 });
const x = torch.randn(20, 16, 8);
const target = torch.randn(20, 16, 1);
// Warm-up: RSS settles within the first ~300 steps (measured: 114 MB at step 0, 147-151 MB from step 300 to 3,000).
const warm = Math.max(300, Math.floor(steps / 10));
let rssWarm = 0;
let loss = 0;
const samples: number[] = [];
for (let i = 0; i < steps; i++) {
  opt.zeroGrad();
  const [y] = model.forward(x) as unknown as [torch.Tensor];
  const l = head.forward(y).sub(target).pow(2).mean();
  l.backward();
  opt.step();
  if (i === warm) rssWarm = rss();
  if (i % Math.max(1, Math.floor(steps / 10)) === 0) samples.push(Math.round(rss() / 1e6));
  if (i === steps - 1) loss = l.item();
}
const rssTrained = rss();

const memories = (): number[] => [wasmKernels()!.arena.memory.buffer.byteLength, currentThreadPool()?.w.arena.memory.buffer.byteLength ?? 0];
// Inference of varying lengths (1..300 steps, batch 16): warm up with the longest first.
let r = 12345;
const rand = (n: number): number => {
  r = (r * 1103515245 + 12345) % 2147483648;
  return r % n;
};
torch.noGrad(() => model.forward(torch.randn(300, 16, 8)));
const memWarm = memories();
const rssInferWarm = rss();
torch.noGrad(() => {
  for (let i = 0; i < inferences; i++) model.forward(torch.randn(1 + rand(300), 16, 8));
});
console.log(JSON.stringify({ threads, steps, inferences, loss, samples, rssWarm, rssTrained, memWarm, memEnd: memories(), rssInferWarm, rssEnd: rss(), jobs: currentThreadPool()?.started ?? 0 }));
