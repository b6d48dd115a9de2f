/**
 * The symbolic part of `torch.explain`: a recurrent layer or cell described from its options and
 * the input's shape alone, nothing run. For every layer and direction of a stack: what goes in
 * and out, which rows of h0/c0 it starts from and which rows of hN/cN it ends in, its parameters
 * with PyTorch's names and symbolic shapes, its FLOPs and activation memory.
 *
 * Shapes follow `torch.nn.LSTM`'s docs (N batch, L length, D directions, Hin, Hcell, Hout, Hproj):
 *   input (L, N, Hin) / (N, L, Hin) batch_first / (L, Hin) unbatched / packed (sum(lengths), Hin)
 *   h0, hN (D*num_layers, N, Hout)   c0, cN (D*num_layers, N, Hcell)   output (.., D*Hout)
 */

import { ShapeError } from '../errors.js';
import { RNNCellBase } from '../nn/rnn/cells.js';
import type { RNNBase } from '../nn/rnn/base.js';
import { checkInputSize } from '../nn/rnn/checks.js';
import type { Cost, Dim, ExplainNode, ExplainWarning, ParamInfo, TensorInfo } from './report.js';
import { moduleTypeName } from '../nn/type-name.js';

/** The input as explain sees it: a padded tensor's shape, or a packed batch's lengths. */
export type InputForm =
  | { readonly kind: 'padded'; readonly shape: readonly number[] }
  | {
      readonly kind: 'packed';
      /** Each sequence's length, in the caller's batch order. */
      readonly lengths: readonly number[];
      readonly features: number;
      /** Whether the lengths came with enforceSorted (true by default in pack_padded_sequence). */
      readonly enforceSorted: boolean;
    };

const d = (sym: string, size: number): Dim => ({ sym, size });

/** Gates per step: LSTM 4 (i, f, g, o), GRU 3 (r, z, n), RNN 1. */
function gates(mode: string): number {
  return mode === 'LSTM' ? 4 : mode === 'GRU' ? 3 : 1;
}

/**
 * Element-wise FLOPs per hidden unit and step besides the matrix products: the two bias adds per
 * gate, the gate nonlinearities and the state update. LSTM: 8 (biases) + 4 (σ, σ, tanh, σ) +
 * 3 (c' = f⊙c + i⊙g) + 2 (h' = o⊙tanh c') = 17. GRU: 6 + 2 (σ, σ) + 3 (n = tanh(.. + r⊙..)) +
 * 4 (h' = (1−z)⊙n + z⊙h) = 15. RNN: 2 (biases) + 1 (ih + hh) + 1 (tanh) = 4.
 */
function elementwisePerUnit(mode: string): number {
  return mode === 'LSTM' ? 17 : mode === 'GRU' ? 15 : 4;
}

/** A training step ≈ forward + backward, and backward ≈ twice the forward (two products per product). */
export const TRAINING_FACTOR = 3;

function paramInfo(name: string, shape: readonly number[], syms: readonly string[]): ParamInfo {
  return { name, dims: shape.map((s, i) => d(syms[i], s)), count: shape.reduce((a, b) => a * b, 1) };
}

/** The result of describing one recurrent layer: its node, one node per layer and direction, warnings. */
export interface RecurrentDescription {
  node: ExplainNode;
  children: ExplainNode[];
  warnings: ExplainWarning[];
  error?: string;
}

/**
 * Describe a multi-layer RNN/LSTM/GRU on an input. `statesGiven` says whether the caller passes
 * h0 (and c0); `bytes` is the size of one element (4 for float32).
 */
export function describeRecurrent(
  layer: RNNBase,
  path: string,
  depth: number,
  input: InputForm,
  statesGiven: boolean,
  bytes: number,
): RecurrentDescription {
  const lstm = layer.mode === 'LSTM';
  const D = layer.numDirections;
  const H = layer.hiddenSize;
  const P = layer.projSize;
  const Hout = layer.outputHiddenSize;
  const G = gates(layer.mode);
  const Hsym = lstm ? 'Hcell' : 'Hout';
  const outSym = lstm && P > 0 ? 'Hproj' : 'Hout';
  const warnings: ExplainWarning[] = [];
  const name = moduleTypeName(layer);

  // Warnings that hold whatever the input.
  if (layer.batchFirst) {
    warnings.push({
      code: 'batch-first-states',
      path,
      message: `batch_first=True makes the input and output (N, L, *), but h0/hN${lstm ? ' and c0/cN' : ''} stay (D*num_layers, N, Hout) = (${D * layer.numLayers}, N, ${Hout})`,
      fix: 'pass h0 as (D*num_layers, N, Hout); for a batch-first view of hN use hN.transpose(0, 1)',
    });
  }
  if (layer.dropout > 0 && layer.numLayers === 1) {
    warnings.push({
      code: 'dropout-single-layer',
      path,
      message: `dropout=${layer.dropout} with num_layers=1 does nothing: ${name} applies dropout only between stacked layers`,
      fix: 'add an nn.Dropout on the output, or use num_layers >= 2',
    });
  }
  if (D === 2) {
    warnings.push({
      code: 'bidirectional-last-step',
      path,
      message: `bidirectional: output[:, -1] joins the forward direction's LAST step with the reverse direction's FIRST step (which has seen one element), and h_n[-1] is the last layer's reverse direction only`,
      fix: `for a summary of the whole sequence take both directions' final states: torch.cat([h_n[-2], h_n[-1]], dim=-1) (torchlet: hN.narrow(0, -2, 2).transpose(0, 1).reshape(N, ${2 * Hout}))`,
    });
  }

  // The input's layout, or the error the layer would raise.
  let inDims: Dim[];
  let N: number;
  let L: number;
  let rows: number;
  let batched = true;
  let layoutNote: string;
  let error: string | undefined;
  if (input.kind === 'packed') {
    const lengths = input.lengths;
    N = lengths.length;
    L = Math.max(0, ...lengths);
    rows = lengths.reduce((a, b) => a + b, 0);
    inDims = [d('sum(lengths)', rows), d('Hin', input.features)];
    const sorted = lengths.every((v, i) => i === 0 || lengths[i - 1] >= v);
    layoutNote = `PackedSequence: data (sum(lengths), Hin), batch_sizes ${JSON.stringify(batchSizesOf(lengths))}; lengths ${JSON.stringify(lengths)}`;
    if (!sorted && input.enforceSorted) {
      error = '`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement if you do not need ONNX exportability.';
      warnings.push({
        code: 'packed-enforce-sorted',
        path,
        message: `the lengths ${JSON.stringify(lengths)} are not sorted longest first, and enforce_sorted defaults to True`,
        fix: 'pack with enforceSorted: false (torchlet sorts the batch and gives outputs and hN back in your order), or sort the batch by length first',
      });
    }
    warnings.push({
      code: 'packed-final-states',
      path,
      message: `with packed input, hN holds each sequence's state at its OWN last step (not at step L-1 = ${L - 1}), and the output is packed too`,
      fix: 'read final states from hN; unpack the output with padPackedSequence(output, { batchFirst }) (padded positions are zeros)',
    });
    if (input.features !== layer.inputSize) error ??= sizeMessage([rows, input.features], layer.inputSize, false);
  } else {
    const s = input.shape;
    if (s.length !== 2 && s.length !== 3) {
      error = `${name}: Expected input to be 2D or 3D, got ${s.length}D instead`;
      inDims = s.map((v, i) => d(`dim${i}`, v));
      N = 1;
      L = 0;
      rows = 0;
      layoutNote = '';
    } else {
      batched = s.length === 3;
      if (!batched) {
        [L, N] = [s[0], 1];
        inDims = [d('L', L), d('Hin', s[1])];
        layoutNote = 'unbatched: (L, Hin); h0/hN lose their N dim too';
      } else if (layer.batchFirst) {
        [N, L] = [s[0], s[1]];
        inDims = [d('N', N), d('L', L), d('Hin', s[2])];
        layoutNote = 'batch_first=True: (N, L, Hin)';
      } else {
        [L, N] = [s[0], s[1]];
        inDims = [d('L', L), d('N', N), d('Hin', s[2])];
        layoutNote = 'batch_first=False: (L, N, Hin), time first';
      }
      rows = L * N;
      const last = s[s.length - 1];
      if (last !== layer.inputSize) {
        error = sizeMessage(s, layer.inputSize, layer.batchFirst && batched);
        const k = s.slice(0, -1).lastIndexOf(layer.inputSize);
        if (k >= 0) {
          warnings.push({
            code: 'transposed-input',
            path,
            message: `the input's last dim is ${last}, but input_size=${layer.inputSize} is dim ${k}: the sequence length (or channels) was taken for the features`,
            fix: `bring the features last: x.transpose(${k}, ${s.length - 1}) (a Conv1d's (N, C, L) output needs transpose(1, 2) before a batch-first RNN)`,
          });
        }
      }
    }
  }

  // The states, and where they come from.
  const stateDims = (sym: string, size: number): Dim[] =>
    batched ? [d('D*num_layers', D * layer.numLayers), d('N', N), d(sym, size)] : [d('D*num_layers', D * layer.numLayers), d(sym, size)];
  const given = statesGiven ? 'given by the caller' : 'zeros (not given)';
  const inputs: TensorInfo[] = [
    { name: 'input', dims: inDims, note: layoutNote },
    { name: 'h0', dims: stateDims(outSym === 'Hproj' ? 'Hout' : 'Hout', Hout), note: `${given}; row layer*D + direction; batch_first never applies` },
  ];
  if (lstm) inputs.push({ name: 'c0', dims: stateDims('Hcell', H), note: given });

  const outLast = d(`D*${outSym === 'Hproj' ? 'Hout' : 'Hout'}`, D * Hout);
  const outDims =
    input.kind === 'packed'
      ? [d('sum(lengths)', rows), outLast]
      : !batched
        ? [d('L', L), outLast]
        : layer.batchFirst
          ? [d('N', N), d('L', L), outLast]
          : [d('L', L), d('N', N), outLast];
  const finalNote =
    input.kind === 'packed'
      ? "each sequence's state at its own last step; the reverse direction's at its first element"
      : `the state after step L-1${D === 2 ? "; the reverse direction's after step 0" : ''}`;
  const outputs: TensorInfo[] = [
    {
      name: 'output',
      dims: outDims,
      note: `the last layer's h at every step${D === 2 ? ', [forward | reverse] on the last dim' : ''}${input.kind === 'packed' ? '; a PackedSequence' : ''}`,
    },
    { name: 'hN', dims: stateDims('Hout', Hout), note: `${finalNote}; row layer*D + direction` },
  ];
  if (lstm) outputs.push({ name: 'cN', dims: stateDims('Hcell', H), note: 'the cell state, rows as hN' });

  // One node per layer and direction.
  const children: ExplainNode[] = [];
  const params: ParamInfo[] = [];
  let flops = 0;
  let gradBytes = 0;
  let peakBytes = 0;
  const stateBytes = D * layer.numLayers * N * (Hout + (lstm ? H : 0)) * bytes;
  const stepDims = (sym: string, size: number): Dim[] => (input.kind === 'packed' ? [d('sum(lengths)', rows), d(sym, size)] : layer.batchFirst && batched ? [d('N', N), d('L', L), d(sym, size)] : batched ? [d('L', L), d('N', N), d(sym, size)] : [d('L', L), d(sym, size)]);
  for (let k = 0; k < layer.numLayers; k++) {
    const inSize = k === 0 ? layer.inputSize : D * Hout;
    const inSym = k === 0 ? 'Hin' : 'D*Hout';
    peakBytes = Math.max(peakBytes, rows * (inSize + D * Hout) * bytes + stateBytes);
    gradBytes += rows * inSize * bytes; // the layer's input, kept for weight_ih's gradient
    if (k > 0 && layer.dropout > 0) gradBytes += rows * inSize * bytes; // the dropout mask (training)
    for (let dir = 0; dir < D; dir++) {
      const sfx = `_l${k}${dir === 1 ? '_reverse' : ''}`;
      const own: ParamInfo[] = [
        paramInfo(`weight_ih${sfx}`, [G * H, inSize], [`${G}*${Hsym}`, inSym]),
        paramInfo(`weight_hh${sfx}`, [G * H, Hout], [`${G}*${Hsym}`, 'Hout']),
      ];
      if (layer.bias) own.push(paramInfo(`bias_ih${sfx}`, [G * H], [`${G}*${Hsym}`]), paramInfo(`bias_hh${sfx}`, [G * H], [`${G}*${Hsym}`]));
      if (P > 0) own.push(paramInfo(`weight_hr${sfx}`, [P, H], ['Hproj', 'Hcell']));
      params.push(...own);
      const macs = G * H * inSize + G * H * Hout + (P > 0 ? P * H : 0);
      const f = rows * (2 * macs + elementwisePerUnit(layer.mode) * H);
      flops += f;
      // Kept for backward: the gates of every step, h (and c, and the pre-projection h) of every step.
      const saved = rows * (G * H + Hout + (lstm ? H : 0) + (P > 0 ? H : 0)) * bytes;
      gradBytes += saved;
      const idx = k * D + dir;
      children.push({
        path: `${path}/l${k}${dir === 1 ? '_reverse' : ''}`,
        kind: 'direction',
        type: `layer ${k} ${dir === 1 ? 'reverse' : 'forward'}`,
        repr: `layer ${k}, ${dir === 1 ? 'reverse: runs from the last step to the first' : 'forward: runs from the first step to the last'}`,
        depth: depth + 1,
        called: error === undefined,
        ...(error !== undefined ? { failed: true as const } : {}),
        inputs: [
          { name: 'x', dims: stepDims(inSym, inSize), note: k === 0 ? 'the input' : `layer ${k - 1}'s output${D === 2 ? ', both directions joined' : ''}${layer.dropout > 0 ? `, through dropout(p=${layer.dropout}) in training` : ''}` },
          { name: `h0[${idx}]`, dims: stateDims('Hout', Hout).slice(1), note: `row ${idx} of h0` },
          ...(lstm ? [{ name: `c0[${idx}]`, dims: stateDims('Hcell', H).slice(1), note: `row ${idx} of c0` }] : []),
        ],
        outputs: [
          { name: 'y', dims: stepDims('Hout', Hout), note: D === 2 ? `joined into ${k === layer.numLayers - 1 ? 'output' : `layer ${k + 1}'s input`} at features ${dir * Hout}..${dir * Hout + Hout - 1}` : k === layer.numLayers - 1 ? 'the output' : `layer ${k + 1}'s input` },
          { name: `hN[${idx}]`, dims: stateDims('Hout', Hout).slice(1), note: `row ${idx} of hN` },
          ...(lstm ? [{ name: `cN[${idx}]`, dims: stateDims('Hcell', H).slice(1), note: `row ${idx} of cN` }] : []),
        ],
        params: own,
        cost: costOf(f, saved, rows * (inSize + Hout) * bytes),
      });
    }
  }
  gradBytes += rows * D * Hout * bytes + stateBytes;
  const cost = costOf(flops, gradBytes, peakBytes);
  return describedModule(layer, path, depth, error, { inputs, outputs, params, cost, children, warnings });
}

/**
 * A recurrent layer's or cell's description from its parts: its node (a module that throws on its
 * input, `error`, is marked failed and shows no outputs), its children and warnings.
 */
function describedModule(
  module: RNNBase | RNNCellBase,
  path: string,
  depth: number,
  error: string | undefined,
  parts: Pick<ExplainNode, 'inputs' | 'outputs' | 'params' | 'cost'> & Omit<RecurrentDescription, 'node' | 'error'>,
): RecurrentDescription {
  const node: ExplainNode = {
    path,
    kind: 'module',
    type: moduleTypeName(module),
    repr: module.toString(),
    depth,
    called: error === undefined,
    ...(error !== undefined ? { failed: true as const } : {}),
    inputs: parts.inputs,
    outputs: error === undefined ? parts.outputs : [],
    params: parts.params,
    cost: parts.cost,
  };
  return { node, children: parts.children, warnings: parts.warnings, ...(error !== undefined ? { error } : {}) };
}

function costOf(flops: number, gradBytes: number, noGradBytes: number): Cost {
  return { flops: { inference: flops, trainingStep: TRAINING_FACTOR * flops }, activationBytes: { noGrad: noGradBytes, grad: gradBytes } };
}

/** The layer's own message for a last dim that is not inputSize (PyTorch's words and torchlet's hint). */
function sizeMessage(shape: readonly number[], inputSize: number, batchFirst: boolean): string {
  try {
    checkInputSize(shape, inputSize, batchFirst);
  } catch (e) {
    if (e instanceof ShapeError) return e.message;
    throw e;
  }
  return `input.size(-1) must be equal to input_size. Expected ${inputSize}, got ${shape[shape.length - 1]}.`;
}

/** batch_sizes of a packed batch with these lengths: at step t, how many sequences are longer than t. */
export function batchSizesOf(lengths: readonly number[]): number[] {
  const L = Math.max(0, ...lengths);
  return Array.from({ length: L }, (_, t) => lengths.filter((len) => len > t).length);
}

/** Describe a cell (RNNCell/LSTMCell/GRUCell): one step, input (N, Hin) or (Hin). */
export function describeCell(cell: RNNCellBase, path: string, depth: number, shape: readonly number[], statesGiven: boolean, bytes: number): RecurrentDescription {
  const mode = moduleTypeName(cell).replace('Cell', '');
  const lstm = mode === 'LSTM';
  const G = gates(mode);
  const H = cell.hiddenSize;
  const batched = shape.length === 2;
  const N = batched ? shape[0] : 1;
  const Hsym = lstm ? 'Hcell' : 'Hout';
  const st = (sym: string): Dim[] => (batched ? [d('N', N), d(sym, H)] : [d(sym, H)]);
  const inDims = batched ? [d('N', N), d('Hin', shape[1])] : shape.map((v) => d('Hin', v));
  let error: string | undefined;
  if (shape.length !== 1 && shape.length !== 2) error = `${moduleTypeName(cell)}: Expected input to be 1D or 2D, got ${shape.length}D instead`;
  else if (shape[shape.length - 1] !== cell.inputSize) {
    error = `input has inconsistent input_size: got ${shape[shape.length - 1]} expected ${cell.inputSize}`;
  }
  const given = statesGiven ? 'given by the caller' : 'zeros (not given)';
  const inputs: TensorInfo[] = [
    { name: 'input', dims: inDims, note: 'one time step: a cell has no L dim; loop over time yourself' },
    { name: 'h', dims: st('Hout'), note: given },
  ];
  if (lstm) inputs.push({ name: 'c', dims: st('Hcell'), note: given });
  const outputs: TensorInfo[] = [{ name: lstm ? "h'" : "h'", dims: st('Hout'), note: 'the next hidden state (feed it back in at the next step)' }];
  if (lstm) outputs.push({ name: "c'", dims: st('Hcell'), note: 'the next cell state' });
  const params = [paramInfo('weight_ih', [G * H, cell.inputSize], [`${G}*${Hsym}`, 'Hin']), paramInfo('weight_hh', [G * H, H], [`${G}*${Hsym}`, 'Hout'])];
  if (cell.bias) params.push(paramInfo('bias_ih', [G * H], [`${G}*${Hsym}`]), paramInfo('bias_hh', [G * H], [`${G}*${Hsym}`]));
  const flops = N * (2 * (G * H * cell.inputSize + G * H * H) + elementwisePerUnit(mode) * H);
  const cost = costOf(flops, N * (cell.inputSize + G * H + H * (lstm ? 3 : 2)) * bytes, N * (cell.inputSize + H * (lstm ? 4 : 2)) * bytes);
  return describedModule(cell, path, depth, error, { inputs, outputs, params, cost, children: [], warnings: [] });
}

export { RNNCellBase };
