/**
 * The `torchlet` command end to end, each run a subprocess (node + tsx on src/cli/main.ts) as a
 * user runs it: exit codes, stdout, the files written (convert's output reloads and matches, train
 * lowers the loss and writes a valid SVG and a config predict reads), Ctrl-C, and the bad-input
 * list (one line on stderr, no stack trace, no partial file). Small CSVs and 1-3 epochs keep it
 * fast; the runs of a group go concurrently.
 */

import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as torch from '../src/index.js';
import { validateConfig } from '../src/forecast/config.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIX = join(ROOT, 'test', 'fixtures');
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
/** tsx's loader by path, so the runs can use any working directory. */
const TSX = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
let tmp = '';
vi.setConfig({ testTimeout: 240_000 });

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** At most two runs at a time (the machine may have two cores). */
let running = 0;
const waiting: (() => void)[] = [];
async function slot(): Promise<() => void> {
  if (running >= 2) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  return () => {
    running--;
    waiting.shift()?.();
  };
}

function start(args: readonly string[]): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], { cwd: tmp || ROOT, env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

async function cli(...args: string[]): Promise<Run> {
  const release = await slot();
  try {
    return await start(args).done;
  } finally {
    release();
  }
}

/** The bad-input contract: the exit code, one readable line on stderr, no stack trace. */
function expectFailure(r: Run, code: number, message: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/** A small daily series with a weekly rhythm, a trend and seeded noise: `date,sales,temp`. */
function smallCsv(rows: number): string {
  torch.manualSeed(3);
  const noise = torch.randn(rows).toFloat32Array();
  const lines = ['date,sales,temp'];
  for (let i = 0; i < rows; i++) {
    const d = new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
    const week = [0, 5, 9, 10, 8, 14, 3][i % 7]!;
    lines.push(`${d},${(100 + i * 0.05 + week + noise[i]!).toFixed(2)},${(10 + 5 * Math.sin(i / 20)).toFixed(2)}`);
  }
  return `${lines.join('\n')}\n`;
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'torchlet-cli-'));
  writeFileSync(join(tmp, 'small.csv'), smallCsv(240));
  writeFileSync(join(tmp, 'recent.csv'), smallCsv(240).split('\n').slice(0, 1).concat(smallCsv(240).split('\n').slice(200)).join('\n'));
  writeFileSync(join(tmp, 'bad-cell.csv'), 'date,sales\n2020-01-01,1\n2020-01-02,2\n2020-01-03,n/a\n2020-01-04,4\n');
  writeFileSync(join(tmp, 'short.csv'), smallCsv(20));
  writeFileSync(join(tmp, 'notes.pt'), 'this is not a checkpoint\n');
  const lstm = readFileSync(join(FIX, 'io_lstm.pt'));
  writeFileSync(join(tmp, 'truncated.pt'), lstm.subarray(0, Math.floor(lstm.length / 2)));
  copyFileSync(join(FIX, 'io_lstm.pt'), join(tmp, 'lstm.pt'));
  mkdirSync(join(tmp, 'empty-dir'));
  const two = { ...prefixed('lstm.', new torch.nn.LSTM(3, 4)), ...prefixed('head.', new torch.nn.Linear(4, 1)) };
  writeFileSync(join(tmp, 'two-layers.safetensors'), torch.io.saveSafetensors(two));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function prefixed(prefix: string, m: torch.nn.Module): Record<string, torch.Tensor> {
  return Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [prefix + k, t]));
}

/** No temporary file left behind (of `name`, when other runs may be writing in the same folder). */
// Atomic writes' temporary files are `.torchlet-<first 16 hex of sha256(target's name)>-....tmp`
// (src/node.ts): with a name, only that target's count (a concurrent convert writes beside it).
const noStrayFiles = (dir: string, name = '') => {
  const stem = name === '' ? '.torchlet-' : `.torchlet-${createHash('sha256').update(name).digest('hex').slice(0, 16)}-`;
  expect(readdirSync(dir).filter((f) => f.endsWith('.tmp') && f.startsWith(stem))).toEqual([]);
};

describe.concurrent('help and usage', () => {
  it('--help on the program and on every command: exit 0', async () => {
    const runs = await Promise.all([cli('--help'), ...['explain', 'inspect', 'convert', 'train', 'predict'].map((c) => cli(c, '--help'))]);
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(runs[0]!.stdout).toMatch(/Usage: torchlet \[options\] \[command\]/);
    for (const [i, c] of ['explain', 'inspect', 'convert', 'train', 'predict'].entries()) {
      expect(runs[i + 1]!.stdout).toContain(`Usage: torchlet ${c}`);
      expect(runs[i + 1]!.stdout).toContain('--json');
    }
    expect(runs[4]!.stdout).toContain('--window <n>');
  });

  it('an unknown option or command is a usage error: exit 2, one line', async () => {
    const [opt, cmd, missing] = await Promise.all([cli('train', '--epoks', '3'), cli('trian'), cli('inspect')]);
    expectFailure(opt, 2, /unknown option '--epoks'.*--epochs/);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toMatch(/unknown command 'trian'/);
    expectFailure(missing, 2, /missing required argument 'file'/);
  });
});

describe.concurrent('explain', () => {
  it('the tutorial configuration, pasted from Python: every shape, no colour off a terminal', async () => {
    const r = await cli('explain', 'nn.LSTM(60, 20, num_layers=2, batch_first=True, dropout=0.2, bidirectional=True)', '--input', '32,100,60');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('out output (N=32, L=100, D*Hout=40)');
    expect(r.stdout).toContain('out hN     (D*num_layers=4, N=32, Hout=20)');
    expect(r.stdout).toContain('layer 1 reverse');
    expect(r.stdout).toContain('fix:');
    expect(r.stdout).not.toContain('\u001b[');
    expect(r.stderr).toBe('');
  });

  it('--json; torchlet spelling; packed lengths', async () => {
    const [j, ts, packed] = await Promise.all([
      cli('explain', 'nn.GRU(8, 16, bidirectional=True)', '--input', '5,3,8', '--json'),
      cli('explain', 'new nn.LSTM(10, 20, { projSize: 5 })', '-i', '7,3,10'),
      cli('explain', 'nn.LSTM(10, 20)', '--input', '7,3,10', '--lengths', '5,7,3', '--no-enforce-sorted', '--json'),
    ]);
    expect(j.code).toBe(0);
    const report = JSON.parse(j.stdout);
    expect(report.version).toBe(1);
    expect(report.nodes[0].outputs.map((t: { dims: { size: number }[] }) => t.dims.map((d) => d.size))).toEqual([[5, 3, 32], [2, 3, 16]]);
    expect(ts.code).toBe(0);
    expect(ts.stdout).toContain('weight_hr_l0 (Hproj=5, Hcell=20)');
    expect(packed.code).toBe(0);
    expect(JSON.parse(packed.stdout).nodes[0].inputs[0].dims).toEqual([{ sym: 'sum(lengths)', size: 15 }, { sym: 'Hin', size: 10 }]);
  });

  it('an input the model cannot take: the report with the error and the fix, exit 1', async () => {
    const r = await cli('explain', 'nn.GRU(60, 20, batch_first=True)', '--input', '32,60,100');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/error.*Expected 60, got 100/);
    expect(r.stdout).toContain('fix: bring the features last: x.transpose(1, 2)');
  });

  it('a constructor that does not parse says where: exit 2', async () => {
    const [a, b, c] = await Promise.all([
      cli('explain', 'nn.LSTM(60, 20,, 2)', '--input', '3,4,60'),
      cli('explain', 'nn.LSTM(60, 20, num_layer=2)', '--input', '3,4,60'),
      cli('explain', 'nn.LSTM(60, 20)', '--input', '3,a,60'),
    ]);
    expectFailure(a, 2, /^torchlet explain: cannot read the constructor "nn.LSTM\(60, 20,, 2\)": expected a value at column 16/);
    expectFailure(b, 2, /unexpected keyword argument 'num_layer' at column 17/);
    expectFailure(c, 2, /--input must be a shape of positive integers/);
  });

  it('a checkpoint: its architecture, inferred', async () => {
    const r = await cli('explain', join(FIX, 'io_lstm.pt'), '--input', '6,2,4');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('LSTM(4, 5, num_layers=2, bidirectional=True)');
    expect(r.stdout).toContain('out output (L=6, N=2, D*Hout=10)');
  });
});

describe.concurrent('inspect', () => {
  it('a nested checkpoint: entries and which holds the weights; the recognised layer as PyTorch and torchlet code', async () => {
    const r = await cli('inspect', join(FIX, 'io_checkpoint.pt'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/model\s+dict of \d+ entries \(\d+ tensors\)\s+← the weights/);
    expect(r.stdout).toMatch(/epoch\s+3/);
    expect(r.stdout).toMatch(/PyTorch:\s+nn\.GRU\(/);
    expect(r.stdout).toMatch(/torchlet: new nn\.GRU\(/);
  });

  it('safetensors (--json), the legacy format, and projections', async () => {
    const [st, legacy, proj] = await Promise.all([
      cli('inspect', join(FIX, 'io_lstm.safetensors'), '--json'),
      cli('inspect', join(FIX, 'io_lstm_legacy.pt')),
      cli('inspect', join(FIX, 'io_lstm_proj.pt'), '--json'),
    ]);
    const j = JSON.parse(st.stdout);
    expect(j.format).toBe('safetensors');
    expect(j.layers[0].pytorch).toBe('nn.LSTM(4, 5, num_layers=2, bidirectional=True)');
    expect(j.tensors[0]).toMatchObject({ dtype: 'F32' });
    expect(j.totalParameters).toBe(j.tensors.reduce((a: number, t: { count: number }) => a + t.count, 0));
    expect(legacy.stdout).toContain('legacy format');
    expect(JSON.parse(proj.stdout).layers[0].projSize).toBeGreaterThan(0);
  });
});

describe.concurrent('convert', () => {
  it('.pt → .safetensors → .pt: reloaded and checked, tensors identical', async () => {
    const a = await cli('convert', 'lstm.pt', 'lstm.safetensors');
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/check reloaded: 16 tensors identical; the model \(inferred: LSTM\) gives identical outputs/);
    const b = await cli('convert', 'lstm.safetensors', 'back.pt');
    expect(b.code, b.stderr).toBe(0);
    const orig = torch.io.toStateDict(torch.load(new Uint8Array(readFileSync(join(FIX, 'io_lstm.pt')))));
    const back = torch.io.toStateDict(torch.load(new Uint8Array(readFileSync(join(tmp, 'back.pt')))));
    expect(Object.keys(back).sort()).toEqual(Object.keys(orig).sort());
    for (const k of Object.keys(orig)) expect(Array.from(back[k]!.toFloat32Array())).toEqual(Array.from(orig[k]!.toFloat32Array()));
  });

  it('.pt → .onnx, checked in onnxruntime-node; inspect reads it back', async () => {
    const r = await cli('convert', 'lstm.pt', 'lstm.onnx', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).check).toMatch(/ran in onnxruntime-node on a random batch/);
    const i = await cli('inspect', 'lstm.onnx');
    expect(i.stdout).toMatch(/LSTM node .*hidden_size 5, direction bidirectional, input size 4/);
  });

  it('a checkpoint whose layers cannot be wired: exit 1, and no output file left', async () => {
    const r = await cli('convert', 'two-layers.safetensors', 'multi.onnx');
    expect(r.stderr).toMatch(/2 layers \(head\. nn\.Linear\(4, 1\); lstm\. nn\.LSTM\(3, 4\)\).*pass the model with --arch/);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(tmp, 'multi.onnx'))).toBe(false);
    noStrayFiles(tmp, 'multi.onnx');
  });
});

describe('train and predict', () => {
  const run = () => join(tmp, 'run');
  it('trains on a small CSV: the loss goes down, a valid SVG and a config predict reads', async () => {
    const r = await cli('train', '--data', 'small.csv', '--target', 'sales', '--window', '14', '--hidden', '8', '--epochs', '2', '--out', 'run', '--lr', '0.02');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/epoch 1\/2 {2}train loss/);
    expect(r.stdout).toMatch(/seasonal naive \(the value 7 steps earlier\)/);
    expect(r.stdout).toMatch(/the LSTM (beats|does not beat) the baseline/);
    const config = validateConfig(JSON.parse(readFileSync(join(run(), 'model.json'), 'utf8')));
    expect(config.data.columns).toEqual(['sales', 'temp']);
    expect(config.data.dateColumn).toBe('date');
    expect(config.training.epochsDone).toBe(2);
    expect(config.training.trainLoss[1]!).toBeLessThan(config.training.trainLoss[0]!);
    const svg = readFileSync(join(run(), 'training.svg'), 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect((svg.match(/<g /g) ?? []).length).toBe((svg.match(/<\/g>/g) ?? []).length);
    expect((svg.match(/<path d="M[\d.]+,[\d.]+( L[\d.]+,[\d.]+)+"/g) ?? []).length).toBe(5);
    expect(svg).not.toMatch(/NaN|undefined/);
    noStrayFiles(run());
  });

  it('--resume continues to --epochs, keeping the record', async () => {
    const before = JSON.parse(readFileSync(join(run(), 'model.json'), 'utf8'));
    const r = await cli('train', '--data', 'small.csv', '--target', 'sales', '--out', 'run', '--resume', '--epochs', '3', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.epochsDone).toBe(3);
    expect(j.trainLoss.slice(0, 2)).toEqual(before.training.trainLoss);
  });

  it('predicts the next steps as CSV, --json, and a plot', async () => {
    const [csv, json, plot] = await Promise.all([
      cli('predict', 'run', '--data', 'recent.csv', '--steps', '1'),
      cli('predict', join('run', 'model.safetensors'), '--data', 'recent.csv', '--json'),
      cli('predict', 'run', '--data', 'recent.csv', '--out', 'f.csv', '--plot', 'f.svg'),
    ]);
    expect(csv.code, csv.stderr).toBe(0);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe('date,step,sales_forecast');
    expect(lines[1]).toMatch(/^2020-08-28,1,\d+\.\d+$/);
    expect(JSON.parse(json.stdout).forecasts[0].date).toBe('2020-08-28');
    expect(plot.code, plot.stderr).toBe(0);
    expect(readFileSync(join(tmp, 'f.csv'), 'utf8').split('\n')[1]).toBe(lines[1]);
    expect(readFileSync(join(tmp, 'f.svg'), 'utf8')).toContain('</svg>');
    // Past the horizon with two columns: the forecasts cannot be fed back in.
    expectFailure(await cli('predict', 'run', '--data', 'recent.csv', '--steps', '3'), 2, /past the model's horizon/);
  });

  it('trains on the built-in births data (no --data) and beats the weekly baseline', async () => {
    const r = await cli('train', '--epochs', '2', '--out', 'births', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.validation.points).toBe(725);
    expect(j.validation.baselineMae).toBeCloseTo(446.06, 1);
    expect(j.validation.mae).toBeLessThan(j.validation.baselineMae);
  });

  it('Ctrl-C stops after the current batch, saves, and exits 130', async () => {
    const { child, done } = start(['train', '--epochs', '50', '--out', 'interrupted']);
    await new Promise<void>((resolve, reject) => {
      const poll = setInterval(() => {
        if (existsSync(join(tmp, 'interrupted', 'model.json'))) {
          clearInterval(poll);
          resolve();
        }
      }, 50);
      done.then((r) => {
        clearInterval(poll);
        reject(new Error(`train ended before its first checkpoint: ${r.stderr}`));
      });
    });
    child.kill('SIGINT');
    const r = await done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain('stopping after this batch and saving');
    expect(r.stdout).toMatch(/stopped after epoch \d+: continue with --resume/);
    const cfg = validateConfig(JSON.parse(readFileSync(join(tmp, 'interrupted', 'model.json'), 'utf8')));
    expect(cfg.training.epochsDone).toBeGreaterThanOrEqual(1);
    expect(cfg.training.epochsDone).toBeLessThan(50);
    noStrayFiles(join(tmp, 'interrupted'));
  });
});

describe.concurrent('bad input: one line on stderr, no stack, no partial file', () => {
  it('missing, unreadable and wrong-format files, a corrupt checkpoint', async () => {
    const [missing, folder, wrong, corrupt, notModel] = await Promise.all([
      cli('inspect', 'nope.pt'),
      cli('train', '--data', 'empty-dir', '--target', 'x', '--out', 'never1'),
      cli('inspect', 'notes.pt'),
      cli('inspect', 'truncated.pt'),
      cli('inspect', 'small.csv'),
    ]);
    expectFailure(missing, 1, /^torchlet inspect: no such file: nope\.pt$/);
    expectFailure(folder, 1, /empty-dir is a folder, not a file/);
    expectFailure(wrong, 1, /notes\.pt: .*not a PyTorch checkpoint/);
    expectFailure(corrupt, 1, /truncated\.pt: /);
    expectFailure(notModel, 1, /not a model file torchlet reads/);
    expect(existsSync(join(tmp, 'never1'))).toBe(false);
  });

  it('CSV problems name the row and column; a window longer than the data', async () => {
    const [col, cell, short] = await Promise.all([
      cli('train', '--data', 'small.csv', '--target', 'revenue', '--out', 'never2'),
      cli('train', '--data', 'bad-cell.csv', '--target', 'sales', '--out', 'never3'),
      cli('train', '--data', 'short.csv', '--target', 'sales', '--window', '28', '--out', 'never4'),
    ]);
    expectFailure(col, 1, /no column "revenue" \(numeric columns: "sales", "temp"; "date" holds dates\)/);
    expectFailure(cell, 1, /bad-cell\.csv: row 4, column "sales": "n\/a" is not a number/);
    expectFailure(short, 1, /the window is longer than the data: 20 rows/);
    for (const d of ['never2', 'never3', 'never4']) expect(existsSync(join(tmp, d))).toBe(false);
  });

  it('bad option values are usage errors; --debug adds the stack', async () => {
    const [epochs, model, debug] = await Promise.all([
      cli('train', '--epochs', 'many'),
      cli('train', '--model', 'transformer'),
      cli('inspect', 'truncated.pt', '--debug'),
    ]);
    expectFailure(epochs, 2, /--epochs must be an integer >= 1, got "many"/);
    expect(model.code).toBe(2);
    expect(model.stderr).toMatch(/argument 'transformer' is invalid/);
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });
});
