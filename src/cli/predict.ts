/**
 * `torchlet predict CHECKPOINT --data file.csv [--steps K]`: forecasts of the next K steps after
 * the end of the data, from a `train` checkpoint (its folder, model.json, or model.safetensors with
 * model.json beside it), as CSV (stdout or `--out`), or `--json`; `--plot` draws them after the
 * recent history. Steps past the horizon feed the forecasts back in (univariate models only).
 */

import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Style } from '../explain/render.js';
import { toCsv } from '../forecast/csv.js';
import type { ForecasterConfig } from '../forecast/config.js';
import { Forecaster, seasonLag, windows } from '../forecast/model.js';
import { svgCharts } from '../forecast/plot.js';
import { noGrad } from '../autograd/grad-mode.js';
import { loadModelFile, stateDictOf } from './files.js';
import { readTable } from './train.js';
import { CliError, intOption, out, outJson, UsageError } from './ui.js';
import { writeChecked } from './write.js';

export interface PredictCliOptions {
  data?: string;
  steps: string;
  out?: string;
  plot?: string;
  json?: boolean;
}

/** The next date after `dates`, stepping by the last interval (whole days), or null. */
function nextDates(dates: readonly string[], k: number): string[] | null {
  if (dates.length < 2) return null;
  const a = Date.parse(dates[dates.length - 2].slice(0, 10).replace(/\//g, '-'));
  const b = Date.parse(dates[dates.length - 1].slice(0, 10).replace(/\//g, '-'));
  const step = b - a;
  if (!Number.isFinite(step) || step <= 0 || step % 86_400_000 !== 0) return null;
  return Array.from({ length: k }, (_, i) => new Date(b + step * (i + 1)).toISOString().slice(0, 10));
}

function checkpointPath(path: string): string {
  if (basename(path).endsWith('.safetensors')) {
    const beside = join(dirname(path), 'model.json');
    if (!existsSync(beside)) throw new CliError(`${path}: predict needs the model config written beside the weights (model.json), as train writes it`);
    return beside;
  }
  return path;
}

export async function predictCommand(checkpoint: string, o: PredictCliOptions, s: Style): Promise<number> {
  if (o.data === undefined) throw new UsageError('predict needs --data FILE.csv, the history to forecast from (with the columns the model was trained on)');
  const steps = intOption(o.steps, '--steps');
  const file = loadModelFile(checkpointPath(checkpoint));
  if (!file.config) throw new CliError(`${checkpoint}: not a torchlet train checkpoint (no model config); predict reads the folder train --out wrote`);
  const cfg: ForecasterConfig = file.config;
  const model = new Forecaster(cfg.model);
  try {
    model.loadStateDict(stateDictOf(file));
  } catch (e) {
    throw new CliError(`${checkpoint}: the weights do not fit the config: ${(e as Error).message.split('\n')[0]}`);
  }
  model.eval();
  const table = readTable(o.data);
  const d = cfg.data;
  for (const c of d.columns) {
    if (!table.columns.includes(c)) throw new CliError(`${basename(o.data)} has no column "${c}" (the model reads ${d.columns.map((x) => `"${x}"`).join(', ')})`);
  }
  if (steps > d.horizon && d.columns.length > 1) {
    throw new UsageError(`--steps ${steps} is past the model's horizon (${d.horizon}): forecasting further feeds forecasts back in, which needs a model of the target alone; this one reads ${d.columns.length} columns`);
  }
  const lag = seasonLag(d);
  const need = Math.max(d.window, lag);
  if (table.rows < need) throw new CliError(`the window is longer than the data: ${basename(o.data)} has ${table.rows} rows, the model needs the last ${need}`);

  // Normalised series, extended with forecasts as they are made.
  const T = table.rows;
  const z = d.columns.map((c) => {
    const { mean, std } = d.normalization[c];
    const col = table.values[table.columns.indexOf(c)];
    const arr = new Float32Array(T + steps);
    for (let r = 0; r < T; r++) arr[r] = (col[r] - mean) / std;
    return arr;
  });
  const ti = d.columns.indexOf(d.target);
  const { mean, std } = d.normalization[d.target];
  const forecasts: number[] = [];
  for (let k = 1; k <= steps; k++) {
    const tau = T - 1 + k;
    const { x, base } = windows(z, [tau], d);
    const y = noGrad(() => model.forward(x)).toFloat32Array();
    const zf = base[0] + y[0];
    z[ti][tau] = zf;
    forecasts.push(zf * std + mean);
  }
  const dates = table.dates ? nextDates(table.dates, steps) : null;
  const rows = forecasts.map((f, i) => (dates ? [dates[i], i + 1, Number(f.toFixed(4))] : [i + 1, Number(f.toFixed(4))]));
  const header = dates ? [d.dateColumn ?? 'date', 'step', `${d.target}_forecast`] : ['step', `${d.target}_forecast`];
  if (o.plot) {
    const hist = Math.min(T, Math.max(4 * d.window, 60));
    const histVals = Array.from(table.values[table.columns.indexOf(d.target)].subarray(T - hist));
    const xDates = table.dates ? [...table.dates.slice(T - hist).map((x) => x.slice(0, 10)), ...(dates ?? [])] : undefined;
    await writeChecked(
      o.plot,
      svgCharts([
        {
          title: `"${d.target}": the last ${hist} rows and ${steps} forecast step${steps > 1 ? 's' : ''}`,
          xLabel: xDates ? 'date' : 'row',
          yLabel: d.target,
          ...(xDates && dates ? { xDates } : {}),
          series: [
            { name: 'history', color: '#222222', points: histVals.map((v, i) => [xDates && dates ? i : T - hist + i, v] as const) },
            { name: 'forecast', color: '#1f77b4', points: [[xDates && dates ? hist - 1 : T - 1, histVals[hist - 1]] as const, ...forecasts.map((v, i) => [xDates && dates ? hist + i : T + i, v] as const)] },
          ],
        },
      ], `torchlet predict: ${cfg.model.type} forecaster`),
    );
  }
  if (o.json) {
    const obj = { target: d.target, steps, forecasts: forecasts.map((f, i) => ({ step: i + 1, ...(dates ? { date: dates[i] } : {}), value: f })) };
    if (o.out) await writeChecked(o.out, `${JSON.stringify(obj, null, 2)}\n`);
    else outJson(obj);
  } else if (o.out) {
    await writeChecked(o.out, toCsv(header, rows));
    out(`${s.green('wrote')} ${o.out}: ${steps} forecast${steps > 1 ? 's' : ''} of "${d.target}"${o.plot ? `; plot ${o.plot}` : ''}`);
  } else {
    process.stdout.write(toCsv(header, rows));
  }
  return 0;
}
