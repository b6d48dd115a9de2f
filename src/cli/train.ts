/**
 * `torchlet train`: train a forecaster on a CSV (or the US births data shipped in the package),
 * with a progress bar per epoch, the validation error next to the seasonal-naive baseline, the
 * loss curve in the terminal and as SVG, and a checkpoint (`model.safetensors`,
 * `optimizer.safetensors`, `model.json`) written atomically after every epoch. Ctrl-C stops after
 * the current batch, saves, and exits 130; `--resume` continues from the checkpoint.
 */

import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import type { Style } from '../explain/render.js';
import { validateConfig } from '../forecast/config.js';
import type { ForecasterConfig } from '../forecast/config.js';
import type { Table } from '../forecast/csv.js';
import { parseCsv } from '../forecast/csv.js';
import { svgCharts, textChart } from '../forecast/plot.js';
import type { EpochInfo, Snapshot, TrainResult, TrainSettings } from '../forecast/train.js';
import { trainForecaster } from '../forecast/train.js';
import { loadSafetensors, saveSafetensors } from '../io/safetensors.js';
import type { OptimizerStateDict } from '../optim/optimizer.js';
import { Tensor } from '../tensor/tensor.js';
import { readBytes } from './files.js';
import { CliError, intOption, numOption, out, outJson, UsageError } from './ui.js';
import { writeAtomicSync, writeChecked } from './write.js';

/** The births CSV shipped with the package (assets/, beside dist/ and src/). */
export const BIRTHS_CSV = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'assets', 'us-births-1994-2003.csv');
export const BIRTHS_NAME = '(built-in) US daily births 1994-2003, CDC/NCHS';

export interface TrainCliOptions {
  data?: string;
  target?: string;
  columns?: string;
  window: string;
  horizon: string;
  season?: string;
  fold?: string;
  model: string;
  hidden: string;
  layers: string;
  dropout: string;
  bidirectional?: boolean;
  epochs: string;
  lr: string;
  batchSize: string;
  val: string;
  seed: string;
  out: string;
  plot?: string;
  resume?: boolean;
  json?: boolean;
}

/** Read and parse a CSV file (errors name the row and column). */
export function readTable(path: string): Table {
  const text = new TextDecoder().decode(readBytes(path));
  try {
    return parseCsv(text, basename(path));
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/** The seasonal period to use: given, or 7 for daily dates, else 0. */
function defaultSeason(table: Table): number {
  if (!table.dates || table.dates.length < 2) return 0;
  const a = Date.parse(table.dates[0].slice(0, 10).replace(/\//g, '-'));
  const b = Date.parse(table.dates[1].slice(0, 10).replace(/\//g, '-'));
  return b - a === 86_400_000 ? 7 : 0;
}

function optimizerBytes(o: OptimizerStateDict): Uint8Array {
  const tensors: Record<string, Tensor> = {};
  const plain: Record<string, Record<string, number | null>> = {};
  for (const [i, st] of Object.entries(o.state)) {
    for (const [k, v] of Object.entries(st)) {
      if (v instanceof Tensor) tensors[`state.${i}.${k}`] = v;
      else (plain[i] ??= {})[k] = v;
    }
  }
  return saveSafetensors(tensors, { optimizer: JSON.stringify({ param_groups: o.param_groups, state: plain }) });
}

function optimizerFrom(bytes: Uint8Array): OptimizerStateDict {
  const f = loadSafetensors(bytes);
  const meta = JSON.parse(f.metadata.optimizer ?? '{}') as { param_groups: OptimizerStateDict['param_groups']; state: Record<string, Record<string, number | null>> };
  const state: OptimizerStateDict['state'] = {};
  for (const [i, st] of Object.entries(meta.state ?? {})) state[Number(i)] = { ...st };
  for (const [k, t] of Object.entries(f.tensors)) {
    const [, i, name] = k.split('.');
    (state[Number(i)] ??= {})[name!] = t;
  }
  return { state, param_groups: meta.param_groups };
}

function writeCheckpoint(dir: string, snap: Snapshot): void {
  writeAtomicSync(join(dir, 'model.safetensors'), saveSafetensors(snap.weights, { format: 'torchlet.forecaster', config: 'model.json' }));
  writeAtomicSync(join(dir, 'optimizer.safetensors'), optimizerBytes(snap.optimizer));
  writeAtomicSync(join(dir, 'model.json'), `${JSON.stringify(snap.config, null, 2)}\n`);
}

/** The training plots: loss per epoch, and actual vs forecast vs baseline on the validation range. */
export function trainingSvg(config: ForecasterConfig, full: TrainResult['validation'], dates: readonly string[] | null): string {
  const t = config.training;
  // The last 16 seasons (or 120 steps) of the validation range: enough to see the fit, not a blur.
  const show = Math.min(full.rows.length, config.data.season > 1 ? 16 * config.data.season : 120);
  const cut = full.rows.length - show;
  const r = { rows: full.rows.slice(cut), actual: full.actual.slice(cut), forecast: full.forecast.slice(cut), baseline: full.baseline.slice(cut) };
  const xDates = dates ? r.rows.map((row) => dates[row].slice(0, 10)) : undefined;
  return svgCharts(
    [
      {
        title: 'loss per epoch (MSE on normalised values)',
        xLabel: 'epoch',
        yLabel: 'MSE',
        series: [
          { name: 'training', color: '#1f77b4', points: t.trainLoss.map((v, i) => [i + 1, v] as const) },
          { name: 'validation', color: '#d62728', points: t.valLoss.map((v, i) => [i + 1, v] as const) },
        ],
      },
      {
        title: `"${config.data.target}": the last ${show} steps of the validation range, forecast ${config.data.horizon} step${config.data.horizon > 1 ? 's' : ''} ahead`,
        xLabel: dates ? 'date' : 'row',
        yLabel: config.data.target,
        ...(xDates ? { xDates } : {}),
        series: [
          { name: 'actual', color: '#222222', points: r.actual.map((v, i) => [xDates ? i : r.rows[i], v] as const) },
          { name: `${config.model.type} forecast`, color: '#1f77b4', points: r.forecast.map((v, i) => [xDates ? i : r.rows[i], v] as const) },
          { name: config.data.season ? `seasonal naive (${config.data.season} back)` : 'last value', color: '#ff7f0e', dashed: true, points: r.baseline.map((v, i) => [xDates ? i : r.rows[i], v] as const) },
        ],
      },
    ],
    `torchlet train: ${config.model.type} forecaster of "${config.data.target}"`,
  );
}

const fmtNum = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4));

export async function trainCommand(o: TrainCliOptions, s: Style): Promise<number> {
  const dataPath = o.data ?? BIRTHS_CSV;
  const dataName = o.data ? basename(o.data) : BIRTHS_NAME;
  const outDir = o.out;
  let resume: { config: ForecasterConfig; weights: Record<string, Tensor>; optimizer?: OptimizerStateDict } | undefined;
  if (o.resume) {
    const cfgPath = join(outDir, 'model.json');
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(readBytes(cfgPath)));
    } catch (e) {
      if (e instanceof CliError) throw new CliError(`--resume: ${e.message} (train once with --out ${outDir} first)`);
      throw new CliError(`--resume: ${cfgPath} is not valid JSON`);
    }
    let config: ForecasterConfig;
    try {
      config = validateConfig(json);
    } catch (e) {
      throw new CliError(`${cfgPath}: ${(e as Error).message}`);
    }
    const weightsPath = join(outDir, config.weights);
    let weights: Record<string, Tensor>;
    try {
      weights = loadSafetensors(readBytes(weightsPath)).tensors;
    } catch (e) {
      throw new CliError(e instanceof CliError ? e.message : `${weightsPath}: ${(e as Error).message}`);
    }
    let optimizer: OptimizerStateDict | undefined;
    try {
      optimizer = optimizerFrom(readBytes(join(outDir, 'optimizer.safetensors')));
    } catch {
      optimizer = undefined; // a checkpoint without optimizer state resumes with a fresh Adam
    }
    resume = { config, weights, ...(optimizer ? { optimizer } : {}) };
  }
  const table = readTable(dataPath);
  let target = o.target ?? (o.data ? undefined : 'births');
  if (resume) target = resume.config.data.target;
  if (target === undefined) {
    if (table.columns.length === 1) target = table.columns[0];
    else throw new UsageError(`--target is needed: which column to forecast (${table.columns.map((c) => `"${c}"`).join(', ')})`);
  }
  const model = o.model.toUpperCase();
  if (model !== 'LSTM' && model !== 'GRU' && model !== 'RNN') throw new UsageError(`--model must be lstm, gru or rnn, got "${o.model}"`);
  const window = intOption(o.window, '--window');
  const season = o.season !== undefined ? intOption(o.season, '--season', 0) : defaultSeason(table);
  const fold = o.fold !== undefined ? intOption(o.fold, '--fold') : undefined;
  if (fold !== undefined && window % fold !== 0) throw new UsageError(`--window (${window}) must be a multiple of --fold (${fold})`);
  const settings: TrainSettings = {
    target,
    ...(o.columns ? { columns: o.columns.split(',').map((c) => c.trim()) } : {}),
    window,
    ...(fold !== undefined ? { fold } : {}),
    horizon: intOption(o.horizon, '--horizon'),
    season,
    epochs: intOption(o.epochs, '--epochs'),
    lr: numOption(o.lr, '--lr', 0, 10),
    batchSize: intOption(o.batchSize, '--batch-size'),
    seed: intOption(o.seed, '--seed', 0),
    valFraction: numOption(o.val, '--val', 0, 0.95),
    model: {
      type: model,
      hiddenSize: intOption(o.hidden, '--hidden'),
      numLayers: intOption(o.layers, '--layers'),
      dropout: Number(o.dropout),
      bidirectional: o.bidirectional ?? false,
    },
    dataName,
  };
  if (!(settings.model.dropout >= 0 && settings.model.dropout < 1)) throw new UsageError(`--dropout must be in [0, 1), got "${o.dropout}"`);

  const text = !o.json;
  const bar = text && process.stderr.isTTY ? new cliProgress.SingleBar(
    {
      format: `epoch {epoch} ${s.cyan('{bar}')} {percentage}% | batch {value}/{total} | loss {loss} | {speed} windows/s | ETA {eta_formatted}`,
      barCompleteChar: '█',
      barIncompleteChar: '░',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 20,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  ) : null;

  let stopRequested = false;
  const onSigint = (): void => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    if (bar) bar.stop();
    process.stderr.write('\nstopping after this batch and saving (Ctrl-C again to quit now)\n');
  };
  process.on('SIGINT', onSigint);
  const started = performance.now();
  let barEpoch = -1;
  if (text) {
    out(`${s.bold('train')} ${model} forecaster of "${target}" on ${dataName}: ${table.rows} rows${table.dateColumn ? ` (dates in "${table.dateColumn}" skipped)` : ''}`);
    if (resume) out(`resuming from ${outDir} after epoch ${resume.config.training.epochsDone}`);
  }
  let result: TrainResult;
  try {
    result = await trainForecaster(
      table,
      settings,
      {
        onBatch: (b) => {
          if (!bar) return;
          if (barEpoch !== b.epoch) {
            if (barEpoch >= 0) bar.stop();
            barEpoch = b.epoch;
            bar.start(b.batches, 0, { epoch: `${b.epoch + 1}/${settings.epochs}`, loss: '-', speed: '-' });
          }
          bar.update(b.batch, { loss: b.loss.toFixed(4), speed: Math.round(b.samplesPerSecond) });
        },
        onCheckpoint: (snap, info: EpochInfo | null) => {
          writeCheckpoint(outDir, snap);
          if (!info) return;
          if (bar) {
            bar.stop();
            barEpoch = -1;
          }
          if (text) {
            out(`epoch ${String(info.epoch + 1).padStart(String(info.epochs).length)}/${info.epochs}  train loss ${info.trainLoss.toFixed(4)}  val loss ${info.valLoss.toFixed(4)}  val MAE ${fmtNum(info.valMae)} (baseline ${fmtNum(info.baselineMae)})  ${((performance.now() - started) / 1000).toFixed(1)} s`);
          }
        },
        shouldStop: () => stopRequested,
      },
      resume,
    );
  } catch (e) {
    bar?.stop();
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
  bar?.stop();
  const cfg = result.config;
  const plotPath = o.plot ?? join(outDir, 'training.svg');
  await writeChecked(plotPath, trainingSvg(cfg, result.validation, table.dates));
  const seconds = (performance.now() - started) / 1000;
  const t = cfg.training;
  const mae = result.validation.forecast.reduce((a, f, i) => a + Math.abs(f - result.validation.actual[i]), 0) / result.validation.actual.length;
  const base = t.baselineMae!;
  const gain = 100 * (1 - mae / base);
  const verdict = mae < base ? `the ${model} beats the baseline by ${gain.toFixed(1)}%` : `the ${model} does not beat the baseline (${(-gain).toFixed(1)}% worse)`;
  const baselineName = cfg.data.season ? `seasonal naive (the value ${cfg.data.season} steps earlier)` : 'naive (the last value)';
  if (o.json) {
    outJson({
      stopped: result.stopped,
      epochsDone: t.epochsDone,
      epochs: t.epochs,
      trainLoss: t.trainLoss,
      valLoss: t.valLoss,
      validation: { points: result.validation.actual.length, mae, baselineMae: base, baseline: baselineName, improvement: gain / 100 },
      files: { config: join(outDir, 'model.json'), weights: join(outDir, 'model.safetensors'), optimizer: join(outDir, 'optimizer.safetensors'), plot: plotPath },
      seconds,
    });
  } else {
    out('');
    if (t.trainLoss.length > 1) {
      out(s.bold('loss per epoch'));
      for (const line of textChart([{ name: 'training', mark: '●', values: t.trainLoss }, { name: 'validation', mark: '○', values: t.valLoss }], 48, 8)) out(line);
      out('');
    }
    out(`${s.bold('validation')}: mean absolute error over the last ${result.validation.actual.length} steps (${cfg.data.target})`);
    const w = Math.max(model.length, baselineName.length) + 2;
    out(`  ${model.padEnd(w)} ${fmtNum(mae)}`);
    out(`  ${baselineName.padEnd(w)} ${fmtNum(base)}`);
    out((mae < base ? s.green : s.yellow)(`${verdict} (${seconds.toFixed(1)} s)`));
    out('');
    out(`wrote ${join(outDir, 'model.json')}, model.safetensors, optimizer.safetensors; plot ${plotPath}`);
    if (result.stopped) out(s.yellow(`stopped after epoch ${t.epochsDone}: continue with --resume --out ${outDir}`));
  }
  return result.stopped ? 130 : 0;
}
