/**
 * `npm run bench -- --compare <git-ref>`: is this tree slower than another commit? The old tree
 * is extracted from git into a temporary folder (sharing this tree's node_modules, plus any
 * dependency only the old tree has) and built there with its own `npm run build` (once; a
 * `.bench-built` file marks it done); this tree's dist is rebuilt (`npm run build`) when missing
 * or older than anything it is built from. Both builds are measured as Node users run them: each
 * tree's package entry for `import` under Node (its package.json `exports['.']`, conditions node /
 * import / default: a dist file, not the TypeScript sources through tsx, which users never run),
 * with `--processes` in child processes under plain Node. For every workload, phase, kernel flavour and thread
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
 *   `--proc-pairs` pairs (default 4), so no one process's state decides a cell. Each process is
 *   warmed by one rule for both builds (WARM_RULE: at least 100 calls or 5 s, and until its CPU
 *   per call has settled), then a pause. A call's CPU time is its process's from the start of
 *   the call to the start of its next call, so the collector work a call leaves behind is
 *   charged to its own build. A fresh process sometimes runs a short workload in a slow mode
 *   for its whole life (up to 2x, either build); a process pair in which either process's
 *   settled CPU per call is over SLOW_MODE times its own build's median over the cell is set
 *   aside (same rule for both builds, as long as at least half the pairs stay), and the table
 *   says how many, per build, and the spread of the process pairs' own medians.
 *
 * Options: --compare=<ref> --pairs=N (pairs of calls per cell, default 24) --only=W1,W3 --quick (8 pairs)
 *          --processes [--proc-pairs=N]
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type ChildReply, type ChildRequest, runner, type TorchModule, type WarmRule } from './compare-child.js';
import { median, type Workload } from './workloads.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

/** Extract `ref` into a temporary tree that shares this one's node_modules, and build it; returns its root. */
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
  const marker = join(dir, '.bench-built');
  if (!existsSync(marker)) {
    build(dir, `the old tree (${ref}) has no dist yet`);
    writeFileSync(marker, `${new Date().toISOString()}\n`);
  }
  return { dir, sha };
}

/** `npm run build` in `dir`. A failing build whose entry file was still written (tsc emits despite type errors) goes on with a warning. */
function build(dir: string, why: string): void {
  console.log(`compare: npm run build in ${dir} (${why})`);
  try {
    execFileSync('npm', ['run', 'build'], { cwd: dir, stdio: 'inherit' });
  } catch (e) {
    if (!existsSync(entryOf(dir))) throw e;
    console.warn(`compare: the build in ${dir} reported errors; its emitted ${relative(dir, entryOf(dir))} is used`);
  }
}

/** The newest modification time (ms) of the files under `at` (a file or folder; 0 if absent). */
function newest(at: string): number {
  if (!existsSync(at)) return 0;
  const st = statSync(at);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(at).map((name) => newest(join(at, name))));
}

/** This tree's dist, rebuilt when its entry is missing or older than a file it is built from. */
function ensureBuilt(dir: string): void {
  const entry = entryOf(dir);
  const inputs = ['src', 'tools/finish-build.mjs', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];
  const stale = inputs.find((f) => newest(join(dir, f)) > (existsSync(entry) ? statSync(entry).mtimeMs : 0));
  if (stale !== undefined) build(dir, existsSync(entry) ? `${stale} is newer than ${relative(dir, entry)}` : `no ${relative(dir, entry)}`);
}

/** Node's conditions for `import` (the order of a conditions object's keys decides, as in Node). */
const CONDITIONS = new Set(['node', 'import', 'default']);

/** A tree's package entry as Node resolves `import 'torchlet'` (exports['.'], else main). */
export function entryOf(dir: string): string {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { exports?: unknown; main?: string };
  const pick = (e: unknown): string | null => {
    if (typeof e === 'string') return e;
    if (e && typeof e === 'object') {
      for (const [k, v] of Object.entries(e)) {
        const r = CONDITIONS.has(k) ? pick(v) : null;
        if (r) return r;
      }
    }
    return null;
  };
  const exp = pkg.exports as Record<string, unknown> | string | undefined;
  const dot = typeof exp === 'object' && exp !== null && '.' in exp ? exp['.'] : exp;
  return join(dir, pick(dot) ?? pkg.main ?? 'index.js');
}

/**
 * bench/compare-child.ts bundled into one plain JavaScript file, so each build's process runs
 * under plain Node (no TypeScript loader hooks in the measured process); removed at exit.
 */
async function childScript(): Promise<string> {
  const out = join(os.tmpdir(), `torchlet-bench-child-${process.pid}.mjs`);
  const { build: esbuild } = await import('esbuild');
  await esbuild({ entryPoints: [join(here, 'compare-child.ts')], outfile: out, bundle: true, platform: 'node', format: 'esm', logLevel: 'error' });
  process.on('exit', () => rmSync(out, { force: true }));
  return out;
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
  /** With --processes: each process pair's settled CPU ms per call [old, new], median pair ratio, and whether it was set aside. */
  groups?: { steady: [number, number]; ratio: number; slow: [boolean, boolean]; kept: boolean }[];
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
/**
 * A fresh process's warm-up (it starts cold: its first calls compile and tier up, and short
 * calls need ~100 to be optimised), the same for both builds: windows of 10 calls until at least
 * 100 calls or 5 s AND the window median of CPU per call within 5% of the window before, at
 * most 400 calls or 15 s; then a pause for background compiles to finish.
 */
const WARM_RULE: WarmRule = { window: 10, minCalls: 100, minMs: 5000, maxCalls: 400, maxMs: 15000, tolerance: 0.05 };
const SETTLE_MS = 100;
/** A process whose settled CPU per call is over this times its build's median in the cell is in the slow mode. */
const SLOW_MODE = 1.5;

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

/** This process's Node flags (e.g. --experimental-wasm-relaxed-simd) without its module loaders (tsx): the children run plain JavaScript. */
function nodeFlags(): string[] {
  const flags: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    if (/^(--import|--require|-r|--loader|--experimental-loader)$/.test(argv[i]!)) i++;
    else if (!/^(--import|--require|--loader|--experimental-loader)=/.test(argv[i]!)) flags.push(argv[i]!);
  }
  return flags;
}

/** A child process running one build (bench/compare-child.ts), asked one thing at a time. */
class Child {
  private readonly proc: ChildProcess;
  private waiting: ((m: ChildReply) => void) | null = null;
  private lost: Error | null = null;

  constructor(
    readonly label: string,
    script: string,
  ) {
    this.proc = fork(script, [], { cwd: root, execArgv: nodeFlags(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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
 * Which processes of a cell's process pairs ([old, new] settled CPU per call each) are in the
 * slow mode (over SLOW_MODE times their own build's median; NaN counts as slow), and which pairs
 * are kept: those with neither, unless that leaves fewer than half, then all. Each build is
 * judged against itself only, so swapping the builds swaps the marks and keeps the same pairs.
 */
export function slowMode(steady: [number, number][]): { slow: [boolean, boolean]; kept: boolean }[] {
  const medians = [0, 1].map((i) => median(steady.map((s) => s[i]!)));
  const slow = steady.map((s) => [0, 1].map((i) => !(s[i]! <= SLOW_MODE * medians[i]!)) as [boolean, boolean]);
  const keepAll = slow.filter((s) => !s[0] && !s[1]).length * 2 < steady.length;
  return slow.map((s) => ({ slow: s, kept: keepAll || (!s[0] && !s[1]) }));
}

/** One process pair's part of a cell: each build's settled CPU per call after warm-up, and the pairs of calls. */
interface Group {
  steady: [number, number];
  cpu: [number, number][];
  wall: [number, number][];
}

/** The two builds as the child processes load them: the bundled child script and each tree's package entry [old, new]. */
interface Builds {
  script: string;
  entries: string[];
}

/** `n` pairs of calls on a fresh pair of processes (old, new); null when a build cannot run that many threads. */
async function processGroup(builds: Builds, w: Workload, phase: Cell['phase'], flavour: Flavour, threads: number, n: number): Promise<Group | null> {
  const kids = builds.entries.map((_, i) => new Child(i === 0 ? 'old' : 'new', builds.script));
  try {
    const ready = await Promise.all(kids.map((k, i) => k.ask({ op: 'init', entry: builds.entries[i]!, workload: w.id, flavour, threads, phase })));
    if (ready.some((r) => r.op !== 'ready' || r.threads !== threads)) return null;
    const steady: number[] = [];
    // One at a time, so neither warms up while the other competes for the cores.
    for (const k of kids) {
      const r = await k.ask({ op: 'warm', rule: WARM_RULE });
      steady.push(r.op === 'warmed' ? r.steady : Number.NaN);
    }
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    // Per build: each call's wall time and the process CPU at its start.
    const calls: { wall: number; cpuStart: number }[][] = [[], []];
    for (let p = 0; p < n; p++) {
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
    const g: Group = { steady: [steady[0]!, steady[1]!], cpu: [], wall: [] };
    for (let j = 0; j < n; j++) {
      g.cpu.push([cpu[0]![j]!, cpu[1]![j]!]);
      g.wall.push([calls[0]![j]!.wall, calls[1]![j]!.wall]);
    }
    return g;
  } finally {
    for (const k of kids) k.stop();
  }
}

/**
 * One cell with each build in its own process: `pairs` pairs in runs of `procPairs`, each run
 * on a fresh pair of processes; process pairs with a process in the slow mode set aside (see the
 * header). Null when a build cannot run that many threads.
 */
async function cellInProcesses(builds: Builds, w: Workload, phase: Cell['phase'], flavour: Flavour, threads: number, pairs: number, procPairs: number): Promise<Cell | null> {
  const groups: Group[] = [];
  for (let p0 = 0; p0 < pairs; p0 += procPairs) {
    const g = await processGroup(builds, w, phase, flavour, threads, Math.min(procPairs, pairs - p0));
    if (!g) return null;
    groups.push(g);
  }
  const marks = slowMode(groups.map((g) => g.steady));
  const cell: Cell = { w, phase, flavour, threads, cpu: [], wall: [], groups: [] };
  groups.forEach((g, i) => {
    const { slow, kept } = marks[i]!;
    cell.groups!.push({ steady: g.steady, ratio: ratioOf(g.cpu), slow, kept });
    if (!kept) return;
    cell.cpu.push(...g.cpu);
    cell.wall.push(...g.wall);
  });
  logCell(cell);
  return cell;
}

/** The q-quantile of xs (nearest rank). */
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))] ?? Number.NaN;
}

/** The spread of a cell's pair ratios: quartiles and range. */
function spread(c: Cell): string {
  const rs = c.cpu.map(([o, n]) => o / n);
  return `${fmt(quantile(rs, 0.25))}–${fmt(quantile(rs, 0.75))} (${fmt(Math.min(...rs))}–${fmt(Math.max(...rs))})`;
}

/** Process pairs kept of run, how many had a process in the slow mode (per build), and the range of the kept pairs' own medians. */
function groupsText(c: Cell): string {
  const gs = c.groups;
  if (!gs) return '–';
  const kept = gs.filter((g) => g.kept);
  const rs = kept.map((g) => g.ratio);
  return `${kept.length}/${gs.length} (slow old ${gs.filter((g) => g.slow[0]).length}, new ${gs.filter((g) => g.slow[1]).length}); ${fmt(Math.min(...rs))}–${fmt(Math.max(...rs))}`;
}

function logCell(c: Cell): void {
  console.log(
    `${c.w.id} ${c.phase} ${c.flavour} ${c.threads}T: CPU ms old ${fmt(median(c.cpu.map((x) => x[0])), 1)}, new ${fmt(median(c.cpu.map((x) => x[1])), 1)}, paired old/new ${fmt(ratioOf(c.cpu), 3)} [${spread(c)}]; wall paired ${fmt(ratioOf(c.wall), 3)}; process pairs ${groupsText(c)} (load ${os.loadavg()[0]!.toFixed(1)})`,
  );
}

export async function compare(ref: string, selected: Workload[], opts: CompareOptions): Promise<void> {
  const { dir, sha } = checkout(ref);
  ensureBuilt(root);
  const entries = [entryOf(dir), entryOf(root)];
  const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'assembly'], { cwd: root, encoding: 'utf8' }).trim() !== '';
  const variants: [Flavour, number][] = [];
  for (const n of [1, 2]) for (const f of opts.flavours) variants.push([f, n]);
  const how = opts.processes ? `each build in its own process, a fresh pair every ${opts.procPairs} pairs` : 'both builds in this process';
  console.log(`compare: old ${ref} (${sha.slice(0, 10)}) vs new ${head}${dirty ? ' + uncommitted changes' : ''}; ${opts.pairs} pairs per cell, ${how}; load ${os.loadavg()[0]!.toFixed(1)}`);
  console.log(`compare: old ${entries[0]}, new ${entries[1]}`);
  const cells: Cell[] = [];
  if (opts.processes) {
    const builds = { script: await childScript(), entries };
    for (const w of selected) {
      for (const [flavour, threads] of variants) {
        for (const phase of PHASES) {
          const c = await cellInProcesses(builds, w, phase, flavour, threads, opts.pairs, opts.procPairs);
          if (c) cells.push(c);
        }
      }
    }
  } else {
    const trees = [(await import(pathToFileURL(entries[0]!).href)) as TorchModule, (await import(pathToFileURL(entries[1]!).href)) as TorchModule];
    for (const w of selected) cells.push(...(await cellsInProcess(trees, w, variants, opts.pairs)));
  }
  const worst = Math.min(...cells.map((c) => ratioOf(c.cpu)));
  const lines = [
    '# torchlet: old build vs new build',
    '',
    `${new Date().toISOString().slice(0, 16)}Z, ${os.cpus()[0]?.model} x${os.cpus().length}, Node ${process.version}. Old: ${ref} (${sha.slice(0, 10)}); new: ${head}${dirty ? ' plus uncommitted changes' : ''}. Public API (nn.LSTM / nn.GRU), as \`npm run bench\`, of each tree's built package entry as Node imports it (old ${relative(dir, entries[0]!)}, new ${relative(root, entries[1]!)}). Per cell ${opts.pairs} pairs of calls back to back (old then new, new then old, alternately, after ${opts.processes ? `a warm-up of at least ${WARM_RULE.minCalls} calls or ${WARM_RULE.minMs / 1000} s and until the CPU per call of ${WARM_RULE.window} calls is within ${WARM_RULE.tolerance * 100}% of the ${WARM_RULE.window} before (at most ${WARM_RULE.maxCalls} calls or ${WARM_RULE.maxMs / 1000} s)` : `${WARMUP} warm-up calls`} each), ${opts.processes ? `each build in its own process (a fresh pair of processes every ${opts.procPairs} pairs, warmed one after the other by the same rule; a call's CPU time is its process's from the call's start to the start of its next call, so the garbage collection it leaves behind counts; a process pair is set aside when either process's settled CPU per call after warm-up is over ${SLOW_MODE} times its build's median over the cell, the slow mode some fresh processes run in, unless that would leave fewer than half)` : 'both builds in one process'}. A pair's ratio is old / new (above 1: new is faster) of CPU time (user + system, all threads) and of wall time. Verdict: paired CPU-time median >= 0.97 in every cell. Load average at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')} on ${os.cpus().length} cores.`,
    '',
    '| workload | phase | kernels | threads | CPU ms old / new (medians) | paired old/new CPU (median) | pairs q1–q3 (min–max) | process pairs kept (slow-mode processes); their medians min–max | wall ms old / new (medians) | paired old/new wall (median) | CPU >= 0.97 |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...cells.map((c) => {
      const m = ratioOf(c.cpu);
      const med = (xs: [number, number][], i: 0 | 1): string => fmt(median(xs.map((x) => x[i])), 1);
      return `| ${c.w.id} | ${c.phase} | ${c.flavour} | ${c.threads} | ${med(c.cpu, 0)} / ${med(c.cpu, 1)} | ${fmt(m, 3)} | ${spread(c)} | ${groupsText(c)} | ${med(c.wall, 0)} / ${med(c.wall, 1)} | ${fmt(ratioOf(c.wall), 3)} | ${m >= 0.97 ? 'yes' : '**no**'} |`;
    }),
    '',
    `Lowest paired CPU-time median: ${fmt(worst, 3)} (${worst >= 0.97 ? 'no workload slower' : 'some cell below 0.97'}); lowest paired wall-time median: ${fmt(Math.min(...cells.map((c) => ratioOf(c.wall))), 3)}.`,
  ];
  const md = `${lines.join('\n')}\n`;
  console.log(`\n${md}`);
  writeFileSync(join(here, 'compare.md'), md);
  console.log('wrote bench/compare.md');
}
