/**
 * `npm run bench`: the benchmark of record (issue 7). For each workload, inference forward and a
 * training step (forward + backward of out.sum()), median ms after warm-up and GFLOP/s, for
 * torchlet (SIMD128 and relaxed-SIMD kernels) beside PyTorch CPU at 1 and 2 threads and TF.js on
 * its WebAssembly backend, all in the same run. Prints the table with ratios (torchlet / peer,
 * below 1 means torchlet is faster) and writes it to bench/results.md.
 *
 * Options: --only=W1,W3   --no-torch   --no-tfjs   --quick (fewer repetitions)
 *
 * Node 20 ships relaxed SIMD behind a flag; this script re-runs itself with
 * --experimental-wasm-relaxed-simd so both kernel builds are measured (newer engines have it on).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flavourSupported, type KernelFlavour, setKernelPreference, wasmKernels } from '../src/kernels/wasm/loader.js';
import { wasmRnnKernel } from '../src/kernels/wasm/rnn.js';
import { kernelRunner } from './torchlet-kernel.js';
import { initTfjs, tfjsRunner } from './tfjs.js';
import { forwardFlops, medianMs, trainFlops, type Workload, workloads } from './workloads.js';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(`--${name}`);
const only = argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const quick = flag('quick');

if (!flavourSupported('relaxed') && !process.env.TORCHLET_BENCH_CHILD) {
  const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', fileURLToPath(import.meta.url), ...argv], {
    stdio: 'inherit',
    env: { ...process.env, TORCHLET_BENCH_CHILD: '1' },
  });
  process.exit(r.status ?? 1);
}

type Phase = 'infer' | 'train';
interface Row {
  w: Workload;
  phase: Phase;
  torchlet: Partial<Record<KernelFlavour, number>>;
  torch1?: number;
  torch2?: number;
  tfjs?: number;
}

const selected = workloads.filter((w) => !only || only.includes(w.id));
const flavours: KernelFlavour[] = (['simd', 'relaxed'] as const).filter((f) => flavourSupported(f));
const notes: string[] = [];
const log = (s: string): void => console.log(s);

/** GFLOP/s of the packed-weight GEMM on the per-step shape [32,256]x[256,1024] (packing excluded). */
function gemmGflops(f: KernelFlavour): number {
  setKernelPreference(f);
  const w = wasmKernels()!;
  const [M, N, K] = [32, 1024, 256];
  const { k, arena } = w;
  arena.reset();
  const a = arena.alloc(M * K);
  const raw = arena.alloc(N * K);
  const bp = arena.alloc(k.packedSize(N, K));
  const c = arena.alloc(M * N);
  const v = arena.f32();
  for (let i = 0; i < M * K + N * K; i++) v[(a >> 2) + i] = Math.random() - 0.5;
  k.packW(raw, K, 1, N, K, bp);
  const reps = 50;
  const times: number[] = [];
  for (let r = 0; r < 30 + 15; r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) k.gemm(M, N, K, a, K, bp, c, N, 0);
    if (r >= 15) times.push((performance.now() - t0) / reps);
  }
  times.sort((x, y) => x - y);
  return (2 * M * N * K) / times[times.length >> 1]! / 1e6;
}

async function main(): Promise<void> {
  log(`torchlet bench: ${os.cpus()[0]?.model} x${os.cpus().length}, Node ${process.version}; kernels: ${flavours.join(', ')}`);
  const gemm: Partial<Record<KernelFlavour, number>> = {};
  for (const f of flavours) {
    gemm[f] = gemmGflops(f);
    log(`GEMM [32,256]x[256,1024] ${f}: ${gemm[f]!.toFixed(1)} GFLOP/s (one core, median)`);
  }

  const rows: Row[] = selected.flatMap((w) => (['infer', 'train'] as const).map((phase) => ({ w, phase, torchlet: {} })));
  const row = (w: Workload, p: Phase): Row => rows.find((r) => r.w === w && r.phase === p)!;
  const reps = quick ? { warmup: 1, minRuns: 3, minMs: 200 } : { warmup: 2, minRuns: 5, minMs: 1500 };

  for (const w of selected) {
    for (const f of flavours) {
      setKernelPreference(f);
      const r = kernelRunner(wasmRnnKernel, w);
      row(w, 'infer').torchlet[f] = await medianMs(r.infer, reps);
      row(w, 'train').torchlet[f] = await medianMs(r.train, reps);
      log(`${w.id} torchlet ${f}: infer ${row(w, 'infer').torchlet[f]!.toFixed(1)} ms, train ${row(w, 'train').torchlet[f]!.toFixed(1)} ms`);
    }
  }
  setKernelPreference('auto');

  if (!flag('no-torch')) {
    const py = '/usr/bin/python3';
    if (spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) {
      for (const threads of [1, 2]) {
        const r = spawnSync(py, [join(here, 'pytorch_bench.py'), String(threads), JSON.stringify(selected)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(threads) } });
        if (r.status !== 0) {
          notes.push(`PyTorch ${threads}T failed: ${r.stderr.slice(-300)}`);
          continue;
        }
        const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as { torch: string; results: Record<string, Record<Phase, number>> };
        if (threads === 1) notes.push(`PyTorch ${res.torch} (CPU)`);
        for (const w of selected) {
          for (const p of ['infer', 'train'] as const) row(w, p)[threads === 1 ? 'torch1' : 'torch2'] = res.results[w.id]![p];
        }
        log(`PyTorch ${threads}T: ${selected.map((w) => `${w.id} ${res.results[w.id]!.infer.toFixed(1)}/${res.results[w.id]!.train.toFixed(1)}`).join(', ')}`);
      }
    } else notes.push('PyTorch skipped: `/usr/bin/python3 -c "import torch"` failed');
  }

  if (!flag('no-tfjs')) {
    notes.push(await initTfjs());
    // TF.js training steps take seconds each: fewer repetitions.
    const tfReps = { warmup: 1, minRuns: quick ? 1 : 3, minMs: 0 };
    for (const w of selected) {
      const r = tfjsRunner(w);
      row(w, 'infer').tfjs = await medianMs(r.infer, tfReps);
      row(w, 'train').tfjs = await medianMs(r.train, tfReps);
      r.dispose();
      log(`${w.id} TF.js: infer ${row(w, 'infer').tfjs!.toFixed(1)} ms, train ${row(w, 'train').tfjs!.toFixed(1)} ms`);
    }
  }

  const md = table(rows, gemm);
  log(`\n${md}`);
  writeFileSync(join(here, 'results.md'), md);
  log('wrote bench/results.md');
}

function fmt(x: number | undefined, d = 1): string {
  return x === undefined ? '–' : x.toFixed(d);
}

/** The issue's targets for one row, judged on the best torchlet flavour (1 thread). */
function target(r: Row, best: number): string {
  const out: string[] = [];
  const id = r.w.id;
  if (r.tfjs !== undefined) {
    const need = r.phase === 'infer' ? 3 : 10;
    out.push(`TF.js ≥${need}x: ${r.tfjs / best >= need ? 'met' : 'missed'}`);
  }
  if (r.torch1 !== undefined && r.torch2 !== undefined) {
    const pt = Math.min(r.torch1, r.torch2);
    if (id === 'W1' || id === 'W3') out.push(`faster than PyTorch: ${best < pt ? 'met' : 'missed'}`);
    else if (r.phase === 'infer') {
      out.push(`≤2x PyTorch 1T: ${best <= 2 * r.torch1 ? 'met' : 'missed'}`);
      out.push(`≤1.2x PyTorch 2T: ${best <= 1.2 * r.torch2 ? 'met' : 'missed'} (torchlet 1T)`);
    } else out.push(`≤2x PyTorch best: ${best <= 2 * pt ? 'met' : 'missed'}`);
  }
  return out.join('; ');
}

function table(rows: Row[], gemm: Partial<Record<KernelFlavour, number>>): string {
  const lines = [
    '# torchlet benchmark',
    '',
    `${new Date().toISOString().slice(0, 16)}Z, ${os.cpus()[0]?.model} x${os.cpus().length}, Node ${process.version}. Median ms per call after warm-up; torchlet on one thread. Ratios are torchlet (best flavour) / peer: below 1, torchlet is faster.`,
    '',
    `GEMM [32,256]x[256,1024] on one core: ${flavours.map((f) => `${f} ${fmt(gemm[f])} GFLOP/s`).join(', ')}.`,
    '',
    '| workload | phase | torchlet SIMD128 | torchlet relaxed | GFLOP/s | PyTorch 1T | PyTorch 2T | TF.js wasm | ÷PyTorch 1T | ÷PyTorch 2T | ÷TF.js | targets |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const best = Math.min(...Object.values(r.torchlet));
    const flops = r.phase === 'infer' ? forwardFlops(r.w) : trainFlops(r.w);
    const ratio = (peer?: number): string => (peer === undefined ? '–' : (best / peer).toFixed(2));
    lines.push(
      `| ${r.w.id} ${r.w.title} | ${r.phase} | ${fmt(r.torchlet.simd)} | ${fmt(r.torchlet.relaxed)} | ${fmt(flops / best / 1e6)} | ${fmt(r.torch1)} | ${fmt(r.torch2)} | ${fmt(r.tfjs)} | ${ratio(r.torch1)} | ${ratio(r.torch2)} | ${ratio(r.tfjs)} | ${target(r, best)} |`,
    );
  }
  lines.push('', 'FLOPs count the matrix products only (2·rows·G·H·(I+H) per layer and direction; a training step as 3 forwards).');
  for (const n of notes) lines.push(`- ${n}`);
  return `${lines.join('\n')}\n`;
}

await main();
