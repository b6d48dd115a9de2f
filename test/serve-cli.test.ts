/**
 * `torchlet serve` as a user runs it: the real CLI in a subprocess (node + tsx on src/cli/main.ts,
 * as test/cli.test.ts), on a random port, with a worker thread. Graceful shutdown: requests queued
 * when SIGTERM arrives are all answered (a long --max-wait-ms holds them in the queue until the
 * shutdown flushes it, so nothing depends on timing), and the process exits 0 by itself.
 */

import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { expectClose, TOL } from './helpers/fixtures.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
const TSX = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
/** nn.LSTM(4, 5, num_layers=2, bidirectional=True), saved by PyTorch (tools/fixtures/io.py). */
const FIXTURE = join(ROOT, 'test', 'fixtures', 'io_lstm.pt');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(args: readonly string[]): { child: ChildProcess; exit: Promise<Exit>; url: Promise<string> } {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, 'serve', ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  let found: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => {
    found = resolve;
  });
  child.stdout!.on('data', (d) => {
    stdout += d;
    const m = stdout.match(/on (http:\/\/[\d.]+:\d+)/);
    if (m) found(m[1]!);
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const exit = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  const listening = Promise.race([url, exit.then((e) => Promise.reject(new Error(`serve exited (${e.code}) before listening: ${e.stderr}`)))]);
  listening.catch(() => {}); // the runs that are meant to fail never listen
  return { child, exit, url: listening };
}

/** The fixture's LSTM, loaded here as the CLI loads it. */
function fixtureModel(): torch.nn.LSTM {
  const lstm = new torch.nn.LSTM(4, 5, { numLayers: 2, bidirectional: true });
  lstm.loadStateDict(torch.load(new Uint8Array(readFileSync(FIXTURE))) as Record<string, Tensor>);
  lstm.eval();
  return lstm;
}

describe('torchlet serve (subprocess)', () => {
  it('SIGTERM: every queued request is answered, then the process exits 0', async () => {
    const server = start([FIXTURE, '--port', '0', '--workers', '1', '--max-wait-ms', '600000', '--max-batch', '64']);
    try {
      const url = await server.url;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      torch.manualSeed(21);
      const xs = [3, 9, 1, 6, 14, 2].map((L) => torch.randn(L, 4));
      const pending = xs.map((x) => fetch(`${url}/v1/predict`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ inputs: x.tolist() }) }));
      // Wait (polling, no timing) until the server holds all of them in its queue.
      for (;;) {
        const m = (await (await fetch(`${url}/metrics`)).text()).match(/^torchlet_queue_length (\d+)$/m);
        if (Number(m?.[1]) === xs.length) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      server.child.kill('SIGTERM');
      const answers = await Promise.all(pending);
      expect(answers.map((r) => r.status)).toEqual(xs.map(() => 200));
      const lstm = fixtureModel();
      for (const [i, r] of answers.entries()) {
        const got = (await r.json()) as { output: number[][]; h_n: number[][]; c_n: number[][] };
        const [out, [h, c]] = torch.noGrad(() => lstm.forward(xs[i]!)) as [Tensor, [Tensor, Tensor]];
        expectClose(torch.tensor(got.output), out, TOL.f32, `output ${i}`);
        expectClose(torch.tensor(got.h_n), h, TOL.f32, `h_n ${i}`);
        expectClose(torch.tensor(got.c_n), c, TOL.f32, `c_n ${i}`);
      }
      const exit = await server.exit;
      expect(exit.code, exit.stderr).toBe(0);
      expect(exit.signal).toBeNull();
      expect(exit.stderr.trim()).toBe('torchlet serve: SIGTERM: finishing the accepted requests, then exiting');
      expect(exit.stdout).toMatch(/nn\.LSTM\(4, 5, num_layers=2, bidirectional=True\) \(1120 parameters\)/);
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    } finally {
      server.child.kill('SIGKILL');
    }
  }, 180_000);

  it('bad command lines: one line on stderr, exit 2 (usage) or 1 (failed)', async () => {
    const runs = await Promise.all([
      start([FIXTURE, '--max-batch', '0']).exit,
      start([FIXTURE, '--port', '70000']).exit,
      start([join(ROOT, 'no-such-model.pt')]).exit,
      start([FIXTURE, '--arch', 'nn.GRU(4, 5)']).exit,
    ]);
    const expected: [number, RegExp][] = [
      [2, /^torchlet serve: --max-batch must be an integer >= 1, got "0"$/],
      [2, /^torchlet serve: --port must be at most 65535, got 70000$/],
      [1, /^torchlet serve: no such file: .*no-such-model\.pt$/],
      [1, /^torchlet serve: the weights in .*io_lstm\.pt do not fit nn\.GRU\(4, 5\)/],
    ];
    runs.forEach((r, i) => {
      expect(r.code, r.stderr).toBe(expected[i]![0]);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(expected[i]![1]);
    });
  }, 180_000);
});
