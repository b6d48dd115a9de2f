/**
 * The train panel's Web Worker: parses the CSV, trains the forecaster with the same trainer as
 * `torchlet train` (src/forecast/train.ts), posts every batch's loss and every epoch's validation,
 * and hands back the model as `model.safetensors` bytes plus its model.json config. The page never
 * blocks: all of this runs here. Cross-origin isolated, the recurrent kernel uses 2 threads.
 */
import type { ForecasterConfig } from '../../src/forecast/config.js';
import type { Table } from '../../src/forecast/csv.js';
import { parseCsv } from '../../src/forecast/csv.js';
import type { TrainSettings } from '../../src/forecast/train.js';
import { trainForecaster } from '../../src/forecast/train.js';
import { saveSafetensors } from '../../src/io/safetensors.js';
import { activeKernels, wasmReady } from '../../src/kernels/wasm/loader.js';
import { getNumThreads, setNumThreads } from '../../src/kernels/wasm/threads.js';
import type { StateDict } from '../../src/nn/module.js';
import type { OptimizerStateDict } from '../../src/optim/optimizer.js';
import type { FromWorker, ToWorker, TrainForm } from './train-protocol.js';

const post = (m: FromWorker, transfer: Transferable[] = []): void => (self as unknown as Worker).postMessage(m, transfer);

let stopRequested = false;
let running = false;
let threadsSet = false;
/** What a resume continues from. */
let last: { table: Table; settings: TrainSettings; config: ForecasterConfig; weights: StateDict; optimizer: OptimizerStateDict } | null = null;

/** The seasonal period `torchlet train` picks: 7 for daily dates, else 0. */
function defaultSeason(table: Table): number {
  if (!table.dates || table.dates.length < 2) return 0;
  const a = Date.parse(table.dates[0]!.slice(0, 10).replace(/\//g, '-'));
  const b = Date.parse(table.dates[1]!.slice(0, 10).replace(/\//g, '-'));
  return b - a === 86_400_000 ? 7 : 0;
}

function settingsOf(table: Table, form: TrainForm, dataName: string): TrainSettings {
  return {
    target: form.target,
    window: form.window,
    horizon: form.horizon,
    season: defaultSeason(table),
    epochs: form.epochs,
    lr: form.lr,
    batchSize: form.batchSize,
    seed: form.seed,
    valFraction: form.valFraction,
    model: { type: form.model, hiddenSize: form.hiddenSize, numLayers: form.numLayers, dropout: 0, bidirectional: form.bidirectional },
    dataName,
  };
}

async function run(table: Table, settings: TrainSettings, resume: typeof last): Promise<void> {
  running = true;
  stopRequested = false;
  const started = performance.now();
  try {
    await wasmReady();
    if (!threadsSet) {
      threadsSet = true;
      if (globalThis.crossOriginIsolated === true) await setNumThreads(2);
    }
    let announced = false;
    const result = await trainForecaster(
      table,
      settings,
      {
        onBatch: (b) => {
          if (!announced) {
            announced = true;
            const cfgEpochs = resume ? Math.max(settings.epochs, resume.config.training.epochsDone) : settings.epochs;
            post({ type: 'started', threads: getNumThreads(), kernels: activeKernels(), rows: table.rows, columns: [...table.columns], batches: b.batches, epochsDone: resume?.config.training.epochsDone ?? 0, epochs: cfgEpochs });
          }
          post({ type: 'batch', epoch: b.epoch, batch: b.batch, batches: b.batches, loss: b.loss, samplesPerSecond: b.samplesPerSecond });
        },
        onCheckpoint: (snap, info) => {
          last = { table, settings, config: snap.config, weights: snap.weights, optimizer: snap.optimizer };
          if (info) post({ type: 'epoch', epoch: info.epoch, epochs: info.epochs, trainLoss: info.trainLoss, valLoss: info.valLoss, valMae: info.valMae, baselineMae: info.baselineMae });
        },
        shouldStop: () => stopRequested,
      },
      resume ? { config: resume.config, weights: resume.weights, optimizer: resume.optimizer } : undefined,
    );
    const v = result.validation;
    const mae = v.forecast.reduce((a, f, i) => a + Math.abs(f - v.actual[i]!), 0) / v.actual.length;
    // The weights as `torchlet train` writes them (the model's, also when stopped mid-epoch).
    const weights = saveSafetensors(result.model.stateDict(), { format: 'torchlet.forecaster', config: 'model.json' });
    post(
      {
        type: 'done',
        stopped: result.stopped,
        config: result.config,
        weights,
        validation: { dates: table.dates ? v.rows.map((r) => table.dates![r]!.slice(0, 10)) : null, rows: [...v.rows], actual: [...v.actual], forecast: [...v.forecast], baseline: [...v.baseline] },
        mae,
        baselineMae: result.config.training.baselineMae ?? Number.NaN,
        seconds: (performance.now() - started) / 1000,
      },
      [weights.buffer],
    );
  } catch (e) {
    post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  } finally {
    running = false;
  }
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  if (m.type === 'stop') {
    stopRequested = true;
    return;
  }
  if (running) {
    post({ type: 'error', message: 'training is already running: stop it first' });
    return;
  }
  if (m.type === 'start') {
    let table: Table;
    try {
      table = parseCsv(m.csv, m.dataName);
    } catch (err) {
      post({ type: 'error', message: (err as Error).message });
      return;
    }
    last = null;
    void run(table, settingsOf(table, m.form, m.dataName), null);
  } else if (m.type === 'resume') {
    if (!last) {
      post({ type: 'error', message: 'nothing to resume: train first' });
      return;
    }
    void run(last.table, { ...last.settings, epochs: m.epochs }, last);
  }
};
