/**
 * The forecaster `torchlet train` builds, and the windows it learns from. Browser-safe.
 *
 * Model (PyTorch equivalent):
 *   rnn = nn.LSTM(F, H, num_layers, batch_first=True, dropout, bidirectional); head = nn.Linear(D*H, 1)
 *   _, h_n = rnn(x)                    # x (N, window, F); h_n (D*num_layers, N, H)  (LSTM: (h_n, c_n))
 *   y = head(torch.cat(list(h_n[-D:]), dim=-1))      # the last layer's final state, both directions
 * Reading the final states (not output[:, -1]) keeps a bidirectional model's reverse direction
 * useful: at the last step it has seen one element only (the slip `torch.explain` warns about).
 */

import { cat } from '../ops/join.js';
import { narrow, reshape } from '../ops/shape.js';
import { tensor } from '../ops/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { Linear } from '../nn/layers/linear.js';
import { Module } from '../nn/module.js';
import type { RNNBase } from '../nn/rnn/base.js';
import { GRU, LSTM, RNN } from '../nn/rnn/layers.js';
import type { OnnxGraph, OnnxValue } from '../onnx/graph.js';
import { ints } from '../onnx/graph.js';
import type { DataSection, ModelSection } from './config.js';
import type { Table } from './csv.js';
import { CsvError } from './csv.js';

/** RNN/LSTM/GRU over the window, then a Linear on the last layer's final state. x (N, L, F) → (N, 1). */
export class Forecaster extends Module {
  /** `Forecaster`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'Forecaster';
  readonly rnn: RNNBase;
  readonly head: Linear;

  constructor(m: ModelSection) {
    super();
    const opts = { numLayers: m.numLayers, batchFirst: true, dropout: m.dropout, bidirectional: m.bidirectional };
    const rnn = m.type === 'LSTM' ? new LSTM(m.inputSize, m.hiddenSize, opts) : m.type === 'GRU' ? new GRU(m.inputSize, m.hiddenSize, opts) : new RNN(m.inputSize, m.hiddenSize, { ...opts, nonlinearity: m.nonlinearity ?? 'tanh' });
    this.rnn = this.registerModule('rnn', rnn);
    this.head = this.registerModule('head', new Linear((m.bidirectional ? 2 : 1) * m.hiddenSize, 1));
  }

  forward(x: Tensor): Tensor {
    const [, state] = this.rnn.forward(x);
    const hN = Array.isArray(state) ? state[0] : (state as Tensor);
    const D = this.rnn.numDirections;
    const last = narrow(hN, 0, hN.shape[0] - D, D); // (D, N, H)
    const N = hN.shape[1];
    const joined = D === 1 ? reshape(last, [N, this.rnn.hiddenSize]) : cat([reshape(narrow(last, 0, 0, 1), [N, -1]), reshape(narrow(last, 0, 1, 1), [N, -1])], 1);
    return this.head.forward(joined);
  }

  /** ONNX export (see `torch.onnx.export`): rnn → Slice the last layer's rows of hN → (N, D*H) → head. */
  onnxExport(g: OnnxGraph, [x]: OnnxValue[]): OnnxValue[] {
    const [, h] = g.module(this.rnn, [x!]);
    const D = this.rnn.numDirections;
    const rows = h!.value.shape[0];
    const last = narrow(h!.value, 0, rows - D, D);
    const konst = (base: string, v: number[]): OnnxValue => ({ name: g.int64(base, v), value: tensor(v) });
    const sliced = g.op('Slice', [h!, konst('starts', [rows - D]), konst('ends', [rows]), konst('axes', [0])], {}, last);
    const t = g.op('Transpose', [sliced], { perm: ints([1, 0, 2]) }, last.transpose(0, 1));
    const flat = g.op('Reshape', [t, konst('shape', [0, -1])], {}, reshape(last.transpose(0, 1), [last.shape[1], -1]));
    return g.module(this.head, [flat]);
  }
}

/** The table's columns normalised with the config's statistics: z[c][r] = (x - mean) / std. */
export function normalise(table: Table, data: Pick<DataSection, 'columns' | 'normalization'>): Float32Array[] {
  return data.columns.map((col) => {
    const idx = table.columns.indexOf(col);
    if (idx < 0) throw new CsvError(`the data has no column "${col}" (it has ${table.columns.map((c) => `"${c}"`).join(', ')})`);
    const { mean, std } = data.normalization[col];
    return Float32Array.from(table.values[idx], (v) => (v - mean) / std);
  });
}

/** Mean and (population) standard deviation of each column over rows [0, end). A constant column gets std 1. */
export function columnStats(table: Table, columns: readonly string[], end: number): Record<string, { mean: number; std: number }> {
  const out: Record<string, { mean: number; std: number }> = {};
  for (const col of columns) {
    const v = table.values[table.columns.indexOf(col)].subarray(0, end);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    out[col] = { mean, std: sd > 1e-12 ? sd : 1 };
  }
  return out;
}

/** How many steps back the seasonal-naive value lies for this horizon: a whole number of seasons ≥ horizon. */
export function seasonLag(data: Pick<DataSection, 'season' | 'horizon'>): number {
  return data.season > 0 ? data.season * Math.ceil(data.horizon / data.season) : 0;
}

/** The first target step that has a full window and (residual) a seasonal-naive value. */
export function firstTarget(data: Pick<DataSection, 'window' | 'horizon' | 'season'>): number {
  return Math.max(data.window + data.horizon - 1, seasonLag(data));
}

/**
 * The model's inputs for target steps `targets`: x (N, window / fold, fold * F) holds rows τ-horizon-window+1 …
 * τ-horizon of the normalised columns; `base` the normalised seasonal-naive value of each target
 * (0 when not residual), which the model's output is added to.
 */
export function windows(z: readonly Float32Array[], targets: readonly number[], data: Pick<DataSection, 'window' | 'horizon' | 'season' | 'residual' | 'columns' | 'target' | 'fold'>): { x: Tensor; base: Float32Array } {
  const F = z.length;
  const W = data.window;
  const x = new Float32Array(targets.length * W * F);
  const base = new Float32Array(targets.length);
  const t = data.columns.indexOf(data.target);
  const lag = seasonLag(data);
  targets.forEach((tau, n) => {
    const start = tau - data.horizon - W + 1;
    for (let s = 0; s < W; s++) for (let f = 0; f < F; f++) x[(n * W + s) * F + f] = z[f][start + s];
    base[n] = data.residual && lag > 0 ? z[t][tau - lag] : 0;
  });
  // (N, W, F) read as (N, W / fold, fold * F): a reshape, rows stay in time order.
  return { x: tensor(x, { shape: [targets.length, W / data.fold, data.fold * F] }), base };
}
