/**
 * The model config: one versioned JSON file that `torchlet train` writes beside its
 * `.safetensors` weights and that `predict`, `inspect`, `convert`, the playground and `serve`
 * read. It holds everything needed to rebuild the model and use it on new data: the
 * architecture, the columns and window, the normalisation, and the training record.
 * Schema: docs/model-config.md. Browser-safe.
 */

import { FormatError } from '../errors.js';

export const CONFIG_FORMAT = 'torchlet.forecaster';
export const CONFIG_VERSION = 1;

/** The recurrent forecaster: an RNN/LSTM/GRU over the window, a Linear on its final state. */
export interface ModelSection {
  /** 'LSTM', 'GRU' or 'RNN' (PyTorch's class names). */
  readonly type: 'LSTM' | 'GRU' | 'RNN';
  /** Features per RNN step: the number of `data.columns` times `data.fold`. */
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /** RNN only: 'tanh' or 'relu'. */
  readonly nonlinearity?: 'tanh' | 'relu';
}

export interface DataSection {
  /** The feature columns, in the order of the input's last dim. */
  readonly columns: readonly string[];
  /** The column forecast (one of `columns`). */
  readonly target: string;
  /** The date column recognised and skipped, or null. */
  readonly dateColumn: string | null;
  /** Steps of history the model reads (L). */
  readonly window: number;
  /** How many steps after the window's last step the forecast is for (1 = the next step). */
  readonly horizon: number;
  /** The seasonal period in steps (7 for daily data); the baseline is the value one season earlier. */
  readonly season: number;
  /**
   * Consecutive steps read as one RNN step: the window (window, F) is read as
   * (window / fold, fold * F). With fold = season (7 for daily data) each RNN step is one week and
   * position 0 of every week is the same weekday: a short sequence with the seasonal alignment
   * built in (about 7x faster than reading days, and more accurate). 1 reads step by step.
   */
  readonly fold: number;
  /** True: the model predicts the change from the seasonal-naive value (residual), false: the value. */
  readonly residual: boolean;
  /** Per column: mean and standard deviation of the training rows; inputs are (x - mean) / std. */
  readonly normalization: Readonly<Record<string, { readonly mean: number; readonly std: number }>>;
}

export interface TrainingSection {
  readonly epochs: number;
  /** Epochs finished (the checkpoint is written after each). */
  readonly epochsDone: number;
  readonly lr: number;
  readonly batchSize: number;
  readonly seed: number;
  /** The last fraction of the windows (by time) held out for validation. */
  readonly valFraction: number;
  /** Mean training loss (MSE, normalised units) per epoch. */
  readonly trainLoss: readonly number[];
  /** Validation MSE (normalised units) per epoch. */
  readonly valLoss: readonly number[];
  /** Validation mean absolute error in the target's units, after the last epoch. */
  readonly valMae: number | null;
  /** The seasonal-naive baseline's validation mean absolute error. */
  readonly baselineMae: number | null;
  /** The data file trained on ('(built-in) US births 1994-2003' for the shipped data). */
  readonly data: string;
  readonly rows: number;
}

export interface ForecasterConfig {
  readonly format: typeof CONFIG_FORMAT;
  readonly version: typeof CONFIG_VERSION;
  readonly model: ModelSection;
  readonly data: DataSection;
  /** The weights file, relative to the config's folder. */
  readonly weights: string;
  readonly training: TrainingSection;
}

type Json = unknown;

function fail(where: string, what: string): never {
  throw new FormatError(`model config: ${where} ${what}`);
}

function obj(v: Json, where: string): Record<string, Json> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(where, 'must be an object');
  return v as Record<string, Json>;
}
function int(v: Json, where: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(where, `must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}
function num(v: Json, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(where, `must be a number, got ${JSON.stringify(v)}`);
  return v;
}
function str(v: Json, where: string): string {
  if (typeof v !== 'string') fail(where, `must be a string, got ${JSON.stringify(v)}`);
  return v;
}
function bool(v: Json, where: string): boolean {
  if (typeof v !== 'boolean') fail(where, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}
function nums(v: Json, where: string): number[] {
  if (!Array.isArray(v)) fail(where, 'must be an array of numbers');
  return v.map((x, i) => num(x, `${where}[${i}]`));
}

/**
 * Check a parsed JSON value against the schema (docs/model-config.md) and return it typed.
 * Throws FormatError naming the first field that is wrong (`model config: model.hiddenSize
 * must be an integer >= 1, got "32"`), or saying the version is newer than this torchlet reads.
 */
export function validateConfig(json: Json): ForecasterConfig {
  const c = obj(json, 'the file');
  if (c.format !== CONFIG_FORMAT) fail('format', `must be "${CONFIG_FORMAT}", got ${JSON.stringify(c.format)} (is this a torchlet model config?)`);
  if (typeof c.version !== 'number' || c.version > CONFIG_VERSION) {
    fail('version', `is ${JSON.stringify(c.version)}; this torchlet reads version ${CONFIG_VERSION} (upgrade torchlet to read newer configs)`);
  }
  int(c.version, 'version', 1);
  const m = obj(c.model, 'model');
  const type = str(m.type, 'model.type');
  if (type !== 'LSTM' && type !== 'GRU' && type !== 'RNN') fail('model.type', `must be "LSTM", "GRU" or "RNN", got "${type}"`);
  const nl = m.nonlinearity === undefined ? undefined : str(m.nonlinearity, 'model.nonlinearity');
  if (nl !== undefined && nl !== 'tanh' && nl !== 'relu') fail('model.nonlinearity', `must be "tanh" or "relu", got "${nl}"`);
  const model: ModelSection = {
    type,
    inputSize: int(m.inputSize, 'model.inputSize', 1),
    hiddenSize: int(m.hiddenSize, 'model.hiddenSize', 1),
    numLayers: int(m.numLayers, 'model.numLayers', 1),
    dropout: num(m.dropout, 'model.dropout'),
    bidirectional: bool(m.bidirectional, 'model.bidirectional'),
    ...(nl !== undefined ? { nonlinearity: nl } : {}),
  };
  const d = obj(c.data, 'data');
  if (!Array.isArray(d.columns) || d.columns.length === 0) fail('data.columns', 'must be a non-empty array of column names');
  const columns = d.columns.map((x, i) => str(x, `data.columns[${i}]`));
  const target = str(d.target, 'data.target');
  if (!columns.includes(target)) fail('data.target', `"${target}" is not one of data.columns`);
  const fold = int(d.fold, 'data.fold', 1);
  if (columns.length * fold !== model.inputSize) fail('model.inputSize', `is ${model.inputSize} but data.columns has ${columns.length} columns read ${fold} steps at a time`);
  const normIn = obj(d.normalization, 'data.normalization');
  const normalization: Record<string, { mean: number; std: number }> = {};
  for (const col of columns) {
    const n = obj(normIn[col], `data.normalization["${col}"]`);
    normalization[col] = { mean: num(n.mean, `data.normalization["${col}"].mean`), std: num(n.std, `data.normalization["${col}"].std`) };
    if (!(normalization[col].std > 0)) fail(`data.normalization["${col}"].std`, 'must be > 0');
  }
  const data: DataSection = {
    columns,
    target,
    dateColumn: d.dateColumn === null ? null : str(d.dateColumn, 'data.dateColumn'),
    window: int(d.window, 'data.window', 1),
    fold,
    horizon: int(d.horizon, 'data.horizon', 1),
    season: int(d.season, 'data.season', 0),
    residual: bool(d.residual, 'data.residual'),
    normalization,
  };
  const t = obj(c.training, 'training');
  const training: TrainingSection = {
    epochs: int(t.epochs, 'training.epochs', 0),
    epochsDone: int(t.epochsDone, 'training.epochsDone', 0),
    lr: num(t.lr, 'training.lr'),
    batchSize: int(t.batchSize, 'training.batchSize', 1),
    seed: int(t.seed, 'training.seed', 0),
    valFraction: num(t.valFraction, 'training.valFraction'),
    trainLoss: nums(t.trainLoss, 'training.trainLoss'),
    valLoss: nums(t.valLoss, 'training.valLoss'),
    valMae: t.valMae === null ? null : num(t.valMae, 'training.valMae'),
    baselineMae: t.baselineMae === null ? null : num(t.baselineMae, 'training.baselineMae'),
    data: str(t.data, 'training.data'),
    rows: int(t.rows, 'training.rows', 0),
  };
  return { format: CONFIG_FORMAT, version: CONFIG_VERSION, model, data, weights: str(c.weights, 'weights'), training };
}
