/**
 * The playground's train and load panels in Chromium. Train: 3 epochs on the last 420 rows of the
 * births data shipped with the page, in the worker (2 threads when cross-origin isolated); the loss
 * chart gets points, the loss falls, the main thread has no task over 200 ms, and the downloaded
 * model.safetensors + model.json load back in Node (`loadSafetensors`) and give the page's
 * forecasts; `torchlet predict` runs them. Stop and resume on the page without COOP/COEP (one
 * thread). Load: fixture checkpoints show the architecture `torchlet inspect` infers and a run;
 * corrupt and hostile files show the loader's error. Screenshots at 1280x800 and 390 px wide.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noGrad } from '../src/autograd/grad-mode.js';
import { inspectCommand } from '../src/cli/inspect.js';
import { predictCommand } from '../src/cli/predict.js';
import { validateConfig } from '../src/forecast/config.js';
import { parseCsv } from '../src/forecast/csv.js';
import { Forecaster, normalise, windows } from '../src/forecast/model.js';
import { load } from '../src/io/checkpoint.js';
import { loadSafetensors } from '../src/io/safetensors.js';
import { birthsCsv, lastRows } from '../web/src/births.js';
import { captureStdout, type Harness, PLAIN, ROOT, SHOTS, startHarness, VIEWPORTS } from './playground/harness.js';

const FIXTURES = join(ROOT, 'test', 'fixtures');
const BIRTHS = readFileSync(join(ROOT, 'assets', 'us-births-1994-2003.csv'), 'utf8');
const ROWS = 420;

let hx: Harness;
let page: Page;
const out = mkdtempSync(join(tmpdir(), 'torchlet-playground-dl-'));

beforeAll(async () => {
  hx = await startHarness();
  page = await hx.open(hx.isolated.url, VIEWPORTS.desktop, { acceptDownloads: true });
}, 90_000);

afterAll(async () => {
  await hx?.close();
}, 30_000);

async function fillTrain(p: Page, f: Record<string, string>): Promise<void> {
  for (const [id, v] of Object.entries(f)) await p.fill(`#t-${id}`, v);
}

async function waitState(p: Page, id: string, states: string[], timeout = 60_000): Promise<string> {
  await p.waitForFunction(([el, s]) => s.includes(document.getElementById(el)?.dataset.state ?? ''), [id, states] as const, { timeout });
  return (await p.getAttribute(`#${id}`, 'data-state'))!;
}

describe('playground: the births file shipped with the page', () => {
  it('expands to assets/us-births-1994-2003.csv byte for byte', () => {
    const compact = readFileSync(join(ROOT, 'web', 'public', 'us-births-1994-2003.txt'), 'utf8');
    expect(compact.length).toBeLessThan(BIRTHS.length / 2);
    expect(birthsCsv(compact)).toBe(BIRTHS);
  });
});

describe('playground: the train panel (worker, charts, download)', () => {
  it('a dropped CSV of your own trains, started from the keyboard (Enter in a field)', async () => {
    const csv = `t,value\n${Array.from({ length: 260 }, (_, i) => `${i},${(10 + 3 * Math.sin(i / 4) + ((i * 37) % 11) / 10).toFixed(3)}`).join('\n')}\n`;
    const dt = await page.evaluateHandle((text) => {
      const d = new DataTransfer();
      d.items.add(new File([text], 'sine.csv', { type: 'text/csv' }));
      return d;
    }, csv);
    await page.dispatchEvent('#t-drop', 'drop', { dataTransfer: dt });
    await page.waitForFunction(() => document.getElementById('t-datainfo')!.textContent!.startsWith('sine.csv: 260 rows'), null, { timeout: 10_000 });
    expect(await page.isChecked('#t-csvsource')).toBe(true);
    await page.selectOption('#t-target', 'value');
    await fillTrain(page, { rows: '0', window: '12', epochs: '2' });
    await page.focus('#t-epochs');
    await page.keyboard.press('Enter');
    expect(await waitState(page, 't-status', ['done', 'error'])).toBe('done');
    expect(await page.textContent('#t-score [data-row="baseline"] th')).toBe('naive (the last value)');
    expect(JSON.parse((await page.getAttribute('#t-status', 'data-train-loss'))!)).toHaveLength(2);
    expect(hx.errors.get(page)).toEqual([]);
    await page.check('#t-births');
  });

  it('trains 3 epochs in the worker on 2 threads: loss falls, no long task, the downloads run in Node and in `torchlet predict`', async () => {
    await page.evaluate(() => {
      const w = window as unknown as { longTasks: number[] };
      w.longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.longTasks.push(e.duration);
      }).observe({ type: 'longtask' });
    });
    await fillTrain(page, { rows: String(ROWS), window: '28', epochs: '3', hidden: '16', batch: '32' });
    await page.click('#t-start');
    expect(await waitState(page, 't-status', ['done', 'error'])).toBe('done');
    expect(await page.getAttribute('#t-status', 'data-threads')).toBe('2');
    const trainLoss = JSON.parse((await page.getAttribute('#t-status', 'data-train-loss'))!) as number[];
    expect(trainLoss).toHaveLength(3);
    expect(trainLoss[2]!).toBeLessThan(trainLoss[0]!);
    const points = Number(/(\d+) points/.exec((await page.getAttribute('#t-loss-chart', 'aria-label'))!)![1]);
    expect(points).toBeGreaterThanOrEqual(3 * 10);
    expect(await page.locator('#t-loss-chart canvas').count()).toBe(1);
    expect(await page.locator('#t-val-chart canvas').count()).toBe(1);
    const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
    expect(longTasks.filter((d) => d > 200), `main-thread tasks over 200 ms: ${longTasks.join(', ')}`).toEqual([]);
    expect(await page.textContent('#t-score [data-row="baseline"] th')).toContain('seasonal naive');

    // Download both files; they are what `torchlet train --out` writes.
    for (const [button, name] of [['#t-dl-weights', 'model.safetensors'], ['#t-dl-config', 'model.json']] as const) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
      expect(download.suggestedFilename()).toBe(name);
      await download.saveAs(join(out, name));
    }
    const config = validateConfig(JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')));
    expect(config.training.epochsDone).toBe(3);
    expect(config.training.rows).toBe(ROWS);
    const file = loadSafetensors(new Uint8Array(readFileSync(join(out, 'model.safetensors'))));
    expect(file.metadata).toEqual({ format: 'torchlet.forecaster', config: 'model.json' });
    const model = new Forecaster(config.model);
    model.loadStateDict(file.tensors);
    model.eval();

    // The page's forecasts of the last validation rows, recomputed in Node from the downloaded model.
    const shown = await page.$$eval('#t-table tbody tr', (trs) => trs.map((tr) => ({ row: Number((tr as HTMLElement).dataset.row), forecast: Number(tr.querySelector<HTMLElement>('[data-forecast]')!.dataset.forecast) })));
    expect(shown.length).toBe(14);
    const csv = lastRows(BIRTHS, ROWS);
    const table = parseCsv(csv, 'births');
    const d = config.data;
    const { x, base } = windows(normalise(table, d), shown.map((s) => s.row), d);
    const y = noGrad(() => model.forward(x)).toFloat32Array();
    const { mean, std } = d.normalization[d.target]!;
    shown.forEach((s, i) => {
      expect(Math.abs((base[i]! + y[i]!) * std + mean - s.forecast), `row ${s.row}`).toBeLessThan(1e-3 * Math.abs(s.forecast));
    });

    // `torchlet predict` reads the two files side by side.
    const csvPath = join(out, 'births-tail.csv');
    writeFileSync(csvPath, csv);
    const json = JSON.parse(captureStdout(() => predictCommand(out, { data: csvPath, steps: '2', json: true }, PLAIN))) as { forecasts: { value: number; date: string }[] };
    expect(json.forecasts.map((f) => f.date)).toEqual(['2004-01-01', '2004-01-02']);
    for (const f of json.forecasts) expect(Number.isFinite(f.value) && f.value > 0).toBe(true);
    expect(hx.errors.get(page)).toEqual([]);
  }, 120_000);

  it('without COOP/COEP: trains on one thread; Stop stops mid-run, Resume continues to the asked epochs', async () => {
    const plain = await hx.open(hx.plain.url);
    await fillTrain(plain, { rows: '1000', epochs: '40', hidden: '16', batch: '16' });
    await plain.click('#t-start');
    await plain.waitForFunction(() => /^Epoch \d+, batch/.test(document.getElementById('t-status')!.textContent!), null, { timeout: 60_000 });
    expect(await plain.getAttribute('#t-status', 'data-threads')).toBe('1');
    await plain.click('#t-stop');
    expect(await waitState(plain, 't-status', ['stopped', 'done', 'error'], 30_000)).toBe('stopped');
    const stoppedAt = JSON.parse((await plain.getAttribute('#t-status', 'data-train-loss'))!) as number[];
    expect(stoppedAt.length).toBeLessThan(40);
    expect(await plain.isEnabled('#t-resume')).toBe(true);
    expect(await plain.isEnabled('#t-dl-weights')).toBe(true);
    await plain.fill('#t-epochs', String(stoppedAt.length + 1));
    await plain.click('#t-resume');
    expect(await waitState(plain, 't-status', ['done', 'error'], 60_000)).toBe('done');
    const after = JSON.parse((await plain.getAttribute('#t-status', 'data-train-loss'))!) as number[];
    expect(after.length).toBe(stoppedAt.length + 1);
    expect(after.slice(0, stoppedAt.length)).toEqual(stoppedAt);
    expect(hx.errors.get(plain)).toEqual([]);
    await plain.context().close();
  }, 120_000);

  it('a CSV that cannot be used shows the parser\'s message', async () => {
    await page.setInputFiles('#t-file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('day,value\n1,2\n2,x\n') });
    await page.waitForFunction(() => !document.getElementById('t-error')!.hidden, null, { timeout: 10_000 });
    let expected = '';
    try {
      parseCsv('day,value\n1,2\n2,x\n', 'bad.csv');
    } catch (e) {
      expected = (e as Error).message;
    }
    expect(expected).not.toBe('');
    expect(await page.textContent('#t-error')).toBe(expected);
    await page.check('#t-births');
    expect(hx.errors.get(page)).toEqual([]);
  });
});

describe('playground: the load panel', () => {
  async function openFile(p: Page, file: string | { name: string; mimeType: string; buffer: Buffer }): Promise<string> {
    await p.evaluate(() => {
      delete document.getElementById('l-status')!.dataset.state;
    });
    await p.setInputFiles('#l-file', file);
    return waitState(p, 'l-status', ['done', 'error'], 30_000);
  }

  for (const fixture of ['io_lstm.pt', 'io_lstm_proj.safetensors', 'io_gru.pt', 'io_lstm_legacy.pt']) {
    it(`${fixture}: the architecture torchlet inspect infers, and a run`, async () => {
      expect(await openFile(page, join(FIXTURES, fixture))).toBe('done');
      const cli = JSON.parse(captureStdout(() => inspectCommand(join(FIXTURES, fixture), { json: true }, PLAIN))) as { layers: { prefix: string; pytorch: string; torchlet: string }[]; totalParameters: number };
      const shown = await page.$$eval('#l-out [data-layer]', (els) => els.map((el) => ({ pytorch: el.querySelector('[data-code="pytorch"]')!.textContent, torchlet: el.querySelector('[data-code="torchlet"]')!.textContent, run: (el.querySelector('[data-run]') as HTMLElement).dataset.run })));
      expect(shown.map((s) => s.pytorch)).toEqual(cli.layers.map((l) => l.pytorch));
      expect(shown.map((s) => s.torchlet)).toEqual(cli.layers.map((l) => l.torchlet));
      expect(shown.every((s) => s.run === 'ok')).toBe(true);
      expect(await page.textContent('#l-format')).toContain(`${cli.totalParameters.toLocaleString('en-US')} parameters`);
      expect(hx.errors.get(page)).toEqual([]);
    });
  }

  it('the run shows the output shapes of the layer on its random input', async () => {
    expect(await openFile(page, join(FIXTURES, 'io_lstm_proj.safetensors'))).toBe('done');
    const cli = JSON.parse(captureStdout(() => inspectCommand(join(FIXTURES, 'io_lstm_proj.safetensors'), { json: true }, PLAIN))) as { layers: { inputSize: number; hiddenSize: number; projSize?: number; numLayers?: number; bidirectional?: boolean }[] };
    const l = cli.layers[0]!;
    const D = l.bidirectional ? 2 : 1;
    const hout = l.projSize || l.hiddenSize;
    expect(await page.textContent('[data-output="output"]')).toBe(`(5, 2, ${D * hout})`);
    expect(await page.textContent('[data-output="h_n"]')).toBe(`(${D * (l.numLayers ?? 1)}, 2, ${hout})`);
    expect(await page.textContent('[data-output="c_n"]')).toBe(`(${D * (l.numLayers ?? 1)}, 2, ${l.hiddenSize})`);
  });

  const loaderError = (bytes: Uint8Array): string => {
    try {
      load(bytes);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('expected the loader to refuse these bytes');
  };

  it('a truncated checkpoint shows the loader\'s error, and the page still works', async () => {
    const bytes = readFileSync(join(FIXTURES, 'io_lstm.pt')).subarray(0, 300);
    expect(await openFile(page, { name: 'truncated.pt', mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) })).toBe('error');
    expect(await page.textContent('#l-error')).toBe(`truncated.pt: ${loaderError(new Uint8Array(bytes))}`);
    expect(await openFile(page, join(FIXTURES, 'io_gru.pt'))).toBe('done');
    expect(await page.isHidden('#l-error')).toBe(true);
  });

  it('a hostile pickle (io_evil.pt) and garbage named .safetensors are refused with a message', async () => {
    const evil = readFileSync(join(FIXTURES, 'io_evil.pt'));
    expect(await openFile(page, join(FIXTURES, 'io_evil.pt'))).toBe('error');
    expect(await page.textContent('#l-error')).toBe(`io_evil.pt: ${loaderError(new Uint8Array(evil))}`);
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256));
    expect(await openFile(page, { name: 'noise.safetensors', mimeType: 'application/octet-stream', buffer: garbage })).toBe('error');
    expect(await page.textContent('#l-error')).toMatch(/^noise\.safetensors: ./);
    expect(hx.errors.get(page)).toEqual([]);
  });

  it('the model downloaded from the train panel opens here: the LSTM and its Linear head', async () => {
    expect(await openFile(page, join(out, 'model.safetensors'))).toBe('done');
    const layers = await page.$$eval('#l-out [data-layer]', (els) => els.map((e) => `${(e as HTMLElement).dataset.layer} ${(e as HTMLElement).dataset.type}`));
    expect([...layers].sort()).toEqual(['head. Linear', 'rnn. LSTM']);
  });
});

describe('playground: screenshots of the train and load panels', () => {
  it('at 1280x800 and 390 px wide, without sideways scrolling', async () => {
    for (const [name, vp] of Object.entries(VIEWPORTS)) {
      await page.setViewportSize(vp);
      await page.locator('#train').screenshot({ path: join(SHOTS, `train-${name}.png`) });
      await page.locator('#load').screenshot({ path: join(SHOTS, `load-${name}.png`) });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${name}: the page scrolls sideways`).toBeLessThanOrEqual(0);
    }
    await page.setViewportSize(VIEWPORTS.desktop);
    expect(hx.errors.get(page)).toEqual([]);
  });
});
