/**
 * The model a batcher serves, and one batch run through it. Node and browsers alike; the library is
 * reached only through its public entry point (`../index.js`), so that `torchlet/serve` and its
 * worker share the one copy of every class with `torchlet` (a PackedSequence built here is the
 * layer's PackedSequence).
 *
 * What can be served: a recurrent layer (`nn.RNN`, `nn.LSTM`, `nn.GRU`: their forward takes a
 * PackedSequence) or the forecaster `torchlet train` writes (such a layer, then a Linear on the
 * last layer's final state). A batch of B sequences of lengths Li (F = inputSize features) is
 * packed time-major into one PackedSequence (data (sum Li, F), no padding), run once, and cut back:
 * per sequence, what the module's forward gives for that sequence alone, unbatched:
 * - layer:      output (Li, D*Hout), h_n (D*numLayers, Hout), c_n (D*numLayers, H) for LSTM
 * - forecaster: output (1)
 */

import type { Tensor } from '../index.js';
import * as torch from '../index.js';
import { resultJsonBytes, resultJsonInto } from './json.js';

type Module = torch.nn.Module;

/** One named result tensor of one sequence, as flat float32 data (transferable between threads). */
export interface RawTensor {
  readonly name: 'output' | 'h_n' | 'c_n';
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** One sequence as it travels: `length` steps of the model's features, row-major (length, F). */
export interface RawSequence {
  readonly data: Float32Array;
  readonly length: number;
  /** Answer with the results as JSON text (UTF-8 bytes) made where the batch ran, not as tensors. */
  readonly json?: boolean;
  /** Only these results (`h_n`, ...), in the model's order; all when left out. */
  readonly only?: readonly string[];
}

/** One sequence's results: its tensors, or their JSON text when the sequence asked for it. */
export type RawResult = RawTensor[] | Uint8Array;

/** The recurrent layer's settings: enough to rebuild it through the public constructors. */
interface LayerRecipe {
  readonly type: 'RNN' | 'LSTM' | 'GRU';
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly bidirectional: boolean;
  readonly projSize: number;
  readonly nonlinearity: 'tanh' | 'relu';
}

/**
 * A served model as plain data (structured-clone safe): the layer's settings, the head's shape
 * (forecaster) or null, and the weights by their state-dict names.
 */
export interface ModelRecipe {
  readonly layer: LayerRecipe;
  /** The forecaster's Linear(D * hiddenSize, outFeatures), or null for a bare layer. */
  readonly head: { readonly inFeatures: number; readonly outFeatures: number } | null;
  readonly weights: Readonly<Record<string, { readonly shape: readonly number[]; readonly data: Float32Array }>>;
}

/** The parts of a served module the batch runner calls. */
export interface ServedModel {
  readonly rnn: torch.nn.RNNBase;
  readonly head: torch.nn.Linear | null;
  /** The module as given (for the state dict: its keys are `rnn.*`/`head.*` for a forecaster). */
  readonly module: Module;
  /** How the model is described: `nn.LSTM(8, 16, num_layers=2)` or `Forecaster(nn.LSTM(...) -> Linear(16, 1))`. */
  readonly description: string;
}

const TYPES: Readonly<Record<string, LayerRecipe['type']>> = { RNN_TANH: 'RNN', RNN_RELU: 'RNN', LSTM: 'LSTM', GRU: 'GRU' };

/** A module's class name as PyTorch prints it (kept through minification: src/nn/type-name.ts). */
function typeNameOf(m: Module): string {
  return (m.constructor as { typeName?: string }).typeName ?? m.constructor.name;
}

function isLayer(m: unknown): m is torch.nn.RNNBase {
  return m instanceof torch.nn.RNNBase;
}

function layerRecipe(rnn: torch.nn.RNNBase): LayerRecipe {
  return {
    type: TYPES[rnn.mode] ?? 'RNN',
    inputSize: rnn.inputSize,
    hiddenSize: rnn.hiddenSize,
    numLayers: rnn.numLayers,
    bias: rnn.bias,
    bidirectional: rnn.bidirectional,
    projSize: rnn.projSize,
    nonlinearity: rnn.mode === 'RNN_RELU' ? 'relu' : 'tanh',
  };
}

/** `nn.LSTM(8, 16, num_layers=2, bidirectional=True)`: the layer as PyTorch code. */
function layerText(r: LayerRecipe): string {
  const kw = [
    r.numLayers !== 1 ? `num_layers=${r.numLayers}` : '',
    r.type === 'RNN' && r.nonlinearity === 'relu' ? "nonlinearity='relu'" : '',
    r.bias ? '' : 'bias=False',
    r.bidirectional ? 'bidirectional=True' : '',
    r.projSize > 0 ? `proj_size=${r.projSize}` : '',
  ].filter((s) => s !== '');
  return `nn.${r.type}(${[r.inputSize, r.hiddenSize, ...kw].join(', ')})`;
}

/**
 * The served view of `module`: a recurrent layer, or a module with a recurrent `rnn` and a Linear
 * `head` read from the last layer's final state (the forecaster of `torchlet train`). Anything
 * else is refused with a ValueError saying what can be served.
 */
export function servedModel(module: Module): ServedModel {
  if (isLayer(module)) return { rnn: module, head: null, module, description: layerText(layerRecipe(module)) };
  const parts = module as unknown as { rnn?: unknown; head?: unknown };
  if (module instanceof torch.nn.Module && isLayer(parts.rnn) && parts.head instanceof torch.nn.Linear) {
    const rnn = parts.rnn;
    const head = parts.head;
    const name = typeNameOf(module);
    return { rnn, head, module, description: `${name}(${layerText(layerRecipe(rnn))} -> nn.Linear(${head.inFeatures}, ${head.outFeatures}))` };
  }
  const got = module instanceof torch.nn.Module ? (typeNameOf(module)) : module === null ? 'null' : typeof module;
  throw new torch.ValueError(
    `serve: cannot batch a ${got}: the served model must be an nn.RNN, nn.LSTM or nn.GRU (their forward takes a PackedSequence), or a torchlet train forecaster (such a layer and a Linear head)`,
  );
}

/** The recipe that rebuilds `served` in another thread (weights copied out as float32). */
export function recipeOf(served: ServedModel): ModelRecipe {
  const weights: Record<string, { shape: readonly number[]; data: Float32Array }> = {};
  for (const [key, t] of Object.entries(served.module.stateDict())) {
    if (t instanceof torch.Tensor) weights[key] = { shape: t.shape, data: t.toFloat32Array() };
  }
  return { layer: layerRecipe(served.rnn), head: served.head ? { inFeatures: served.head.inFeatures, outFeatures: served.head.outFeatures } : null, weights };
}

/** The module a recipe describes, weights loaded, in eval mode. */
export function buildFromRecipe(recipe: ModelRecipe): ServedModel {
  const r = recipe.layer;
  const opts = { numLayers: r.numLayers, bias: r.bias, bidirectional: r.bidirectional };
  const rnn = r.type === 'LSTM' ? new torch.nn.LSTM(r.inputSize, r.hiddenSize, { ...opts, projSize: r.projSize }) : r.type === 'GRU' ? new torch.nn.GRU(r.inputSize, r.hiddenSize, opts) : new torch.nn.RNN(r.inputSize, r.hiddenSize, { ...opts, nonlinearity: r.nonlinearity });
  const state: Record<string, Tensor> = {};
  for (const [k, w] of Object.entries(recipe.weights)) state[k] = torch.tensor(w.data, { shape: [...w.shape] });
  let module: Module = rnn;
  let head: torch.nn.Linear | null = null;
  if (recipe.head) {
    head = new torch.nn.Linear(recipe.head.inFeatures, recipe.head.outFeatures);
    module = new torch.nn.ModuleDict({ rnn, head });
  }
  module.loadStateDict(state);
  module.eval();
  return { rnn, head, module, description: layerText(r) };
}

/** Sequences a sort key can tell apart (packRows). */
const SLOT = 2 ** 21;

/**
 * Pack sequences (each (Li, F), Li >= 1) into one PackedSequence without padding: sorted longest
 * first (ties keep their order), data (sum Li, F) time-major. PyTorch:
 * `pack_sequence(seqs, enforce_sorted=False)`, built directly from the rows.
 */
export function packRows(seqs: readonly RawSequence[], F: number): torch.nn.utils.rnn.PackedSequence {
  const B = seqs.length;
  // Longest first, ties in their order: keys length * 2^21 + (2^21 - 1 - i) sorted as numbers
  // (exact below 2^53), not a comparator closure a call (V8 recompiles those after each full GC).
  const order = new Int32Array(B);
  if (B < SLOT) {
    const keys = new Float64Array(B);
    for (let i = 0; i < B; i++) keys[i] = seqs[i].length * SLOT + (SLOT - 1 - i);
    keys.sort();
    for (let r = 0; r < B; r++) order[r] = SLOT - 1 - (keys[B - 1 - r] % SLOT);
  } else {
    order.set(Array.from({ length: B }, (_, i) => i).sort((a, b) => seqs[b].length - seqs[a].length || a - b));
  }
  const T = seqs[order[0]].length;
  const batchSizes = new Int32Array(T);
  let total = 0;
  for (let i = 0; i < B; i++) total += seqs[i].length;
  const data = new Float32Array(total * F);
  let row = 0;
  for (let t = 0; t < T; t++) {
    for (let r = 0; r < B; r++) {
      const s = seqs[order[r]];
      if (s.length <= t) break;
      data.set(s.data.subarray(t * F, (t + 1) * F), row * F);
      row++;
      batchSizes[t]++;
    }
  }
  const { PackedSequence } = torch.nn.utils.rnn;
  return new PackedSequence(torch.tensor(data, { shape: [total, F] }), torch.tensor(batchSizes, { dtype: 'int64' }), torch.tensor(order, { dtype: 'int64' }));
}

/** Rows `layer*D + d` of a final state (D*numLayers, B, X) for sequence b: (D*numLayers, X). */
function stateOf(state: Float32Array, shape: readonly number[], b: number): RawTensor['data'] {
  const [rows, B, X] = shape as [number, number, number];
  const out = new Float32Array(rows * X);
  for (let r = 0; r < rows; r++) out.set(state.subarray((r * B + b) * X, (r * B + b + 1) * X), r * X);
  return out;
}

/** Whether sequence `s` asked for result `name` (all when it named none). */
function wants(s: RawSequence, name: string): boolean {
  return s.only === undefined || s.only.includes(name);
}

/**
 * Run one batch: pack, forward once (no grad), cut the results back per sequence, in the order
 * given: for each sequence the results it asked for (`only`), in the model's order. See the file
 * header for what each sequence gets.
 */
export function runBatch(served: ServedModel, seqs: readonly RawSequence[]): RawTensor[][] {
  const F = served.rnn.inputSize;
  const B = seqs.length;
  const packed = packRows(seqs, F);
  const prev = torch.isGradEnabled();
  torch.setGradEnabled(false);
  try {
    const [out, state] = served.rnn.forward(packed);
    const [h, c] = Array.isArray(state) ? state : [state as Tensor, null];
    const results: RawTensor[][] = [];
    if (served.head) {
      // The last layer's final state, both directions side by side: (B, D*H), then the head.
      const D = served.rnn.bidirectional ? 2 : 1;
      const last = h.narrow(0, h.shape[0] - D, D).transpose(0, 1).reshape([B, -1]);
      const y = served.head.forward(last);
      const Y = y.shape[1];
      const yd = y.toFloat32Array();
      for (let b = 0; b < B; b++) results.push([{ name: 'output', shape: [Y], data: yd.slice(b * Y, (b + 1) * Y) }]);
      return results;
    }
    let anyOutput = false;
    for (let b = 0; b < B; b++) if (wants(seqs[b], 'output')) anyOutput = true;
    const data = (out as torch.nn.utils.rnn.PackedSequence).data;
    const width = data.shape[1];
    const od = anyOutput ? data.toFloat32Array() : null;
    const hd = h.toFloat32Array();
    const cd = c ? c.toFloat32Array() : null;
    // Row of (sequence i, step t) in the packed data: offset of step t + rank of i among the sorted.
    const rank = new Int32Array(B);
    const sorted = packed.sortedIndices!.contiguousData();
    for (let r = 0; r < sorted.length; r++) rank[sorted[r]] = r;
    const steps = packed.batchSizesArray();
    const offsets = new Int32Array(steps.length);
    for (let t = 1; t < steps.length; t++) offsets[t] = offsets[t - 1] + steps[t - 1];
    for (let b = 0; b < B; b++) {
      const s = seqs[b];
      const res: RawTensor[] = [];
      if (od && wants(s, 'output')) {
        const output = new Float32Array(s.length * width);
        for (let t = 0; t < s.length; t++) output.set(od.subarray((offsets[t] + rank[b]) * width, (offsets[t] + rank[b] + 1) * width), t * width);
        res.push({ name: 'output', shape: [s.length, width], data: output });
      }
      if (wants(s, 'h_n')) res.push({ name: 'h_n', shape: [h.shape[0], h.shape[2]], data: stateOf(hd, h.shape, b) });
      if (c && cd && wants(s, 'c_n')) res.push({ name: 'c_n', shape: [c.shape[0], c.shape[2]], data: stateOf(cd, c.shape, b) });
      results.push(res);
    }
    return results;
  } finally {
    torch.setGradEnabled(prev);
  }
}

/**
 * runBatch, with the sequences that asked for JSON answered as JSON bytes, made here (on the
 * worker): all of a batch's JSON in one buffer (one transfer back), each sequence a view of it.
 */
export function runBatchResults(served: ServedModel, seqs: readonly RawSequence[]): RawResult[] {
  const kept = runBatch(served, seqs);
  let bytes = 0;
  for (let i = 0; i < kept.length; i++) if (seqs[i].json) bytes += resultJsonBytes(kept[i]);
  const out = new Uint8Array(bytes);
  let at = 0;
  const results: RawResult[] = [];
  for (let i = 0; i < kept.length; i++) {
    if (!seqs[i].json) {
      results.push(kept[i]);
      continue;
    }
    const start = at;
    at = resultJsonInto(kept[i], out, at);
    results.push(out.subarray(start, at));
  }
  return results;
}
