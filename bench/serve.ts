/**
 * Load test of `torchlet serve` (issue 21): autocannon on loopback against three servers of the same
 * model (tools/fixtures/serve_bench.py, PyTorch's weights and PyTorch's ONNX export):
 * - torchlet, batched: `torchlet serve MODEL.pt` (defaults: workers one per core, --max-batch 64,
 *   --max-wait-ms 0);
 * - torchlet, unbatched: the same with --max-batch 1;
 * - onnxruntime-node: the same HTTP front with session.run per request on PyTorch's ONNX export
 *   (bench/serve-ort.ts).
 * Two models: `small`, nn.LSTM(32, 128, num_layers=2) (its compute per request is about the HTTP +
 * JSON overhead: test/fixtures/serve_bench_lstm.*), and `w2`, nn.LSTM(128, 256, num_layers=2), the
 * benchmark's W2 layer (a mid-size model whose compute dominates; 3.7 MB, so generated into
 * bench/.cache/ by `/usr/bin/python3 tools/fixtures/serve_bench.py w2` when missing).
 * Each at concurrency 1, 8 and 64 for --duration seconds (default 5), after a 2 s warm-up, with requests
 * of mixed lengths (8, 16, 32, 64, 128 steps, JSON), asking for the final states only
 * (`"outputs": ["h_n", "c_n"]`) and for everything (also `output`, (L, H) per request). Reports requests/s, p50 and p99
 * latency, the mean batch size (from the server's /metrics), and the load average. Each server runs in
 * its own process; autocannon runs in this one. About 3 minutes per model with the defaults.
 *
 *   npm run bench:serve     # or: npx tsx bench/serve.ts --models w2 --duration 5 --concurrency 1,64 --outputs states --servers batched,ort
 */

import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';

const ROOT = join(import.meta.dirname, '..');
const TSX = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const LENGTHS = [8, 16, 32, 64, 128];

interface Model {
  key: string;
  /** As PyTorch writes it. */
  name: string;
  /** Path without .pt / .onnx. */
  stem: string;
  features: number;
  hidden: number;
}
const MODELS: Model[] = [
  { key: 'small', name: 'nn.LSTM(32, 128, num_layers=2)', stem: join(ROOT, 'test', 'fixtures', 'serve_bench_lstm'), features: 32, hidden: 128 },
  { key: 'w2', name: 'nn.LSTM(128, 256, num_layers=2)', stem: join(ROOT, 'bench', '.cache', 'serve_bench_w2'), features: 128, hidden: 256 },
];

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : dflt;
}
const duration = Number(arg('--duration', '5'));
const models = arg('--models', 'small,w2').split(',').map((k) => {
  const m = MODELS.find((x) => x.key === k);
  if (!m) throw new Error(`--models: no model ${k} (${MODELS.map((x) => x.key).join(', ')})`);
  return m;
});
const concurrencies = arg('--concurrency', '1,8,64').split(',').map(Number);
const only = arg('--servers', 'batched,unbatched,ort').split(',');
/** What the requests ask for: `states` ("outputs": ["h_n", "c_n"]: the final states) and/or `all` (also output, (L, 128) per request). */
const variants = arg('--outputs', 'states,all').split(',');
/** --max-wait-ms of the batched server (default: the command's). */
const wait = arg('--max-wait-ms', '');

/** 100 request bodies of F features per step, lengths cycling through LENGTHS, values from a fixed LCG. */
function bodies(variant: string, F: number): string[] {
  let s = 12345;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return Math.round((s / 2 ** 31 - 0.5) * 2000) / 1000;
  };
  const outputs = variant === 'states' ? { outputs: ['h_n', 'c_n'] } : {};
  return Array.from({ length: 100 }, (_, i) => JSON.stringify({ inputs: Array.from({ length: LENGTHS[i % LENGTHS.length]! }, () => Array.from({ length: F }, rnd)), ...outputs }));
}

interface Server {
  name: string;
  child: ChildProcess;
  url: string;
}

async function start(name: string, args: string[]): Promise<Server> {
  const child = spawn(process.execPath, ['--import', TSX, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = out.match(/on (http:\/\/[\d.]+:\d+)/);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`${name} exited (${code}) before listening`)));
  });
  return { name, child, url };
}

async function stop(s: Server): Promise<void> {
  const exited = new Promise((r) => s.child.on('exit', r));
  s.child.kill('SIGTERM');
  await exited;
}

/** Batch-size sum and count from /metrics (0, 0 for a server without batching). */
async function batches(url: string): Promise<[number, number]> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sum = Number(text.match(/^torchlet_batch_size_sum (\S+)$/m)?.[1] ?? 0);
  const count = Number(text.match(/^torchlet_batch_size_count (\S+)$/m)?.[1] ?? 0);
  return [sum, count];
}

interface Row {
  model: string;
  server: string;
  variant: string;
  c: number;
  rps: number;
  p50: number;
  p99: number;
  batch: number | null;
  bad: number;
}

async function load(url: string, connections: number, seconds: number, variant: string, F: number): Promise<autocannon.Result> {
  const all = bodies(variant, F);
  let i = 0;
  return autocannon({
    url: `${url}/v1/predict`,
    connections,
    duration: seconds,
    requests: [{ method: 'POST', headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: all[i++ % all.length] }) }],
  });
}

const SERVERS = (m: Model): [string, string, string[]][] => [
  ['batched', 'torchlet serve (batched)', [join(ROOT, 'src', 'cli', 'main.ts'), 'serve', `${m.stem}.pt`, '--port', '0', ...(wait ? ['--max-wait-ms', wait] : [])]],
  ['unbatched', 'torchlet serve --max-batch 1', [join(ROOT, 'src', 'cli', 'main.ts'), 'serve', `${m.stem}.pt`, '--port', '0', '--max-batch', '1']],
  ['ort', 'onnxruntime-node session.run', [join(ROOT, 'bench', 'serve-ort.ts'), '--port', '0', '--model', `${m.stem}.onnx`, '--features', String(m.features), '--hidden', String(m.hidden)]],
];

const rows: Row[] = [];
const loads: number[] = [];
for (const m of models) {
  if (!existsSync(`${m.stem}.pt`) || !existsSync(`${m.stem}.onnx`)) {
    console.error(`making ${m.name} with PyTorch: /usr/bin/python3 tools/fixtures/serve_bench.py ${m.key}`);
    execFileSync('/usr/bin/python3', [join(ROOT, 'tools', 'fixtures', 'serve_bench.py'), m.key], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  for (const [key, name, args] of SERVERS(m)) {
    if (!only.includes(key)) continue;
    const server = await start(name, args);
    try {
      await load(server.url, 8, 2, 'all', m.features); // warm-up: JIT, worker start, wasm memory growth
      for (const variant of variants) {
        for (const c of concurrencies) {
          const [s0, n0] = await batches(server.url);
          const r = await load(server.url, c, duration, variant, m.features);
          const [s1, n1] = await batches(server.url);
          loads.push(loadavg()[0]!);
          const row: Row = { model: m.name, server: name, variant, c, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, batch: key === 'ort' ? null : n1 > n0 ? (s1 - s0) / (n1 - n0) : 0, bad: r.non2xx + r.errors + r.timeouts };
          rows.push(row);
          console.error(`${m.name}, ${name}, ${variant}, ${c} connections: ${row.rps.toFixed(0)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms${row.batch !== null ? `, mean batch ${row.batch.toFixed(1)}` : ''}${row.bad ? `, ${row.bad} failed` : ''}`);
        }
      }
    } finally {
      await stop(server);
    }
  }
}

const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
console.log(`\n${when} UTC, ${duration} s per row, load average during the runs ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} (1 min), Node ${process.versions.node}\n`);
console.log('| model | answer | server | connections | requests/s | p50 ms | p99 ms | p99/p50 | mean batch | failed |');
console.log('|---|---|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of [...rows].sort((a, b) => a.model.localeCompare(b.model) || variants.indexOf(a.variant) - variants.indexOf(b.variant))) {
  console.log(`| ${r.model} | ${r.variant === 'states' ? 'h_n, c_n' : 'output, h_n, c_n'} | ${r.server} | ${r.c} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.p50 > 0 ? (r.p99 / r.p50).toFixed(1) : "-"} | ${r.batch === null ? '-' : r.batch.toFixed(1)} | ${r.bad} |`);
}
const at = (model: string, server: string, variant: string, c: number) => rows.find((r) => r.model === model && r.server.startsWith(server) && r.variant === variant && r.c === c);
for (const m of models) {
  for (const variant of variants) {
    const b = at(m.name, 'torchlet serve (batched)', variant, 64);
    const u = at(m.name, 'torchlet serve --max-batch 1', variant, 64);
    const o = at(m.name, 'onnxruntime-node', variant, 64);
    if (b && u && o) {
      console.log(`\n${m.name}, ${variant === 'states' ? 'h_n, c_n' : 'output, h_n, c_n'} at 64 connections: batched / unbatched throughput ${(b.rps / u.rps).toFixed(2)}x (target >= 2), batched / onnxruntime-node ${(b.rps / o.rps).toFixed(2)}x (target >= 1), p99/p50 ${(b.p99 / b.p50).toFixed(1)} (target < 5).`);
    }
  }
}
