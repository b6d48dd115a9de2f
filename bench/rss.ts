/**
 * `npm run bench:rss`: is a training loop's memory flat? Issue 17's target: RSS flat (±5%) over
 * 1,000 training steps of W2 (LSTM 128→256 ×2, batch 32, length 100) on the native kernels, an
 * optimizer step (Adam) each time. After a warm-up it samples, after every step, the process's
 * RSS and what `process.memoryUsage()` splits off (V8's heap, external memory, ArrayBuffers), and
 * reports each one's min / median / max and its band: the largest distance from the median, in
 * percent of the median (the target reads "±5%" as this band). Growth is the median of the last
 * tenth against the first tenth.
 *
 *   npm run bench:rss                              1,000 steps after 100 of warm-up, native, 1 thread
 *   npm run bench:rss -- --steps=300 --warmup=50 --threads=2 --kernels=simd --every=10
 *
 * Options: --steps=N --warmup=N --threads=N --kernels=<setKernelPreference value> --every=N
 * (print one line every N steps) --json (one JSON line at the end instead of the table).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as torch from '../src/index.js';
import { type KernelPreference, setKernelPreference } from '../src/kernels/wasm/loader.js';
import { useDefaultBackend } from './torchlet-api.js';
import { median, workloads } from './workloads.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '100' },
    threads: { type: 'string', default: '1' },
    kernels: { type: 'string', default: 'native' },
    every: { type: 'string', default: '100' },
    json: { type: 'boolean', default: false },
  },
});
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const every = Number(values.every);

useDefaultBackend();
setKernelPreference(values.kernels as KernelPreference);
await torch.setNumThreads(Number(values.threads));
torch.manualSeed(0);

const w2 = workloads.find((w) => w.id === 'W2')!;
const opts = { numLayers: w2.layers, bidirectional: w2.bidirectional, batchFirst: w2.batchFirst };
const model = new torch.nn.LSTM(w2.input, w2.hidden, opts);
const x = torch.randn(w2.steps, w2.batch, w2.input);
const opt = new torch.optim.Adam(model.parameters(), { lr: 1e-4 });
const step = (): void => {
  opt.zeroGrad();
  const [y] = model.forward(x) as [torch.Tensor, unknown];
  y.mul(y).mean().backward();
  opt.step();
};

const MB = 1 << 20;
type Sample = { rss: number; rssAnon: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number };
/** Linux: the anonymous part of RSS (malloc'd and V8 memory; the rest is mapped files: code). */
const rssAnon = (): number => {
  try {
    return Number(/RssAnon:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? Number.NaN) / 1024;
  } catch {
    return Number.NaN;
  }
};
const sample = (): Sample => {
  const m = process.memoryUsage();
  return { rss: m.rss / MB, rssAnon: rssAnon(), heapUsed: m.heapUsed / MB, heapTotal: m.heapTotal / MB, external: m.external / MB, arrayBuffers: m.arrayBuffers / MB };
};

for (let i = 0; i < warmup; i++) step();
const samples: Sample[] = [];
const t0 = performance.now();
for (let i = 1; i <= steps; i++) {
  step();
  samples.push(sample());
  if (!values.json && every > 0 && i % every === 0) {
    const s = samples[samples.length - 1]!;
    console.log(`step ${i}: rss ${s.rss.toFixed(1)} MB (anonymous ${s.rssAnon.toFixed(1)}), V8 heap total ${s.heapTotal.toFixed(1)}, used ${s.heapUsed.toFixed(1)}, external ${s.external.toFixed(1)}, ArrayBuffers ${s.arrayBuffers.toFixed(1)}`);
  }
}
const seconds = (performance.now() - t0) / 1000;

/** min / median / max, the band (largest distance from the median, % of it) and the growth (last tenth vs first tenth). */
function stats(v: number[]): { min: number; median: number; max: number; bandPct: number; growthPct: number } {
  const med = median(v);
  const tenth = Math.max(1, Math.floor(v.length / 10));
  const growth = median(v.slice(-tenth)) / median(v.slice(0, tenth)) - 1;
  return { min: Math.min(...v), median: med, max: Math.max(...v), bandPct: (100 * Math.max(med - Math.min(...v), Math.max(...v) - med)) / med, growthPct: 100 * growth };
}
const keys = ['rss', 'rssAnon', 'heapUsed', 'heapTotal', 'external', 'arrayBuffers'] as const;
const result = Object.fromEntries(keys.map((k) => [k, stats(samples.map((s) => s[k]))]));
// RSS without V8's own heap pages (which V8 grows and shrinks by itself): the part a kernel or malloc setting can hold still.
result.rssLessV8Heap = stats(samples.map((s) => s.rss - s.heapTotal));
const info = torch.kernelInfo();
const head = { workload: 'W2 training step + Adam', steps, warmup, threads: torch.getNumThreads(), tier: info.tier, isa: info.isa, node: process.version, secondsPerStep: seconds / steps };
if (values.json) {
  console.log(JSON.stringify({ ...head, ...result }));
} else {
  console.log(`\n${head.workload}: ${steps} steps after ${warmup} of warm-up, ${head.tier}${head.isa ? ` ${head.isa}` : ''}, ${head.threads} thread(s), ${(1000 * head.secondsPerStep).toFixed(1)} ms/step`);
  console.log('| MB | min | median | max | band ± % of median | growth (last tenth / first) % |\n|---|---|---|---|---|---|');
  for (const k of [...keys, 'rssLessV8Heap'] as const) {
    const s = result[k]!;
    console.log(`| ${k} | ${s.min.toFixed(1)} | ${s.median.toFixed(1)} | ${s.max.toFixed(1)} | ${s.bandPct.toFixed(1)} | ${s.growthPct.toFixed(1)} |`);
  }
  const rss = result.rss!;
  console.log(`\nRSS ${rss.bandPct <= 5 ? 'flat' : 'NOT flat'} (target ±5%): ±${rss.bandPct.toFixed(1)}%, growth ${rss.growthPct.toFixed(1)}%`);
}
