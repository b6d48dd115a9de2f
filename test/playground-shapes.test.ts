/**
 * The playground's shapes panel in Chromium: for several configurations (bidirectional + proj_size +
 * batch_first, a packed input, an unbatched RNN, a cell, an input that does not fit) the shapes,
 * parameters and warnings on the page are exactly what `torchlet explain --json` reports for the same
 * layer and input. Screenshots at 1280x800 and 390px wide go to test/.output/playground/.
 */
import { basename, dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainCommand } from '../src/cli/explain.js';
import { dimsText } from '../src/explain/render.js';
import type { ExplainReport } from '../src/explain/report.js';
import * as torch from '../src/index.js';
import { startServer } from '../web/server.mjs';
import { captureStdout, type Harness, PLAIN, SHOTS, startHarness, VIEWPORTS } from './playground/harness.js';

/**
 * Run the page's torchlet code (plain JavaScript) against the library, its `import` pointed at
 * src/: returns each console.log'd shape and the shape the comment on that line promises.
 */
function runTorchletCode(code: string): { printed: string; promised: string }[] {
  const body = code.replace("import * as torch from 'torchlet';", '');
  const printed: string[] = [];
  const fakeConsole = { log: (...a: unknown[]) => printed.push(a.map((x) => JSON.stringify(x)).join(' ')) };
  new Function('torch', 'console', body)(torch, fakeConsole);
  const promised = body.split('\n').filter((l) => l.startsWith('console.log(')).map((l) => l.replace(/^.*\/\/ /, '').replace(/ /g, ''));
  return printed.map((p, i) => ({ printed: p, promised: promised[i] ?? '(none)' }));
}

/** The CLI's report, captured from `torchlet explain CONSTRUCTOR --input ... --json`. */
function cliReport(ctor: string, o: { input: string; lengths?: string; enforceSorted?: boolean; states?: boolean }): ExplainReport {
  return JSON.parse(captureStdout(() => explainCommand(ctor, { ...o, json: true }, PLAIN))) as ExplainReport;
}

interface Form {
  type: string;
  inputSize: number;
  hiddenSize: number;
  numLayers?: number;
  dropout?: number;
  projSize?: number;
  nonlinearity?: 'tanh' | 'relu';
  bias?: boolean;
  batchFirst?: boolean;
  bidirectional?: boolean;
  batch?: number;
  length?: number;
  features?: number;
  unbatched?: boolean;
  statesGiven?: boolean;
  packed?: boolean;
  lengths?: string;
  enforceSorted?: boolean;
}

/** Fill the form as a person would (typing, ticking, choosing), every field set. */
async function setForm(page: Page, f: Form): Promise<void> {
  await page.selectOption('#f-type', f.type);
  const num = async (id: string, v: number | undefined, dflt: number) => {
    const el = page.locator(`#f-${id}`);
    if (await el.isEnabled()) await el.fill(String(v ?? dflt));
  };
  const box = async (id: string, v: boolean | undefined, dflt: boolean) => {
    const el = page.locator(`#f-${id}`);
    if (await el.isEnabled()) await el.setChecked(v ?? dflt);
  };
  await box('unbatched', f.unbatched, false);
  await num('inputSize', f.inputSize, 10);
  await num('hiddenSize', f.hiddenSize, 20);
  await num('numLayers', f.numLayers, 1);
  await num('dropout', f.dropout, 0);
  await num('projSize', f.projSize, 0);
  if (await page.locator('#f-nonlinearity').isEnabled()) await page.selectOption('#f-nonlinearity', f.nonlinearity ?? 'tanh');
  await box('bias', f.bias, true);
  await box('batchFirst', f.batchFirst, false);
  await box('bidirectional', f.bidirectional, false);
  await num('batch', f.batch, 3);
  await num('length', f.length, 5);
  await num('features', f.features, f.inputSize);
  await box('statesGiven', f.statesGiven, false);
  await box('packed', f.packed, false);
  if (f.packed) {
    await page.locator('#f-lengths').fill(f.lengths ?? '');
    await box('enforceSorted', f.enforceSorted, true);
  }
}

/** The page's shapes: every tensor line as "box/node: name dims", the parameter rows, the warning codes. */
async function pageShapes(page: Page) {
  return page.evaluate(() => {
    const lines: string[] = [];
    for (const t of Array.from(document.querySelectorAll<HTMLElement>('#shapes-diagram .tensor'))) {
      const box = t.closest('[data-box], [data-node]') as HTMLElement;
      lines.push(`${box.dataset.node ?? box.dataset.box}: ${t.dataset.tensor} ${t.querySelector('.dims')!.textContent}`);
    }
    const params = Array.from(document.querySelectorAll<HTMLElement>('#shapes-params tbody tr')).map((tr) => `${tr.dataset.param} ${tr.querySelector('td code')!.textContent} ${tr.querySelector('td.num')!.textContent}`);
    const warnings = Array.from(document.querySelectorAll<HTMLElement>('#shapes-warnings [data-warning]')).map((li) => li.dataset.warning!);
    const error = document.getElementById('shapes-error')!;
    return { lines, params, warnings, total: document.getElementById('params-total')?.textContent ?? '', error: error.hidden ? '' : error.textContent!, torchlet: document.getElementById('code-torchlet')!.textContent! };
  });
}

/** The same, from the CLI's report. */
function expectedShapes(r: ExplainReport) {
  const root = r.nodes[0]!;
  const lines: string[] = [];
  const cell = !root.outputs.some((t) => t.name === 'output');
  if (cell) {
    for (const t of root.inputs) lines.push(`in: ${t.name} ${dimsText(t.dims)}`);
    for (const t of root.outputs) lines.push(`out: ${t.name} ${dimsText(t.dims)}`);
  } else {
    for (const t of root.inputs) lines.push(`${t.name === 'input' ? 'input' : 'states-in'}: ${t.name} ${dimsText(t.dims)}`);
    for (const n of r.nodes.filter((x) => x.kind === 'direction')) for (const t of [...n.inputs, ...n.outputs]) lines.push(`${n.type}: ${t.name} ${dimsText(t.dims)}`);
    for (const t of root.outputs) lines.push(`${t.name === 'output' ? 'output' : 'states-out'}: ${t.name} ${dimsText(t.dims)}`);
  }
  return {
    lines,
    params: root.params.map((p) => `${p.name} ${dimsText(p.dims)} ${p.count.toLocaleString('en-US')}`),
    warnings: r.warnings.map((w) => w.code),
    total: r.totals.params.toLocaleString('en-US'),
  };
}

let hx: Harness;
let page: Page;

beforeAll(async () => {
  hx = await startHarness();
  page = await hx.open(hx.isolated.url);
}, 90_000);

afterAll(async () => {
  await hx?.close();
}, 30_000);

const CASES: { name: string; form: Form; ctor: string; cli: Parameters<typeof cliReport>[1] }[] = [
  { name: 'the default LSTM', form: { type: 'LSTM', inputSize: 10, hiddenSize: 20 }, ctor: 'nn.LSTM(10, 20)', cli: { input: '5,3,10' } },
  {
    name: 'LSTM bidirectional + proj_size + batch_first, 2 layers, h0/c0 given',
    form: { type: 'LSTM', inputSize: 8, hiddenSize: 16, numLayers: 2, projSize: 4, batchFirst: true, bidirectional: true, batch: 2, length: 7, statesGiven: true },
    ctor: 'nn.LSTM(8, 16, num_layers=2, batch_first=True, bidirectional=True, proj_size=4)',
    cli: { input: '2,7,8', states: true },
  },
  {
    name: 'a packed LSTM input (bidirectional, proj_size, batch_first)',
    form: { type: 'LSTM', inputSize: 10, hiddenSize: 20, numLayers: 2, projSize: 5, batchFirst: true, bidirectional: true, batch: 3, length: 6, packed: true, lengths: '6, 4, 2' },
    ctor: 'nn.LSTM(10, 20, num_layers=2, batch_first=True, bidirectional=True, proj_size=5)',
    cli: { input: '3,6,10', lengths: '6,4,2' },
  },
  {
    name: 'a packed GRU with unsorted lengths and enforce_sorted=False',
    form: { type: 'GRU', inputSize: 4, hiddenSize: 6, batch: 4, length: 5, packed: true, lengths: '3, 5, 1, 4', enforceSorted: false, dropout: 0.5 },
    ctor: 'nn.GRU(4, 6, dropout=0.5)',
    cli: { input: '5,4,4', lengths: '3,5,1,4', enforceSorted: false },
  },
  { name: 'an unbatched RNN with relu and no bias', form: { type: 'RNN', inputSize: 3, hiddenSize: 5, nonlinearity: 'relu', bias: false, unbatched: true, length: 9 }, ctor: "nn.RNN(3, 5, nonlinearity='relu', bias=False)", cli: { input: '9,3' } },
  { name: 'an LSTMCell', form: { type: 'LSTMCell', inputSize: 6, hiddenSize: 7, batch: 2 }, ctor: 'nn.LSTMCell(6, 7)', cli: { input: '2,6' } },
  { name: 'an input whose features do not fit input_size', form: { type: 'GRU', inputSize: 10, hiddenSize: 20, features: 7 }, ctor: 'nn.GRU(10, 20)', cli: { input: '5,3,7' } },
];

describe('playground: the shapes panel shows what `torchlet explain` reports', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      await setForm(page, c.form);
      const got = await pageShapes(page);
      const report = cliReport(c.ctor, c.cli);
      const want = expectedShapes(report);
      expect(got.lines).toEqual(want.lines);
      expect(got.params).toEqual(want.params);
      expect(got.total).toBe(want.total);
      expect(got.warnings).toEqual(want.warnings);
      if (report.error) expect(got.error).toContain(report.error.split('\n')[0]);
      else expect(got.error).toBe('');
      expect(got.lines.length).toBeGreaterThan(report.error ? 0 : 2);
      expect(hx.errors.get(page)).toEqual([]);
    });
  }

  for (const i of [1, 2, 5]) {
    it(`the torchlet code of "${CASES[i]!.name}" runs and prints the shapes its comments give`, async () => {
      await setForm(page, CASES[i]!.form);
      const code = (await page.textContent('#code-torchlet'))!;
      const runs = runTorchletCode(code);
      expect(runs.length).toBeGreaterThanOrEqual(2);
      for (const r of runs) expect(r.printed).toBe(r.promised);
    });
  }

  it('the copy buttons put the code on the clipboard', async () => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await setForm(page, CASES[1]!.form);
    for (const lang of ['python', 'torchlet']) {
      await page.click(`button[data-copy="code-${lang}"]`);
      await page.waitForFunction((l) => document.querySelector(`button[data-copy="code-${l}"]`)!.textContent === 'Copied', lang, { timeout: 5_000 });
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(await page.textContent(`#code-${lang}`));
    }
  });

  it('the built site works from a sub-folder of a plain static host (relative URLs)', async () => {
    const host = await startServer({ root: dirname(hx.dist), isolate: false });
    try {
      const sub = await hx.open(`${host.url}${basename(hx.dist)}/`);
      await sub.waitForFunction(() => document.getElementById('env')!.textContent!.startsWith('Running on WebAssembly'), null, { timeout: 20_000 });
      expect(await sub.textContent('[data-box="output"] .dims')).toBe('(L=5, N=3, D*Hout=20)');
      expect(hx.errors.get(sub)).toEqual([]);
      await sub.context().close();
    } finally {
      await host.close();
    }
  });

  it('a layer the constructor refuses shows its error (proj_size >= hidden_size)', async () => {
    await setForm(page, { type: 'LSTM', inputSize: 10, hiddenSize: 4, projSize: 4 });
    const got = await pageShapes(page);
    expect(got.error).toMatch(/proj_size has to be smaller than hidden_size/);
    expect(got.lines).toEqual([]);
    expect(hx.errors.get(page)).toEqual([]);
  });

  it('without COOP/COEP the page still works (single-threaded) and says so', async () => {
    const plain = await hx.open(hx.plain.url);
    await plain.waitForFunction(() => document.getElementById('env')!.textContent!.startsWith('Running on'), null, { timeout: 20_000 });
    expect(await plain.evaluate(() => globalThis.crossOriginIsolated)).toBe(false);
    expect(await plain.textContent('#env')).toContain('not cross-origin isolated: training runs on 1 thread');
    expect(await plain.textContent('[data-box="output"] .dims')).toBe('(L=5, N=3, D*Hout=20)');
    expect(hx.errors.get(plain)).toEqual([]);
    await plain.context().close();
  });

  it('every control of the page (all panels) has a label; the form works from the keyboard', async () => {
    const unlabelled = await page.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLElement>('input, select, button, textarea')).filter((el) => {
        const id = el.id;
        const label = id ? document.querySelector(`label[for="${id}"]`) : null;
        const named = el.tagName === 'BUTTON' && (el.textContent ?? '').trim() !== '';
        return !(named || label || el.closest('label') || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby'));
      }).map((el) => el.outerHTML.slice(0, 80)),
    );
    expect(unlabelled).toEqual([]);
    await page.focus('#f-type');
    await page.keyboard.press('ArrowDown'); // LSTM -> GRU, by keyboard alone
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-inputSize');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-hiddenSize');
  });

  it('screenshots at 1280x800 and 390px wide', async () => {
    await setForm(page, CASES[2]!.form);
    for (const [name, vp] of Object.entries(VIEWPORTS)) {
      await page.setViewportSize(vp);
      await page.evaluate(() => {
        window.scrollTo(0, 0);
        document.getElementById('shapes-form')!.scrollTop = 0;
      });
      await page.screenshot({ path: join(SHOTS, `shapes-${name}-top.png`) });
      await page.locator('#shapes').screenshot({ path: join(SHOTS, `shapes-${name}.png`) });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${name}: the page scrolls sideways`).toBeLessThanOrEqual(0);
    }
    await page.setViewportSize(VIEWPORTS.desktop);
    expect(hx.errors.get(page)).toEqual([]);
  });
});
