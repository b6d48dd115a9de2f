/**
 * The train panel: the form → the worker (train-worker.ts) → a live loss chart, the validation
 * chart (actual, forecast, seasonal naive), the comparison with the baseline, stop/resume, and
 * the download of model.safetensors + model.json (what `torchlet train --out` writes).
 * Charts: uPlot (about 50 KB minified, canvas, made for streaming time series; Chart.js is ~4x
 * larger and slower to update, Observable Plot redraws SVG from scratch on every update).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { parseCsv } from '../../src/forecast/csv.js';
import { BIRTHS_FILE, BIRTHS_NAME, birthsCsv, lastRows } from './births.js';
import { byId, h, onFileChosen } from './dom.js';
import type { FromWorker, ToWorker, TrainForm, Validation } from './train-protocol.js';

/** The last rows of the validation range shown in the chart: 16 seasons of 7 days (as the CLI's SVG). */
const SHOW = 112;

let worker: Worker | null = null;
let userCsv: { name: string; text: string } | null = null;
let birthsText: string | null = null;
let downloads: { weights: Blob; config: Blob } | null = null;

// Loss chart data: x in epochs (epoch + batch / batches); per-batch running mean of the epoch's
// training loss; validation loss at each epoch's end.
const loss = { x: [] as number[], train: [] as (number | null)[], val: [] as (number | null)[] };
let lossPlot: uPlot | null = null;
let valPlot: uPlot | null = null;
let drawPending = false;

function chartWidth(el: HTMLElement): number {
  return Math.max(240, Math.floor(el.parentElement?.clientWidth || el.clientWidth || 600));
}

const axisStyle = { stroke: '#57606a', grid: { stroke: '#e6e8eb' }, ticks: { stroke: '#d0d7de' } };

function makeLossPlot(): uPlot {
  const el = byId('t-loss-chart');
  return new uPlot(
    {
      width: chartWidth(el),
      height: 220,
      scales: { x: { time: false } },
      axes: [{ ...axisStyle, label: 'epoch' }, { ...axisStyle, label: 'MSE (normalised)', size: 60 }],
      series: [
        { label: 'epoch', value: (_u, v) => (v == null ? '' : v.toFixed(2)) },
        { label: 'training (mean over the epoch so far)', stroke: '#1f77b4', width: 2, value: (_u, v) => (v == null ? '' : v.toFixed(4)) },
        { label: 'validation (per epoch)', stroke: '#d62728', width: 2, points: { show: true, size: 7 }, spanGaps: true, value: (_u, v) => (v == null ? '' : v.toFixed(4)) },
      ],
      legend: { live: false },
    },
    [loss.x, loss.train, loss.val] as uPlot.AlignedData,
    el,
  );
}

function makeValPlot(v: Validation, target: string): uPlot {
  const el = byId('t-val-chart');
  const n = Math.min(SHOW, v.rows.length);
  const cut = v.rows.length - n;
  const time = v.dates !== null;
  const xs = time ? v.dates!.slice(cut).map((d) => Date.parse(`${d}T00:00:00Z`) / 1000) : v.rows.slice(cut);
  valPlot?.destroy();
  return new uPlot(
    {
      width: chartWidth(el),
      height: 240,
      scales: { x: { time } },
      axes: [{ ...axisStyle }, { ...axisStyle, label: target, size: 60 }],
      series: [
        time ? { label: 'date' } : { label: 'row' },
        { label: 'actual', stroke: '#222222', width: 2 },
        { label: 'forecast', stroke: '#1f77b4', width: 2 },
        { label: 'seasonal naive', stroke: '#ff7f0e', width: 1.5, dash: [6, 4] },
      ],
      legend: { live: false },
      ...(time ? { tzDate: (ts: number) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC') } : {}),
    },
    [xs, v.actual.slice(cut), v.forecast.slice(cut), v.baseline.slice(cut)] as uPlot.AlignedData,
    el,
  );
}

function drawLoss(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    lossPlot ??= makeLossPlot();
    lossPlot.setData([loss.x, loss.train, loss.val] as uPlot.AlignedData);
    const last = loss.train.filter((x) => x !== null).at(-1);
    byId('t-loss-chart').setAttribute('aria-label', `Loss chart: ${loss.x.length} points; latest training loss ${last?.toFixed(4) ?? 'none'}`);
  });
}

function numberField(form: HTMLFormElement, name: string, label: string, min: number, integer = true): number {
  const el = form.elements.namedItem(name) as HTMLInputElement;
  const n = Number(el.value);
  if (el.value.trim() === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new Error(`${label} must be ${integer ? 'a whole number' : 'a number'} of at least ${min}, got "${el.value}"`);
  }
  return n;
}

function readTrainForm(form: HTMLFormElement): TrainForm & { rows: number } {
  const val = numberField(form, 'valFraction', 'the validation fraction', 0.01, false);
  if (val >= 0.95) throw new Error(`the validation fraction must be below 0.95, got ${val}`);
  return {
    model: (form.elements.namedItem('model') as HTMLSelectElement).value as TrainForm['model'],
    hiddenSize: numberField(form, 'hiddenSize', 'hidden_size', 1),
    numLayers: numberField(form, 'numLayers', 'num_layers', 1),
    bidirectional: (form.elements.namedItem('bidirectional') as HTMLInputElement).checked,
    target: (form.elements.namedItem('target') as HTMLSelectElement).value,
    window: numberField(form, 'window', 'the window', 1),
    horizon: numberField(form, 'horizon', 'the horizon', 1),
    epochs: numberField(form, 'epochs', 'epochs', 1),
    lr: numberField(form, 'lr', 'the learning rate', 0, false),
    batchSize: numberField(form, 'batchSize', 'the batch size', 1),
    seed: numberField(form, 'seed', 'the seed', 0),
    valFraction: val,
    rows: numberField(form, 'rows', 'the number of rows', 0),
  };
}

function setError(message: string | null): void {
  const el = byId('t-error');
  el.hidden = message === null;
  el.textContent = message ?? '';
}

function setRunning(on: boolean): void {
  byId<HTMLButtonElement>('t-start').disabled = on;
  byId<HTMLButtonElement>('t-stop').disabled = !on;
  byId<HTMLButtonElement>('t-resume').disabled = on || downloads === null;
}

async function dataText(): Promise<{ text: string; name: string }> {
  const source = (document.querySelector('input[name="source"]:checked') as HTMLInputElement).value;
  if (source === 'csv') {
    if (!userCsv) throw new Error('choose or drop a CSV file first (or train on the births data)');
    return userCsv;
  }
  if (birthsText === null) {
    const r = await fetch(BIRTHS_FILE);
    if (!r.ok) throw new Error(`could not load ${BIRTHS_FILE}: HTTP ${r.status}`);
    birthsText = birthsCsv(await r.text());
  }
  return { text: birthsText, name: BIRTHS_NAME };
}

/** Show the columns of the chosen data in the target select. */
function showColumns(text: string, name: string): void {
  const info = byId('t-datainfo');
  const select = byId<HTMLSelectElement>('t-target');
  try {
    const t = parseCsv(text, name);
    select.replaceChildren(...t.columns.map((c) => h('option', {}, c)));
    info.textContent = `${name}: ${t.rows.toLocaleString('en-US')} rows; columns ${t.columns.join(', ')}${t.dateColumn ? ` (dates in "${t.dateColumn}")` : ''}`;
    setError(null);
  } catch (e) {
    select.replaceChildren();
    info.textContent = '';
    setError((e as Error).message);
  }
}

async function takeFile(file: File): Promise<void> {
  userCsv = { name: file.name, text: await file.text() };
  byId<HTMLInputElement>('t-csvsource').checked = true;
  showColumns(userCsv.text, userCsv.name);
}

function showResult(m: Extract<FromWorker, { type: 'done' }>): void {
  const t = m.config.training;
  const gain = 100 * (1 - m.mae / m.baselineMae);
  const verdict = m.mae < m.baselineMae ? `The ${m.config.model.type} beats the seasonal naive forecast by ${gain.toFixed(1)}%.` : `The ${m.config.model.type} does not beat the seasonal naive forecast (${(-gain).toFixed(1)}% worse).`;
  const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4));
  const baseName = m.config.data.season ? `seasonal naive (the value ${m.config.data.season} rows earlier)` : 'naive (the last value)';
  byId('t-result').replaceChildren(
    h('h3', {}, 'Validation error'),
    h(
      'table',
      { class: 'score', id: 't-score' },
      h('caption', { class: 'sr-only' }, 'Mean absolute error on the validation range'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'forecast'), h('th', { scope: 'col', class: 'num' }, `mean absolute error (${m.config.data.target})`))),
      h('tbody', {}, h('tr', { 'data-row': 'model' }, h('th', { scope: 'row' }, m.config.model.type), h('td', { class: 'num' }, fmt(m.mae))), h('tr', { 'data-row': 'baseline' }, h('th', { scope: 'row' }, baseName), h('td', { class: 'num' }, fmt(m.baselineMae)))),
    ),
    h('p', { class: m.mae < m.baselineMae ? 'verdict good' : 'verdict' }, `${verdict} ${t.epochsDone}/${t.epochs} epochs, ${m.seconds.toFixed(1)} s${m.stopped ? ' (stopped: Resume continues)' : ''}.`),
  );
  const v = m.validation;
  const n = Math.min(14, v.rows.length);
  byId<HTMLTableElement>('t-table').tBodies[0]!.replaceChildren(
    ...v.rows.slice(-n).map((r, i) => {
      const k = v.rows.length - n + i;
      return h('tr', { 'data-row': r }, h('th', { scope: 'row' }, v.dates ? v.dates[k]! : String(r)), h('td', { class: 'num' }, v.actual[k]!.toFixed(1)), h('td', { class: 'num', 'data-forecast': v.forecast[k]! }, v.forecast[k]!.toFixed(1)), h('td', { class: 'num' }, v.baseline[k]!.toFixed(1)));
    }),
  );
  valPlot = makeValPlot(v, m.config.data.target);
  byId('t-val-chart').setAttribute('aria-label', `Validation chart, the last ${Math.min(SHOW, v.rows.length)} rows: forecast MAE ${fmt(m.mae)} against the seasonal naive ${fmt(m.baselineMae)}`);
}

function download(blob: Blob, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

function onMessage(m: FromWorker): void {
  const status = byId('t-status');
  if (m.type === 'started') {
    status.textContent = `Training on ${m.rows.toLocaleString('en-US')} rows, ${m.kernels} kernels, ${m.threads} thread${m.threads > 1 ? 's' : ''}…`;
    status.dataset.threads = String(m.threads);
  } else if (m.type === 'batch') {
    loss.x.push(m.epoch + m.batch / m.batches);
    loss.train.push(m.loss);
    loss.val.push(null);
    status.textContent = `Epoch ${m.epoch + 1}, batch ${m.batch}/${m.batches}: loss ${m.loss.toFixed(4)}, ${Math.round(m.samplesPerSecond).toLocaleString('en-US')} windows/s`;
    drawLoss();
  } else if (m.type === 'epoch') {
    // The epoch's validation loss, at its end.
    const at = m.epoch + 1;
    const i = loss.x.lastIndexOf(at);
    if (i >= 0) loss.val[i] = m.valLoss;
    else {
      loss.x.push(at);
      loss.train.push(null);
      loss.val.push(m.valLoss);
    }
    status.dataset.epochs = String(m.epoch + 1);
    status.textContent = `Epoch ${m.epoch + 1}/${m.epochs}: training loss ${m.trainLoss.toFixed(4)}, validation loss ${m.valLoss.toFixed(4)}, validation MAE ${m.valMae.toFixed(1)} (seasonal naive ${m.baselineMae.toFixed(1)})`;
    drawLoss();
  } else if (m.type === 'done') {
    downloads = {
      weights: new Blob([m.weights as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }),
      config: new Blob([`${JSON.stringify(m.config, null, 2)}\n`], { type: 'application/json' }),
    };
    byId<HTMLButtonElement>('t-dl-weights').disabled = false;
    byId<HTMLButtonElement>('t-dl-config').disabled = false;
    const t = m.config.training;
    status.dataset.state = m.stopped ? 'stopped' : 'done';
    status.dataset.trainLoss = JSON.stringify(t.trainLoss);
    status.textContent = m.stopped ? `Stopped after epoch ${t.epochsDone} of ${t.epochs}: Resume continues from there.` : `Done: ${t.epochsDone} epochs in ${m.seconds.toFixed(1)} s.`;
    showResult(m);
    setRunning(false);
  } else if (m.type === 'error') {
    setError(m.message);
    status.dataset.state = 'error';
    status.textContent = 'Stopped by an error.';
    setRunning(false);
  }
}

function ensureWorker(): Worker {
  if (worker) return worker;
  worker = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module', name: 'torchlet-train' });
  worker.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);
  worker.onerror = (e) => {
    setError(`the training worker failed: ${e.message}`);
    setRunning(false);
  };
  return worker;
}

const send = (m: ToWorker): void => ensureWorker().postMessage(m);

export function initTrain(): void {
  const form = byId<HTMLFormElement>('train-form');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      setError(null);
      let f: ReturnType<typeof readTrainForm>;
      let data: { text: string; name: string };
      try {
        f = readTrainForm(form);
        data = await dataText();
      } catch (err) {
        setError((err as Error).message);
        return;
      }
      const { rows, ...trainForm } = f;
      loss.x.length = 0;
      loss.train.length = 0;
      loss.val.length = 0;
      byId('t-result').replaceChildren();
      const status = byId('t-status');
      delete status.dataset.state;
      delete status.dataset.epochs;
      status.textContent = 'Starting…';
      setRunning(true);
      drawLoss();
      send({ type: 'start', csv: lastRows(data.text, rows), dataName: data.name, form: trainForm });
    })();
  });
  byId('t-stop').addEventListener('click', () => {
    send({ type: 'stop' });
    byId('t-status').textContent = 'Stopping after this batch…';
  });
  byId('t-resume').addEventListener('click', () => {
    let epochs: number;
    try {
      epochs = readTrainForm(form).epochs;
    } catch (err) {
      setError((err as Error).message);
      return;
    }
    setError(null);
    delete byId('t-status').dataset.state;
    setRunning(true);
    send({ type: 'resume', epochs });
  });
  byId('t-dl-weights').addEventListener('click', () => downloads && download(downloads.weights, 'model.safetensors'));
  byId('t-dl-config').addEventListener('click', () => downloads && download(downloads.config, 'model.json'));
  onFileChosen('t-file', 't-drop', (file) => void takeFile(file));
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name="source"]')) {
    r.addEventListener('change', () => {
      if (r.checked && r.value === 'births') {
        void dataText().then((d) => showColumns(d.text, d.name), (err: Error) => setError(err.message));
      } else if (r.checked && userCsv) showColumns(userCsv.text, userCsv.name);
    });
  }
  // Charts follow the page's width.
  new ResizeObserver(() => {
    lossPlot?.setSize({ width: chartWidth(byId('t-loss-chart')), height: 220 });
    valPlot?.setSize({ width: chartWidth(byId('t-val-chart')), height: 240 });
  }).observe(byId('t-loss-chart').parentElement!);
  drawLoss();
}
