/**
 * `npm run bench -- --compare <git-ref>`: is this tree slower than another commit? Both builds
 * run in one process: the old tree is extracted from git into a temporary folder (sharing this
 * tree's node_modules), both are imported, and for every workload, phase, kernel flavour and
 * thread count (1 and 2) their calls alternate (old, new, new, old, ...) over many
 * pairs of calls. Each pair (one call of each, back to back) gives a ratio old / new (above 1:
 * the new tree is faster), and the median of the pairs is the verdict: a shared VM's speed
 * drifts by up to 30% over seconds, which a pair mostly cancels and the median of many pairs
 * does not follow. Two measures per call: the process's CPU time (user + system, all its
 * threads), which other processes competing for the cores move less, and wall time. On a loaded
 * machine the CPU-time ratio is the one to judge by (with threads it also counts the caller's
 * spin while a worker waits for a core). The table goes to stdout and bench/compare.md.
 *
 * Options: --compare=<ref> --pairs=N (pairs of calls per cell, default 24) --only=W1,W3 --quick (8 pairs)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median, type Workload } from './workloads.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

/** The part of `torch.*` the comparison drives; present in every tree since the kernels landed. */
interface TorchModule {
  manualSeed(seed: number): void;
  setKernelPreference(p: 'auto' | 'simd' | 'relaxed' | 'ref'): void;
  setNumThreads(n: number): Promise<number>;
  noGrad<T>(fn: () => T): T;
  randn(...shape: number[]): { sum(): { backward(): void } };
  nn: {
    LSTM: new (i: number, h: number, o: object) => { forward(x: unknown): unknown[]; zeroGrad(): void };
    GRU: new (i: number, h: number, o: object) => { forward(x: unknown): unknown[]; zeroGrad(): void };
  };
}

interface Runner {
  infer(): void;
  train(): void;
}

/** The bench's API-level workload (as bench/torchlet-api.ts) against any tree's `torch`. */
function runner(torch: TorchModule, w: Workload): Runner {
  torch.manualSeed(1234);
  const opts = { numLayers: w.layers, bidirectional: w.bidirectional, batchFirst: w.batchFirst };
  const model = new (w.mode === 'LSTM' ? torch.nn.LSTM : torch.nn.GRU)(w.input, w.hidden, opts);
  const x = w.batchFirst ? torch.randn(w.batch, w.steps, w.input) : torch.randn(w.steps, w.batch, w.input);
  const out = (): { sum(): { backward(): void } } => model.forward(x)[0] as { sum(): { backward(): void } };
  return {
    infer: () => void torch.noGrad(out),
    train: () => {
      model.zeroGrad();
      out().sum().backward();
    },
  };
}

/** Extract `ref` into a temporary tree that shares this one's node_modules; returns its root. */
function checkout(ref: string): { dir: string; sha: string } {
  const sha = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: root, encoding: 'utf8' }).trim();
  const dir = join(os.tmpdir(), `torchlet-bench-${sha.slice(0, 12)}`);
  if (!existsSync(join(dir, 'src'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const tar = execFileSync('git', ['archive', '--format=tar', sha], { cwd: root, maxBuffer: 1 << 30 });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    // Trees that do not commit their wasm binaries build them (the same compiler, ours).
    if (!existsSync(join(dir, 'src/kernels/wasm/binary.generated.ts')) && existsSync(join(dir, 'tools/build-wasm.ts'))) {
      execFileSync(process.execPath, ['--import', 'tsx', join(dir, 'tools/build-wasm.ts')], { cwd: dir, stdio: 'inherit' });
    }
  }
  return { dir, sha };
}

type Flavour = 'simd' | 'relaxed';
interface Cell {
  w: Workload;
  phase: 'infer' | 'train';
  flavour: Flavour;
  threads: number;
  /** Per pair: [old, new] CPU ms per call and wall ms per call. */
  cpu: [number, number][];
  wall: [number, number][];
}

/** One call: process CPU ms (user + system, all threads) and wall ms. */
function timed(fn: () => void): { cpu: number; wall: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1000, wall };
}

const ratioOf = (pairs: [number, number][]): number => median(pairs.map(([o, n]) => o / n));

const fmt = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : '–');

export async function compare(ref: string, selected: Workload[], opts: { pairs: number; quick: boolean; flavours: Flavour[] }): Promise<void> {
  const { dir, sha } = checkout(ref);
  const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'assembly'], { cwd: root, encoding: 'utf8' }).trim() !== '';
  const oldT = (await import(pathToFileURL(join(dir, 'src/index.ts')).href)) as TorchModule;
  const newT = (await import(pathToFileURL(join(root, 'src/index.ts')).href)) as TorchModule;
  const trees = [oldT, newT];
  const cells: Cell[] = [];
  const variants: [Flavour, number][] = [];
  for (const n of [1, 2]) for (const f of opts.flavours) variants.push([f, n]);
  console.log(`compare: old ${ref} (${sha.slice(0, 10)}) vs new ${head}${dirty ? ' + uncommitted changes' : ''}; ${opts.pairs} pairs per cell; load ${os.loadavg()[0]!.toFixed(1)}`);
  for (const w of selected) {
    for (const [flavour, threads] of variants) {
      let threadsOk = true;
      for (const t of trees) {
        t.setKernelPreference(flavour);
        if ((await t.setNumThreads(threads)) !== threads) threadsOk = false;
      }
      if (!threadsOk) continue;
      const runners = trees.map((t) => runner(t, w));
      for (const phase of ['infer', 'train'] as const) {
        const cell: Cell = { w, phase, flavour, threads, cpu: [], wall: [] };
        // Warm both (JIT, wasm memory growth, thread pools) before any pair counts.
        for (const r of runners) for (let i = 0; i < 3; i++) r[phase]();
        for (let p = 0; p < opts.pairs; p++) {
          // A pair is one call of each, back to back: old, new then new, old (a drift within a
          // pair favours neither side over the run).
          const order = p % 2 === 0 ? [0, 1] : [1, 0];
          const got: { cpu: number; wall: number }[] = [];
          for (const i of order) got[i] = timed(runners[i]![phase]);
          cell.cpu.push([got[0]!.cpu, got[1]!.cpu]);
          cell.wall.push([got[0]!.wall, got[1]!.wall]);
        }
        cells.push(cell);
        console.log(
          `${w.id} ${phase} ${flavour} ${threads}T: CPU ms old ${fmt(median(cell.cpu.map((x) => x[0])), 1)}, new ${fmt(median(cell.cpu.map((x) => x[1])), 1)}, paired old/new ${fmt(ratioOf(cell.cpu), 3)}; wall paired ${fmt(ratioOf(cell.wall), 3)} (load ${os.loadavg()[0]!.toFixed(1)})`,
        );
      }
    }
    for (const t of trees) {
      await t.setNumThreads(1);
      t.setKernelPreference('auto');
    }
  }
  const worst = Math.min(...cells.map((c) => ratioOf(c.cpu)));
  const lines = [
    '# torchlet: old build vs new build',
    '',
    `${new Date().toISOString().slice(0, 16)}Z, ${os.cpus()[0]?.model} x${os.cpus().length}, Node ${process.version}. Old: ${ref} (${sha.slice(0, 10)}); new: ${head}${dirty ? ' plus uncommitted changes' : ''}. Public API (nn.LSTM / nn.GRU), as \`npm run bench\`. Per cell ${opts.pairs} pairs of calls back to back (old then new, new then old, alternately, after 3 warm-up calls each). A pair's ratio is old / new (above 1: new is faster) of the process's CPU time (user + system, all threads) and of wall time. Verdict: paired CPU-time median >= 0.97 in every cell. Load average at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')} on ${os.cpus().length} cores.`,
    '',
    '| workload | phase | kernels | threads | CPU ms old / new (medians) | paired old/new CPU (median) | pairs min–max | wall ms old / new (medians) | paired old/new wall (median) | CPU >= 0.97 |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...cells.map((c) => {
      const m = ratioOf(c.cpu);
      const rs = c.cpu.map(([o, n]) => o / n);
      const med = (xs: [number, number][], i: 0 | 1): string => fmt(median(xs.map((x) => x[i])), 1);
      return `| ${c.w.id} | ${c.phase} | ${c.flavour} | ${c.threads} | ${med(c.cpu, 0)} / ${med(c.cpu, 1)} | ${fmt(m, 3)} | ${fmt(Math.min(...rs))}–${fmt(Math.max(...rs))} | ${med(c.wall, 0)} / ${med(c.wall, 1)} | ${fmt(ratioOf(c.wall), 3)} | ${m >= 0.97 ? 'yes' : '**no**'} |`;
    }),
    '',
    `Lowest paired CPU-time median: ${fmt(worst, 3)} (${worst >= 0.97 ? 'no workload slower' : 'some cell below 0.97'}); lowest paired wall-time median: ${fmt(Math.min(...cells.map((c) => ratioOf(c.wall))), 3)}.`,
  ];
  const md = `${lines.join('\n')}\n`;
  console.log(`\n${md}`);
  writeFileSync(join(here, 'compare.md'), md);
  console.log('wrote bench/compare.md');
}
