/**
 * `npm run bench -- --compare <git-ref>`: is this tree slower than another commit? The old tree
 * is extracted from git into a temporary folder (sharing this tree's node_modules, plus any
 * dependency only the old tree has), and for every workload, phase, kernel flavour and thread
 * count (1 and 2) the two builds' calls alternate (old, new, new, old, ...) over many pairs of
 * calls. Each pair (one call of each, back to back) gives a ratio old / new (above 1: the new
 * tree is faster), and the median of the pairs is the verdict: a shared VM's speed drifts by up
 * to 30% over seconds, which a pair mostly cancels and the median of many pairs does not follow.
 * Two measures per call: CPU time (user + system, all threads), which other processes competing
 * for the cores move less, and wall time. On a loaded machine the CPU-time ratio is the one to
 * judge by (with threads it also counts the caller's spin while a worker waits for a core). The
 * table goes to stdout and bench/compare.md.
 *
 * Two ways to run the builds:
 * - default: both in this process. Simple, but they share one garbage-collected heap, so a
 *   collection one build's garbage brings about may run (on V8's helper threads) during the
 *   other build's call and be charged to it.
 * - `--processes`: each build in its own child process (bench/compare-child.ts), the calls still
 *   alternating between them, one running at a time; a fresh pair of processes every
 *   `--proc-pairs` pairs (default 12), so no one process's collector state decides a cell. A
 *   call's CPU time is its process's from the start of the call to the start of its next call,
 *   so the collector work a call leaves behind is charged to its own build.
 *
 * Options: --compare=<ref> --pairs=N (pairs of calls per cell, default 24) --only=W1,W3 --quick (8 pairs)
 *          --processes [--proc-pairs=N]
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type ChildReply, type ChildRequest, runner, type TorchModule } from './compare-child.js';
import { median, type Workload } from './workloads.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

/** Extract `ref` into a temporary tree that shares this one's node_modules; returns its root. */
function checkout(ref: string): { dir: string; sha: string } {
  const sha = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: root, encoding: 'utf8' }).trim();
  const dir = join(os.tmpdir(), `torchlet-bench-${sha.slice(0, 12)}`);
  if (!existsSync(join(dir, 'src'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const tar = execFileSync('git', ['archive', '--format=tar', sha], { cwd: root, maxBuffer: 1 << 30 });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
    // Trees that do not commit their wasm binaries build them (the same compiler, ours).
    if (!existsSync(join(dir, 'src/kernels/wasm/binary.generated.ts')) && existsSync(join(dir, 'tools/build-wasm.ts'))) {
      execFileSync(process.execPath, ['--import', 'tsx', join(dir, 'tools/build-wasm.ts')], { cwd: dir, stdio: 'inherit' });
    }
  }
  linkDependencies(dir);
  return { dir, sha };
}

/**
 * The old tree's node_modules: this tree's packages (one link each), plus the old tree's own
 * dependencies this tree no longer has (installed once into <dir>/.old-deps with npm). Rebuilt
 * whenever one of them is missing (a link into a worktree that has gone).
 */
function linkDependencies(dir: string): void {
  const nm = join(dir, 'node_modules');
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const deps = Object.entries(pkg.dependencies ?? {});
  if (existsSync(nm) && deps.every(([name]) => existsSync(join(nm, name, 'package.json')))) return;
  rmSync(nm, { recursive: true, force: true });
  mkdirSync(nm);
  const link = (from: string): void => {
    for (const name of readdirSync(from)) {
      if (existsSync(join(nm, name))) continue;
      const at = join(from, name);
      // Scoped packages: a folder of their own, one link per package.
      if (name.startsWith('@') && lstatSync(at).isDirectory()) {
        mkdirSync(join(nm, name), { recursive: true });
        for (const sub of readdirSync(at)) if (!existsSync(join(nm, name, sub))) symlinkSync(join(at, sub), join(nm, name, sub), 'dir');
      } else symlinkSync(at, join(nm, name), 'dir');
    }
  };
  link(join(root, 'node_modules'));
  const missing = deps.filter(([name]) => !existsSync(join(nm, name, 'package.json')));
  if (missing.length === 0) return;
  const extra = join(dir, '.old-deps');
  mkdirSync(extra, { recursive: true });
  writeFileSync(join(extra, 'package.json'), '{"private":true}\n');
  console.log(`compare: installing the old tree's own dependencies: ${missing.map(([n, v]) => `${n}@${v}`).join(' ')}`);
  execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', ...missing.map(([n, v]) => `${n}@${v}`)], { cwd: extra, stdio: 'inherit' });
  link(join(extra, 'node_modules'));
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

/** Options of a comparison (bench/run.ts parses them). */
export interface CompareOptions {
  pairs: number;
  quick: boolean;
  flavours: Flavour[];
  /** Each build in its own child process (see the header). */
  processes: boolean;
  /** With `processes`: a fresh pair of processes every this many pairs. */
  procPairs: number;
}

const PHASES = ['infer', 'train'] as const;
/** Warm-up calls of each build before a cell's first pair counts (in one process: both builds warm each other's shared code paths). */
const WARMUP = 3;
/** The same for a fresh process (it starts cold: its first calls compile and tier up), then a pause for background compiles to finish. */
const WARMUP_PROCESS = 10;
const SETTLE_MS = 100;

/** Both builds in this process: every cell of one workload. */
async function cellsInProcess(trees: TorchModule[], w: Workload, variants: [Flavour, number][], pairs: number): Promise<Cell[]> {
  const cells: Cell[] = [];
  for (const [flavour, threads] of variants) {
    let threadsOk = true;
    for (const t of trees) {
      t.setKernelPreference(flavour);
      if ((await t.setNumThreads(threads)) !== threads) threadsOk = false;
    }
    if (!threadsOk) continue;
    const runners = trees.map((t) => runner(t, w));
    for (const phase of PHASES) {
      const cell: Cell = { w, phase, flavour, threads, cpu: [], wall: [] };
      // Warm both (JIT, wasm memory growth, thread pools) before any pair counts.
      for (const r of runners) for (let i = 0; i < WARMUP; i++) r[phase]();
      for (let p = 0; p < pairs; p++) {
        // A pair is one call of each, back to back: old, new then new, old (a drift within a
        // pair favours neither side over the run).
        const order = p % 2 === 0 ? [0, 1] : [1, 0];
        const got: { cpu: number; wall: number }[] = [];
        for (const i of order) got[i] = timed(runners[i]![phase]);
        cell.cpu.push([got[0]!.cpu, got[1]!.cpu]);
        cell.wall.push([got[0]!.wall, got[1]!.wall]);
      }
      cells.push(cell);
      logCell(cell);
    }
  }
  for (const t of trees) {
    await t.setNumThreads(1);
    t.setKernelPreference('auto');
  }
  return cells;
}

/** A child process running one build (bench/compare-child.ts), asked one thing at a time. */
class Child {
  private readonly proc: ChildProcess;
  private waiting: ((m: ChildReply) => void) | null = null;
  private lost: Error | null = null;

  constructor(readonly label: string) {
    this.proc = fork(join(here, 'compare-child.ts'), [], { cwd: root, execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.proc.on('message', (m: ChildReply) => {
      const w = this.waiting;
      this.waiting = null;
      w?.(m);
    });
    this.proc.on('exit', (code) => {
      this.lost = new Error(`compare: the ${label} build's process exited (code ${code})`);
      const w = this.waiting;
      this.waiting = null;
      w?.({ op: 'failed', message: this.lost.message });
    });
  }

  /** Send a request and wait for its reply (a failure in the child is thrown here). */
  ask(m: ChildRequest): Promise<ChildReply> {
    if (this.lost) return Promise.reject(this.lost);
    return new Promise((resolve, reject) => {
      this.waiting = (r) => (r.op === 'failed' ? reject(new Error(`compare: ${this.label} build: ${r.message}`)) : resolve(r));
      this.proc.send(m);
    });
  }

  stop(): void {
    if (this.proc.exitCode === null) this.proc.kill();
  }
}

/**
 * One cell with each build in its own process: `pairs` pairs in runs of `procPairs`, each run
 * on a fresh pair of processes. Null when a build cannot run that many threads.
 */
async function cellInProcesses(dirs: string[], w: Workload, phase: Cell['phase'], flavour: Flavour, threads: number, pairs: number, procPairs: number): Promise<Cell | null> {
  const cell: Cell = { w, phase, flavour, threads, cpu: [], wall: [] };
  for (let p0 = 0; p0 < pairs; p0 += procPairs) {
    const kids = dirs.map((_, i) => new Child(i === 0 ? 'old' : 'new'));
    try {
      const ready = await Promise.all(kids.map((k, i) => k.ask({ op: 'init', root: dirs[i]!, workload: w.id, flavour, threads, phase })));
      if (ready.some((r) => r.op !== 'ready' || r.threads !== threads)) return null;
      for (const k of kids) await k.ask({ op: 'warm', n: WARMUP_PROCESS });
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      // Per build: each call's wall time and the process CPU at its start.
      const calls: { wall: number; cpuStart: number }[][] = [[], []];
      const n = Math.min(procPairs, pairs - p0);
      for (let p = p0; p < p0 + n; p++) {
        for (const i of p % 2 === 0 ? [0, 1] : [1, 0]) {
          const r = await kids[i]!.ask({ op: 'call' });
          if (r.op === 'called') calls[i]!.push({ wall: r.wall, cpuStart: r.cpuStart });
        }
      }
      // A call's CPU runs to the start of its build's next call (or the end): what its collector did after it counts.
      const ends = await Promise.all(kids.map((k) => k.ask({ op: 'end' })));
      const cpu = calls.map((cs, i) => {
        const end = ends[i]!.op === 'ended' ? ends[i].cpu : Number.NaN;
        return cs.map((c, j) => ((j + 1 < cs.length ? cs[j + 1]!.cpuStart : end) - c.cpuStart) / 1000);
      });
      for (let j = 0; j < n; j++) {
        cell.cpu.push([cpu[0]![j]!, cpu[1]![j]!]);
        cell.wall.push([calls[0]![j]!.wall, calls[1]![j]!.wall]);
      }
    } finally {
      for (const k of kids) k.stop();
    }
  }
  logCell(cell);
  return cell;
}

function logCell(c: Cell): void {
  console.log(
    `${c.w.id} ${c.phase} ${c.flavour} ${c.threads}T: CPU ms old ${fmt(median(c.cpu.map((x) => x[0])), 1)}, new ${fmt(median(c.cpu.map((x) => x[1])), 1)}, paired old/new ${fmt(ratioOf(c.cpu), 3)}; wall paired ${fmt(ratioOf(c.wall), 3)} (load ${os.loadavg()[0]!.toFixed(1)})`,
  );
}

export async function compare(ref: string, selected: Workload[], opts: CompareOptions): Promise<void> {
  const { dir, sha } = checkout(ref);
  const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'assembly'], { cwd: root, encoding: 'utf8' }).trim() !== '';
  const variants: [Flavour, number][] = [];
  for (const n of [1, 2]) for (const f of opts.flavours) variants.push([f, n]);
  const how = opts.processes ? `each build in its own process, a fresh pair every ${opts.procPairs} pairs` : 'both builds in this process';
  console.log(`compare: old ${ref} (${sha.slice(0, 10)}) vs new ${head}${dirty ? ' + uncommitted changes' : ''}; ${opts.pairs} pairs per cell, ${how}; load ${os.loadavg()[0]!.toFixed(1)}`);
  const cells: Cell[] = [];
  if (opts.processes) {
    for (const w of selected) {
      for (const [flavour, threads] of variants) {
        for (const phase of PHASES) {
          const c = await cellInProcesses([dir, root], w, phase, flavour, threads, opts.pairs, opts.procPairs);
          if (c) cells.push(c);
        }
      }
    }
  } else {
    const trees = [(await import(pathToFileURL(join(dir, 'src/index.ts')).href)) as TorchModule, (await import(pathToFileURL(join(root, 'src/index.ts')).href)) as TorchModule];
    for (const w of selected) cells.push(...(await cellsInProcess(trees, w, variants, opts.pairs)));
  }
  const worst = Math.min(...cells.map((c) => ratioOf(c.cpu)));
  const lines = [
    '# torchlet: old build vs new build',
    '',
    `${new Date().toISOString().slice(0, 16)}Z, ${os.cpus()[0]?.model} x${os.cpus().length}, Node ${process.version}. Old: ${ref} (${sha.slice(0, 10)}); new: ${head}${dirty ? ' plus uncommitted changes' : ''}. Public API (nn.LSTM / nn.GRU), as \`npm run bench\`. Per cell ${opts.pairs} pairs of calls back to back (old then new, new then old, alternately, after ${opts.processes ? WARMUP_PROCESS : WARMUP} warm-up calls each), ${opts.processes ? `each build in its own process (a fresh pair of processes every ${opts.procPairs} pairs, warmed separately; a call's CPU time is its process's from the call's start to the start of its next call, so the garbage collection it leaves behind counts)` : 'both builds in one process'}. A pair's ratio is old / new (above 1: new is faster) of CPU time (user + system, all threads) and of wall time. Verdict: paired CPU-time median >= 0.97 in every cell. Load average at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')} on ${os.cpus().length} cores.`,
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
