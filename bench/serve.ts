/**
 * Load test of `torchlet serve` (issue 21) on loopback, against three servers of the same model
 * (tools/fixtures/serve_bench.py, PyTorch's weights and PyTorch's ONNX export):
 * - torchlet, batched: `torchlet serve MODEL.pt` (defaults: workers one per core, --max-batch 64,
 *   --max-wait-ms 0);
 * - torchlet, unbatched: the same with --max-batch 1;
 * - onnxruntime-node: the same HTTP front with session.run per request on PyTorch's ONNX export
 *   (bench/serve-ort.ts).
 * Two models: `small`, nn.LSTM(32, 128, num_layers=2) (its compute per request is of the order of the
 * HTTP + JSON work around it: test/fixtures/serve_bench_lstm.*), and `w2`, nn.LSTM(128, 256,
 * num_layers=2), the benchmark's W2 layer (a mid-size model whose compute dominates; 3.7 MB, so
 * generated into bench/.cache/ by `/usr/bin/python3 tools/fixtures/serve_bench.py w2` when missing).
 *
 * The load: wrk (Debian's package `wrk`, a C client, one thread), with a Lua script that sends 100
 * request bodies of mixed lengths (8, 16, 32, 64, 128 steps, JSON) in turn, asking for the final
 * states only (`"outputs": ["h_n", "c_n"]`) or for everything (also `output`, (L, H) per request).
 * wrk and the servers share this machine's cores, so the client's own CPU a request is taken from the
 * servers: wrk spends about 30 us a request; autocannon (`--client autocannon`, the fallback when wrk
 * is not installed) spends 100-200 us in JavaScript parsing every answer, which on 2 cores is a sizeable
 * part of what the batched server spends, and flattens the comparison.
 *
 * Every server of a model is started once and warmed up (2 s); then `--rounds` rounds (default 3), each
 * running every cell (answer x connections x server) for `--duration` seconds (default 5), servers
 * interleaved, so that a slow minute of the machine falls on all three. Reported per cell: the median
 * over rounds of requests/s, p50 and p99 latency, the server's CPU time a request (its process's user +
 * system time over the run, /proc, all threads), the mean batch size (from /metrics), and the range of
 * requests/s. The targets use the medians. About 11 minutes with the defaults.
 *
 *   npm run bench:serve     # or: npx tsx bench/serve.ts --models w2 --duration 5 --rounds 3 --concurrency 1,64 --outputs states --servers batched,ort
 */

import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { median } from './workloads.js';

const ROOT = join(import.meta.dirname, '..');
const TSX = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const CACHE = join(ROOT, 'bench', '.cache');
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
  { key: 'w2', name: 'nn.LSTM(128, 256, num_layers=2)', stem: join(CACHE, 'serve_bench_w2'), features: 128, hidden: 256 },
];

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : dflt;
}
const duration = Number(arg('--duration', '5'));
const rounds = Number(arg('--rounds', '3'));
const models = arg('--models', 'small,w2').split(',').map((k) => {
  const m = MODELS.find((x) => x.key === k);
  if (!m) throw new Error(`--models: no model ${k} (${MODELS.map((x) => x.key).join(', ')})`);
  return m;
});
const concurrencies = arg('--concurrency', '1,8,64').split(',').map(Number);
const only = arg('--servers', 'batched,unbatched,ort').split(',');
/** What the requests ask for: `states` ("outputs": ["h_n", "c_n"]: the final states) and/or `all` (also output, (L, H) per request). */
const variants = arg('--outputs', 'states,all').split(',');
/** --max-wait-ms of the batched server (default: the command's). */
const wait = arg('--max-wait-ms', '');
const hasWrk = spawnSync('wrk', ['--version']).error === undefined;
const client = arg('--client', hasWrk ? 'wrk' : 'autocannon');
if (client === 'wrk' && !hasWrk) throw new Error('--client wrk: wrk is not installed (Debian: apt-get install wrk)');
if (client !== 'wrk' && client !== 'autocannon') throw new Error(`--client: wrk or autocannon, got ${client}`);
if (client === 'autocannon' && !hasWrk) console.error('wrk is not installed (Debian: apt-get install wrk): autocannon runs the load, in this process (see the file header)');

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

/** wrk's script: the bodies of a file (one a line) in turn; at the end one JSON line of results. */
const WRK_LUA = `local bodies = {}
local i = 0
function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
end
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "/v1/predict", { ["Content-Type"] = "application/json" }, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"us":%d,"p50":%d,"p99":%d,"status":%d,"errors":%d}\\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
`;

interface Server {
  key: string;
  name: string;
  child: ChildProcess;
  url: string;
}

async function start(key: string, name: string, args: string[]): Promise<Server> {
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
  return { key, name, child, url };
}

async function stop(s: Server): Promise<void> {
  const exited = new Promise((r) => s.child.on('exit', r));
  s.child.kill('SIGTERM');
  await exited;
}

/** A process's CPU time so far (user + system, all threads), in seconds; null off Linux. */
function cpuSeconds(pid: number | undefined): number | null {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (100 a second on Linux)
  } catch {
    return null;
  }
}

/** Batch-size sum and count from /metrics (0, 0 for a server without batching). */
async function batches(url: string): Promise<[number, number]> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sum = Number(text.match(/^torchlet_batch_size_sum (\S+)$/m)?.[1] ?? 0);
  const count = Number(text.match(/^torchlet_batch_size_count (\S+)$/m)?.[1] ?? 0);
  return [sum, count];
}

interface Load {
  requests: number;
  rps: number;
  /** ms */
  p50: number;
  p99: number;
  bad: number;
}

async function load(url: string, connections: number, seconds: number, file: string, all: string[]): Promise<Load> {
  if (client === 'wrk') {
    const r = spawnSync('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '30s', '-s', WRK_SCRIPT, `${url}`, '--', file], { encoding: 'utf8' });
    const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
    if (!line) throw new Error(`wrk failed: ${r.stderr || r.stdout}`);
    const j = JSON.parse(line) as { requests: number; us: number; p50: number; p99: number; status: number; errors: number };
    return { requests: j.requests, rps: j.requests / (j.us / 1e6), p50: j.p50 / 1000, p99: j.p99 / 1000, bad: j.status + j.errors };
  }
  let i = 0;
  const r = await autocannon({
    url: `${url}/v1/predict`,
    connections,
    duration: seconds,
    requests: [{ method: 'POST', headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: all[i++ % all.length] }) }],
  });
  return { requests: r.requests.total, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, bad: r.non2xx + r.errors + r.timeouts };
}

const SERVERS = (m: Model): [string, string, string[]][] => [
  ['batched', 'torchlet serve (batched)', [join(ROOT, 'src', 'cli', 'main.ts'), 'serve', `${m.stem}.pt`, '--port', '0', ...(wait ? ['--max-wait-ms', wait] : [])]],
  ['unbatched', 'torchlet serve --max-batch 1', [join(ROOT, 'src', 'cli', 'main.ts'), 'serve', `${m.stem}.pt`, '--port', '0', '--max-batch', '1']],
  ['ort', 'onnxruntime-node session.run', [join(ROOT, 'bench', 'serve-ort.ts'), '--port', '0', '--model', `${m.stem}.onnx`, '--features', String(m.features), '--hidden', String(m.hidden)]],
];

interface Run extends Load {
  model: string;
  server: string;
  variant: string;
  c: number;
  batch: number | null;
  /** Server CPU time a request, us. */
  cpu: number | null;
}

mkdirSync(CACHE, { recursive: true });
const WRK_SCRIPT = join(CACHE, 'serve-bench.lua');
writeFileSync(WRK_SCRIPT, WRK_LUA);
const runs: Run[] = [];
const loads: number[] = [];
for (const m of models) {
  if (!existsSync(`${m.stem}.pt`) || !existsSync(`${m.stem}.onnx`)) {
    console.error(`making ${m.name} with PyTorch: /usr/bin/python3 tools/fixtures/serve_bench.py ${m.key}`);
    execFileSync('/usr/bin/python3', [join(ROOT, 'tools', 'fixtures', 'serve_bench.py'), m.key], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const files = new Map<string, [string, string[]]>();
  for (const v of new Set([...variants, 'all'])) {
    const all = bodies(v, m.features);
    const file = join(CACHE, `serve-bench-${m.key}-${v}.txt`);
    writeFileSync(file, `${all.join('\n')}\n`);
    files.set(v, [file, all]);
  }
  const servers: Server[] = [];
  try {
    for (const [key, name, args] of SERVERS(m)) if (only.includes(key)) servers.push(await start(key, name, args));
    for (const s of servers) await load(s.url, 8, 2, ...files.get('all')!); // warm-up: JIT, worker start, wasm memory growth
    for (let round = 1; round <= rounds; round++) {
      for (const variant of variants) {
        for (const c of concurrencies) {
          for (const s of servers) {
            const [s0, n0] = await batches(s.url);
            const t0 = cpuSeconds(s.child.pid);
            const r = await load(s.url, c, duration, ...files.get(variant)!);
            const t1 = cpuSeconds(s.child.pid);
            const [s1, n1] = await batches(s.url);
            loads.push(loadavg()[0]!);
            const run: Run = { model: m.name, server: s.name, variant, c, ...r, batch: s.key === 'ort' ? null : n1 > n0 ? (s1 - s0) / (n1 - n0) : 0, cpu: t0 !== null && t1 !== null && r.requests > 0 ? ((t1 - t0) * 1e6) / r.requests : null };
            runs.push(run);
            console.error(`round ${round}: ${m.name}, ${s.name}, ${variant}, ${c} connections: ${run.rps.toFixed(0)} req/s, p50 ${run.p50.toFixed(1)} ms, p99 ${run.p99.toFixed(1)} ms${run.cpu !== null ? `, ${run.cpu.toFixed(0)} us CPU a request` : ''}${run.batch !== null ? `, mean batch ${run.batch.toFixed(1)}` : ''}${run.bad ? `, ${run.bad} failed` : ''}`);
          }
        }
      }
    }
  } finally {
    for (const s of servers) await stop(s);
  }
}

interface Cell {
  model: string;
  server: string;
  variant: string;
  c: number;
  rps: number;
  lo: number;
  hi: number;
  p50: number;
  p99: number;
  cpu: number | null;
  batch: number | null;
  bad: number;
}
const cells: Cell[] = [];
for (const r of runs) {
  if (cells.some((c) => c.model === r.model && c.server === r.server && c.variant === r.variant && c.c === r.c)) continue;
  const same = runs.filter((x) => x.model === r.model && x.server === r.server && x.variant === r.variant && x.c === r.c);
  const cpus = same.map((x) => x.cpu).filter((x): x is number => x !== null);
  cells.push({
    model: r.model,
    server: r.server,
    variant: r.variant,
    c: r.c,
    rps: median(same.map((x) => x.rps)),
    lo: Math.min(...same.map((x) => x.rps)),
    hi: Math.max(...same.map((x) => x.rps)),
    p50: median(same.map((x) => x.p50)),
    p99: median(same.map((x) => x.p99)),
    cpu: cpus.length ? median(cpus) : null,
    batch: r.batch === null ? null : median(same.map((x) => x.batch ?? 0)),
    bad: same.reduce((a, x) => a + x.bad, 0),
  });
}

const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
console.log(`\n${when} UTC, ${client}, ${rounds} rounds of ${duration} s per cell (medians), load average during the runs ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} (1 min), Node ${process.versions.node}\n`);
console.log('| model | answer | server | connections | requests/s (median) | range | p50 ms | p99 ms | p99/p50 | server CPU us/request | mean batch | failed |');
console.log('|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of [...cells].sort((a, b) => a.model.localeCompare(b.model) || variants.indexOf(a.variant) - variants.indexOf(b.variant) || a.c - b.c)) {
  console.log(
    `| ${r.model} | ${r.variant === 'states' ? 'h_n, c_n' : 'output, h_n, c_n'} | ${r.server} | ${r.c} | ${r.rps.toFixed(0)} | ${r.lo.toFixed(0)}-${r.hi.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.p50 > 0 ? (r.p99 / r.p50).toFixed(1) : '-'} | ${r.cpu === null ? '-' : r.cpu.toFixed(0)} | ${r.batch === null ? '-' : r.batch.toFixed(1)} | ${r.bad} |`,
  );
}
const at = (model: string, server: string, variant: string, c: number) => cells.find((r) => r.model === model && r.server.startsWith(server) && r.variant === variant && r.c === c);
const perRound = (model: string, variant: string): string => {
  const b = runs.filter((r) => r.model === model && r.server.startsWith('torchlet serve (batched)') && r.variant === variant && r.c === 64);
  const u = runs.filter((r) => r.model === model && r.server.startsWith('torchlet serve --max-batch 1') && r.variant === variant && r.c === 64);
  return b.map((x, i) => (u[i] ? (x.rps / u[i]!.rps).toFixed(2) : '-')).join(', ');
};
for (const m of models) {
  for (const variant of variants) {
    const b = at(m.name, 'torchlet serve (batched)', variant, 64);
    const u = at(m.name, 'torchlet serve --max-batch 1', variant, 64);
    const o = at(m.name, 'onnxruntime-node', variant, 64);
    if (b && u && o) {
      console.log(
        `\n${m.name}, ${variant === 'states' ? 'h_n, c_n' : 'output, h_n, c_n'} at 64 connections: batched / unbatched throughput ${(b.rps / u.rps).toFixed(2)}x (target >= 2; round by round ${perRound(m.name, variant)})${b.cpu && u.cpu ? `, CPU a request ${(u.cpu / b.cpu).toFixed(2)}x less` : ''}; batched / onnxruntime-node ${(b.rps / o.rps).toFixed(2)}x (target >= 1); p99/p50 ${(b.p99 / b.p50).toFixed(1)} (target < 5).`,
      );
    }
  }
}
