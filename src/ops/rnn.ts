/**
 * One direction of one recurrent layer over a packed sequence, as a single autograd op.
 * PyTorch twin: one layer/direction of `_VF.rnn_tanh` / `_VF.rnn_relu` / `_VF.lstm` / `_VF.gru`
 * (aten/src/ATen/native/RNN.cpp). `nn.RNN`, `nn.LSTM`, `nn.GRU` and the cells are built on it.
 *
 * The work is done by the backend's recurrent kernel (`backend().rnn`, which falls back to the
 * reference kernel by itself for what it does not handle); the op records ONE graph node with
 * up to three outputs whose backward is the kernel's own backward closure (BPTT).
 */

import { isGradEnabled } from '../autograd/grad-mode.js';
import { type BackwardContext, record } from '../autograd/node.js';
import { DTypeError, RuntimeError, ShapeError } from '../errors.js';
import { backend } from '../kernels/backend.js';
import type { FloatArray, RnnForwardArgs, RnnGradsOut, RnnKernel, RnnMode } from '../kernels/rnn.js';
import { gateCount } from '../kernels/rnn.js';
import { fmtShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { narrow, reshape, transpose } from './shape.js';

/** The weights of one layer and direction, PyTorch's `weight_ih_l{k}`, ... (null when absent). */
export interface RnnLayerWeights {
  /** (G*H, I) */
  wIh: Tensor;
  /** (G*H, Hout) */
  wHh: Tensor;
  /** (G*H) or null */
  bIh: Tensor | null;
  /** (G*H) or null */
  bHh: Tensor | null;
  /** (Hout, H), the LSTM projection (PyTorch's `weight_hr_l{k}`), or null. */
  wHr: Tensor | null;
}

export interface RnnLayerArgs {
  mode: RnnMode;
  /** Packed rows, (total, I): step t is rows [sum(batchSizes[<t]), + batchSizes[t]); (B, T, I) with `batchFirst`. */
  input: Tensor;
  /**
   * Input and outputs batch-first, (B, T, ·), every batch size B (PyTorch's `batch_first`): the
   * kernel reads and writes that layout itself where it can (src/kernels/rnn.ts), else the rows
   * are transposed around it here. Default false.
   */
  batchFirst?: boolean;
  /** Non-increasing, all > 0; batchSizes[0] = B. */
  batchSizes: Int32Array;
  weights: RnnLayerWeights;
  /** (B, Hout) */
  h0: Tensor;
  /** (B, H) for the LSTM, else null. */
  c0: Tensor | null;
  /** Run from the last step to the first (the reverse half of a bidirectional layer). */
  reverse: boolean;
}

/** The recurrent kernel ops use: the backend's. */
function rnnKernel(): RnnKernel {
  return backend().rnn;
}

/** The row-major data the kernel reads (the storage itself when contiguous: kernels never write their inputs). */
function floatData(t: Tensor): FloatArray {
  const d = t.contiguousData();
  if (!(d instanceof Float32Array || d instanceof Float64Array)) throw new DTypeError(`rnnLayer: expected a floating point tensor, got ${t.dtype}`);
  return d;
}

function expectShape(t: Tensor, shape: readonly number[], what: string): void {
  if (t.ndim !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
    throw new ShapeError(`rnnLayer: ${what} must have shape ${fmtShape(shape)}, got ${fmtShape(t.shape)}`);
  }
}

/** One direction's arguments checked and brought to flat arrays for the kernel. */
interface Prepared {
  args: RnnLayerArgs;
  /** Every tensor argument in kernel order: input, h0, c0, wIh, wHh, bIh, bHh, wHr (null when absent). */
  tensors: (Tensor | null)[];
  /** The present ones: the graph node's inputs. */
  inputs: Tensor[];
  kernelArgs: RnnForwardArgs;
  /** The row layout of the input and y: (total, ·), or (B, T, ·) batch-first. */
  rows: number[];
  total: number;
  B: number;
  H: number;
  Hout: number;
}

/** Check shapes and dtypes (a safety net: the layers check first with PyTorch's messages). */
function prepare(args: RnnLayerArgs): Prepared {
  const { mode, input, batchSizes, weights, h0, c0, reverse } = args;
  const G = gateCount(mode);
  const [GH, I] = [weights.wIh.shape[0], weights.wIh.shape[1]];
  const H = GH / G;
  const Hout = weights.wHr ? weights.wHr.shape[0] : H;
  const B = batchSizes[0] ?? 0;
  const total = batchSizes.reduce((a, b) => a + b, 0);
  if (batchSizes.length === 0) throw new RuntimeError('Expected sequence length to be larger than 0 in RNN');
  if (!Number.isInteger(H) || weights.wIh.ndim !== 2) {
    throw new ShapeError(`weight_ih first dim must be ${G} * hidden_size = ${G * Math.floor(H)}, but got ${GH}`);
  }
  const bf = args.batchFirst === true;
  // Batch-first only for a full sequence (packed batch sizes expect packed rows).
  const rows = bf && B * batchSizes.length === total ? [B, batchSizes.length] : [total];
  expectShape(input, [...rows, I], 'input');
  expectShape(weights.wHh, [GH, Hout], 'weight_hh');
  if (weights.bIh) expectShape(weights.bIh, [GH], 'bias_ih');
  if (weights.bHh) expectShape(weights.bHh, [GH], 'bias_hh');
  if (weights.wHr) expectShape(weights.wHr, [Hout, H], 'weight_hr');
  expectShape(h0, [B, Hout], 'h0');
  if (mode === 'LSTM') {
    if (!c0) throw new RuntimeError('rnnLayer: the LSTM needs c0');
    expectShape(c0, [B, H], 'c0');
  }
  const dtype = input.dtype;
  const tensors = [input, h0, c0, weights.wIh, weights.wHh, weights.bIh, weights.bHh, weights.wHr];
  for (const t of tensors) {
    if (t && t.dtype !== dtype) {
      throw new DTypeError(`rnnLayer: expected every tensor to be ${dtype}, got ${t.dtype}`);
    }
  }
  const inputs = tensors.filter((t): t is Tensor => t !== null);
  const kernelArgs: RnnForwardArgs = {
    spec: { mode, inputSize: I, hiddenSize: H, projSize: weights.wHr ? Hout : 0, batchSizes, reverse },
    weights: {
      wIh: floatData(weights.wIh),
      wHh: floatData(weights.wHh),
      bIh: weights.bIh ? floatData(weights.bIh) : null,
      bHh: weights.bHh ? floatData(weights.bHh) : null,
      wHr: weights.wHr ? floatData(weights.wHr) : null,
    },
    x: floatData(input),
    h0: floatData(h0),
    c0: c0 ? floatData(c0) : null,
    needsGrad: isGradEnabled() && inputs.some((t) => t.requiresGrad),
    batchFirst: bf,
  };
  return { args, tensors, inputs, kernelArgs, rows, total, B, H, Hout };
}

function nodeName(mode: RnnMode): string {
  return `${mode === 'LSTM' ? 'Lstm' : mode === 'GRU' ? 'Gru' : 'Rnn'}LayerBackward0`;
}

/** The outputs of one direction as tensors (y null when the directions' outputs come joined). */
function wrapOutputs(p: Prepared, r: { y: FloatArray | null; hN: FloatArray; cN: FloatArray | null }): [Tensor | null, Tensor, Tensor | null] {
  const dtype = p.args.input.dtype;
  return [
    r.y ? new Tensor(r.y, [...p.rows, p.Hout], dtype) : null,
    new Tensor(r.hN, [p.B, p.Hout], dtype),
    r.cN ? new Tensor(r.cN, [p.B, p.H], dtype) : null,
  ];
}

/** The kernel's gradients as tensors, one per present input, in the node's input order. */
function wrapGrads(p: Prepared, g: RnnGradsOut): (Tensor | null)[] {
  const dtype = p.args.input.dtype;
  const grads = [g.dx, g.dh0, g.dc0, g.dWIh, g.dWHh, g.dBIh, g.dBHh, g.dWHr];
  return p.tensors.flatMap((t, i) => (t ? [grads[i] ? new Tensor(grads[i], t.shape, dtype) : null] : []));
}

/**
 * The tensors a layer's backward reads, as PyTorch's composite RNN saves them: the input only
 * when W_ih needs a gradient, W_ih only when the input does (dx), the states and W_hh/W_hr
 * always; never the biases.
 */
function savedOf(p: Prepared): Tensor[] {
  const { input, h0, c0, weights } = p.args;
  const saved = [h0, c0, weights.wHh, weights.wHr, weights.wIh.requiresGrad ? input : null, input.requiresGrad ? weights.wIh : null];
  return saved.filter((t): t is Tensor => t !== null);
}

/**
 * Run one direction of one layer. Returns `[y (total, Hout), hN (B, Hout), cN (B, H) | null]`,
 * hN/cN holding each sequence's state after its own last step (forward) or after reading back
 * to its first step (reverse). Shapes are checked here as a safety net; the layers check them
 * first with PyTorch's messages. `rnnLayers` of one direction.
 */
export function rnnLayer(args: RnnLayerArgs): [Tensor, Tensor, Tensor | null] {
  const [y, hN, cN] = rnnLayers([args]).dirs[0];
  return [y!, hN, cN];
}

/** What `rnnLayers` returns. */
export interface RnnLayersOutput {
  /** Each direction's [y, hN, cN]; y is null when `joined` holds the outputs. */
  dirs: [Tensor | null, Tensor, Tensor | null][];
  /** The directions' outputs side by side on the feature dim ([dir0 | dir1]), when the kernel wrote them so. */
  joined: Tensor | null;
}

/**
 * Run one or more independent directions over the same rows (the two halves of a bidirectional
 * layer) as one graph node. The kernel's `forwardMany` may run them side by side (e.g. one per
 * thread) and write their outputs straight into one joined tensor. The engine runs the node's
 * backward at most once unless the graph is retained; the kernel then keeps its saved state.
 */
export function rnnLayers(list: RnnLayerArgs[]): RnnLayersOutput {
  const preps = list.map(prepare);
  const kernel = rnnKernel();
  if (list[0].batchFirst && !kernel.takesBatchFirst?.(preps.map((p) => p.kernelArgs))) return timeMajor(list);
  const needsGrad = preps.some((p) => p.kernelArgs.needsGrad);
  const res = kernel.forwardMany(
    preps.map((p) => ({ ...p.kernelArgs, needsGrad })),
    true,
  );
  const dirs = preps.map((p, i) => wrapOutputs(p, res.results[i]));
  const width = preps.reduce((a, p) => a + p.Hout, 0);
  const joined = res.joined ? new Tensor(res.joined, [...preps[0].rows, width], list[0].input.dtype) : null;
  const kernelBackward = res.backward;
  if (!needsGrad || kernelBackward === null) return { dirs, joined };
  // Node outputs: the joined output if any, then each direction's present outputs in turn;
  // inputs likewise per direction (the shared input appears once per direction and the engine
  // adds both gradients).
  const outputs = [...(joined ? [joined] : []), ...dirs.flatMap((o) => o.filter((t): t is Tensor => t !== null))];
  const cols = preps.map((_, i) => preps.slice(0, i).reduce((a, p) => a + p.Hout, 0));
  const inputs = preps.flatMap((p) => p.inputs);
  const backward = (gOut: (Tensor | null)[], ctx: BackwardContext): (Tensor | null)[] => {
    let at = 0;
    const gJoined = joined ? gOut[at++] : null;
    const grads = dirs.map((o, i) => {
      const dyT = joined ? (gJoined ? narrow(gJoined, gJoined.ndim - 1, cols[i], preps[i].Hout) : null) : gOut[at++];
      const dhN = gOut[at++];
      const dcN = o[2] ? gOut[at++] : null;
      const data = (g: Tensor | null | undefined): FloatArray | null => (g ? floatData(g) : null);
      return { dy: data(dyT), dhN: data(dhN), dcN: data(dcN), needsDx: list[0].input.requiresGrad };
    });
    const g = kernelBackward(grads, ctx.retainGraph);
    return preps.flatMap((p, i) => wrapGrads(p, g[i]));
  };
  record(nodeName(list[0].mode), inputs, outputs, backward, preps.flatMap(savedOf), 'raw');
  return { dirs, joined };
}

/** Batch-first directions for a kernel that reads time-major rows only: transposed around it (autograd ops). */
function timeMajor(list: RnnLayerArgs[]): RnnLayersOutput {
  const [B, T, I] = list[0].input.shape;
  const input = reshape(transpose(list[0].input, 0, 1), [T * B, I]);
  const r = rnnLayers(list.map((a) => ({ ...a, input, batchFirst: false })));
  const back = (y: Tensor | null): Tensor | null => y && transpose(reshape(y, [T, B, y.shape[1]]), 0, 1);
  return { dirs: r.dirs.map(([y, h, c]) => [back(y), h, c]), joined: back(r.joined) };
}
