/**
 * Architecture inference: which layers a state dict holds, read from its key names and shapes
 * alone, as `torchlet inspect` prints them and the playground shows them. No PyTorch twin
 * (PyTorch needs the model's code to load a state dict).
 *
 * A recurrent layer is a prefix with `weight_ih_l0` (+ `weight_hh_l0`, and `_reverse`, `bias_*`,
 * `weight_hr_*` as present). Its type comes from the gate count G = rows of weight_hh / H
 * (1 RNN, 3 GRU, 4 LSTM), H from weight_hh's columns (or weight_hr's, with a projection):
 *   weight_ih_l0 (G*H, Hin)   weight_hh_l0 (G*H, Hout)   weight_hr_l0 (Hout, H)   Hout = projSize || H
 * A cell is a prefix with `weight_ih`/`weight_hh` and no `_l0`. A Linear is a prefix with a 2-D
 * `weight` (+ 1-D `bias`); a Conv1d a 3-D `weight`. What weights cannot say: `batch_first`,
 * `dropout` and an RNN's nonlinearity (tanh is assumed); these are listed in `notes`.
 */

import type { LayerSpec } from './parse.js';

/** A tensor's name and shape, all inference needs. No PyTorch twin. */
export interface TensorEntry {
  readonly name: string;
  readonly shape: readonly number[];
}

/** A layer found in a state dict: where it sits, what it is, which keys it owns. No PyTorch twin. */
export interface InferredLayer {
  /** The key prefix, e.g. `lstm.` ('' for a bare layer's state dict). */
  readonly prefix: string;
  readonly spec: LayerSpec;
  readonly keys: readonly string[];
  /** What the weights cannot tell (e.g. batch_first), or why a guess was made. */
  readonly notes: readonly string[];
}

/** Part of `torch.explain` (see src/explain/). No PyTorch twin. */
export interface InferredArchitecture {
  readonly layers: readonly InferredLayer[];
  /** Keys no recognised layer owns. */
  readonly unrecognized: readonly string[];
}

const MODE_BY_GATES: Readonly<Record<number, 'RNN' | 'GRU' | 'LSTM'>> = { 1: 'RNN', 3: 'GRU', 4: 'LSTM' };

/**
 * The layers a state dict holds, in the order of their first key.
 *
 *   inferArchitecture([{ name: 'lstm.weight_ih_l0', shape: [80, 60] }, ...]).layers[0].spec
 *   // { type: 'LSTM', args: { inputSize: 60, hiddenSize: 20, ... } }
 * No PyTorch twin.
 */
export function inferArchitecture(entries: readonly TensorEntry[]): InferredArchitecture {
  const shapes = new Map(entries.map((e) => [e.name, e.shape]));
  const owned = new Set<string>();
  const layers: InferredLayer[] = [];
  const prefixes: string[] = [];
  for (const { name } of entries) {
    const m = /^(.*?)(weight_ih_l0|weight_ih|weight)$/.exec(name);
    if (m && !prefixes.includes(`${m[1]}|${m[2]}`)) prefixes.push(`${m[1]}|${m[2]}`);
  }
  for (const pk of prefixes) {
    const [prefix, kind] = pk.split('|') as [string, string];
    const layer = kind === 'weight_ih_l0' ? recurrent(prefix, shapes) : kind === 'weight_ih' ? cell(prefix, shapes) : plainLayer(prefix, shapes);
    if (layer === null || layer.keys.some((k) => owned.has(k))) continue;
    for (const k of layer.keys) owned.add(k);
    layers.push(layer);
  }
  return { layers, unrecognized: entries.map((e) => e.name).filter((n) => !owned.has(n)) };
}

function recurrent(prefix: string, shapes: Map<string, readonly number[]>): InferredLayer | null {
  const ih = shapes.get(`${prefix}weight_ih_l0`);
  const hh = shapes.get(`${prefix}weight_hh_l0`);
  if (ih?.length !== 2 || hh?.length !== 2) return null;
  const hr = shapes.get(`${prefix}weight_hr_l0`);
  const hidden = hr?.length === 2 ? hr[1] : hh[1];
  const projSize = hr?.length === 2 ? hr[0] : 0;
  if (hidden <= 0 || hh[0] % hidden !== 0) return null;
  const type = MODE_BY_GATES[hh[0] / hidden];
  if (type === undefined || (projSize > 0 && type !== 'LSTM')) return null;
  let numLayers = 0;
  while (shapes.has(`${prefix}weight_ih_l${numLayers}`)) numLayers++;
  const bidirectional = shapes.has(`${prefix}weight_ih_l0_reverse`);
  const bias = shapes.has(`${prefix}bias_ih_l0`);
  const keys: string[] = [];
  for (let l = 0; l < numLayers; l++) {
    for (const sfx of bidirectional ? ['', '_reverse'] : ['']) {
      for (const w of ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh', 'weight_hr']) {
        const k = `${prefix}${w}_l${l}${sfx}`;
        if (shapes.has(k)) keys.push(k);
      }
    }
  }
  const args: Record<string, number | boolean> = { inputSize: ih[1], hiddenSize: hidden };
  if (numLayers !== 1) args.numLayers = numLayers;
  if (!bias) args.bias = false;
  if (bidirectional) args.bidirectional = true;
  if (projSize > 0) args.projSize = projSize;
  const notes = ['batch_first and dropout are not stored in weights (defaults shown)'];
  if (type === 'RNN') notes.push("an RNN's nonlinearity is not stored in weights (tanh assumed)");
  return { prefix, spec: { type, args }, keys, notes };
}

function cell(prefix: string, shapes: Map<string, readonly number[]>): InferredLayer | null {
  const ih = shapes.get(`${prefix}weight_ih`);
  const hh = shapes.get(`${prefix}weight_hh`);
  if (ih?.length !== 2 || hh?.length !== 2 || hh[1] <= 0 || hh[0] % hh[1] !== 0) return null;
  const type = MODE_BY_GATES[hh[0] / hh[1]];
  if (type === undefined) return null;
  const keys = ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((w) => prefix + w).filter((k) => shapes.has(k));
  const args: Record<string, number | boolean> = { inputSize: ih[1], hiddenSize: hh[1] };
  if (!shapes.has(`${prefix}bias_ih`)) args.bias = false;
  return { prefix, spec: { type: `${type}Cell`, args }, keys, notes: type === 'RNN' ? ['nonlinearity is not stored in weights (tanh assumed)'] : [] };
}

function plainLayer(prefix: string, shapes: Map<string, readonly number[]>): InferredLayer | null {
  const w = shapes.get(`${prefix}weight`)!;
  const b = shapes.get(`${prefix}bias`);
  const keys = [`${prefix}weight`, ...(b ? [`${prefix}bias`] : [])];
  if (w.length === 2 && (b === undefined || (b.length === 1 && b[0] === w[0]))) {
    const args: Record<string, number | boolean> = { inFeatures: w[1], outFeatures: w[0] };
    if (!b) args.bias = false;
    return { prefix, spec: { type: 'Linear', args }, keys, notes: b ? [] : ['a 2-D weight without bias may also be an nn.Embedding'] };
  }
  if (w.length === 3 && (b === undefined || (b.length === 1 && b[0] === w[0]))) {
    const args: Record<string, number | boolean> = { inChannels: w[1], outChannels: w[0], kernelSize: w[2] };
    if (!b) args.bias = false;
    return { prefix, spec: { type: 'Conv1d', args }, keys, notes: ['stride, padding, dilation and groups are not stored in weights (groups=1 assumed)'] };
  }
  return null;
}
