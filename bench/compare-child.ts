/**
 * One build's side of `npm run bench -- --compare=<ref> --processes` (bench/compare.ts): a child
 * process (this file bundled, under plain Node) that loads one tree's `torch` from its built
 * package entry, builds one workload's model, and runs one call (inference
 * or a training step) each time the parent asks, so each build's garbage collector works on its
 * own heap and its CPU time is its own. Also the workload runner both modes of the comparison use.
 *
 * Messages (Node IPC), parent → child: init {entry, workload, flavour, threads, phase}, warm
 * {rule}, call, end; child → parent: ready {threads}, warmed {calls, steady}, called {wall,
 * cpuStart, cpuEnd}, ended {cpu}. CPU times are the process's user + system microseconds (all
 * its threads).
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Workload, workloads } from './workloads.js';

/** The part of `torch.*` the comparison drives; present in every tree since the kernels landed. */
export interface TorchModule {
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

export interface Runner {
  infer(): void;
  train(): void;
}

/** The bench's API-level workload (as bench/torchlet-api.ts) against any tree's `torch`. */
export function runner(torch: TorchModule, w: Workload): Runner {
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

/** Process CPU time so far, microseconds (user + system, all threads). */
function cpuNow(): number {
  const c = process.cpuUsage();
  return c.user + c.system;
}

/**
 * How long a fresh process warms up (the same rule for both builds): calls in windows of
 * `window`, until at least `minCalls` calls or `minMs` have passed AND the median CPU per call
 * of the last window is within `tolerance` of the window before (the code is optimised and the
 * heap has settled), or `maxCalls` / `maxMs` are reached.
 */
export interface WarmRule {
  window: number;
  minCalls: number;
  minMs: number;
  maxCalls: number;
  maxMs: number;
  tolerance: number;
}

export type ChildRequest =
  | { op: 'init'; entry: string; workload: string; flavour: 'simd' | 'relaxed'; threads: number; phase: 'infer' | 'train' }
  | { op: 'warm'; rule: WarmRule }
  | { op: 'call' }
  | { op: 'end' };

export type ChildReply =
  | { op: 'ready'; threads: number }
  /** `steady`: the median CPU ms per call of the last warm-up window. */
  | { op: 'warmed'; calls: number; steady: number }
  | { op: 'called'; wall: number; cpuStart: number; cpuEnd: number }
  | { op: 'ended'; cpu: number }
  | { op: 'failed'; message: string };

const middle = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Run `call` by the warm-up rule; returns the calls made and the last window's median CPU ms per call. */
export function warm(call: () => void, rule: WarmRule): { calls: number; steady: number } {
  const t0 = performance.now();
  let calls = 0;
  let last = Number.NaN;
  for (;;) {
    const cpu: number[] = [];
    for (let i = 0; i < rule.window; i++) {
      const c0 = cpuNow();
      call();
      cpu.push((cpuNow() - c0) / 1000);
    }
    calls += rule.window;
    const m = middle(cpu);
    const ms = performance.now() - t0;
    const settled = Math.abs(m - last) <= rule.tolerance * last;
    last = m;
    if (calls >= rule.maxCalls || ms >= rule.maxMs) break;
    if ((calls >= rule.minCalls || ms >= rule.minMs) && settled) break;
  }
  return { calls, steady: last };
}

function serve(): void {
  let call: (() => void) | null = null;
  const send = (m: ChildReply): void => void process.send!(m);
  process.on('message', async (m: ChildRequest) => {
    try {
      if (m.op === 'init') {
        const torch = (await import(pathToFileURL(m.entry).href)) as TorchModule;
        torch.setKernelPreference(m.flavour);
        const threads = await torch.setNumThreads(m.threads);
        const w = workloads.find((x) => x.id === m.workload);
        if (!w) throw new Error(`unknown workload ${m.workload}`);
        call = runner(torch, w)[m.phase];
        send({ op: 'ready', threads });
      } else if (m.op === 'warm') {
        send({ op: 'warmed', ...warm(call!, m.rule) });
      } else if (m.op === 'call') {
        const cpuStart = cpuNow();
        const t0 = performance.now();
        call!();
        const wall = performance.now() - t0;
        send({ op: 'called', wall, cpuStart, cpuEnd: cpuNow() });
      } else {
        send({ op: 'ended', cpu: cpuNow() });
        process.disconnect();
      }
    } catch (e) {
      send({ op: 'failed', message: (e as Error).stack ?? String(e) });
    }
  });
}

if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) serve();
