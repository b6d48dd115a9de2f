/**
 * One direction of one recurrent layer over a packed sequence, as a single autograd op.
 * PyTorch twin: one layer/direction of `_VF.rnn_tanh` / `_VF.rnn_relu` / `_VF.lstm` / `_VF.gru`
 * (aten/src/ATen/native/RNN.cpp). `nn.RNN`, `nn.LSTM`, `nn.GRU` and the cells are built on it.
 *
 * The work is done by the backend's recurrent kernel (`backend().rnn`, e.g. WebAssembly) when
 * it supports the arrays, otherwise by the reference kernel; the op records ONE graph node with
 * up to three outputs whose backward is the kernel's own backward closure (BPTT).
 */

import { isGradEnabled } from '../autograd/grad-mode.js';
import { record } from '../autograd/node.js';
import { DTypeError, RuntimeError, ShapeError } from '../errors.js';
import { backend } from '../kernels/backend.js';
import { refRnnKernel } from '../kernels/ref/rnn.js';
import type { FloatArray, RnnGradsOut, RnnKernel, RnnMode } from '../kernels/rnn.js';
import { gateCount } from '../kernels/rnn.js';
import { fmtShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { contiguous } from './util.js';

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
  /** Packed rows, (total, I): step t is rows [sum(batchSizes[<t]), + batchSizes[t]). */
  input: Tensor;
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

/** Pick the kernel for these arrays: the backend's when it handles them, else the reference. */
export function rnnKernelFor(x: FloatArray): RnnKernel {
  const fast = backend().rnn;
  return fast?.supports(x) ? fast : refRnnKernel;
}

function floatData(t: Tensor): FloatArray {
  const d = contiguous(t.detach()).contiguousData();
  if (d instanceof Int32Array) throw new DTypeError(`rnnLayer: expected a floating point tensor, got ${t.dtype}`);
  return d;
}

function expectShape(t: Tensor, shape: readonly number[], what: string): void {
  if (t.ndim !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
    throw new ShapeError(`rnnLayer: ${what} must have shape ${fmtShape(shape)}, got ${fmtShape(t.shape)}`);
  }
}

/**
 * Run one direction of one layer. Returns `[y (total, Hout), hN (B, Hout), cN (B, H) | null]`,
 * hN/cN holding each sequence's state after its own last step (forward) or after reading back
 * to its first step (reverse). Shapes are checked here as a safety net; the layers check them
 * first with PyTorch's messages.
 */
export function rnnLayer(args: RnnLayerArgs): [Tensor, Tensor, Tensor | null] {
  const { mode, input, batchSizes, weights, h0, c0, reverse } = args;
  const G = gateCount(mode);
  const [GH, I] = [weights.wIh.shape[0]!, weights.wIh.shape[1]!];
  const H = GH / G;
  const Hout = weights.wHr ? weights.wHr.shape[0]! : H;
  const B = batchSizes[0] ?? 0;
  const total = batchSizes.reduce((a, b) => a + b, 0);
  if (batchSizes.length === 0) throw new RuntimeError('Expected sequence length to be larger than 0 in RNN');
  if (!Number.isInteger(H) || weights.wIh.ndim !== 2) {
    throw new ShapeError(`weight_ih first dim must be ${G} * hidden_size = ${G * Math.floor(H)}, but got ${GH}`);
  }
  expectShape(input, [total, I], 'input');
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

  const x = floatData(input);
  const kernel = rnnKernelFor(x);
  const inputs = tensors.filter((t): t is Tensor => t !== null);
  const needsGrad = isGradEnabled() && inputs.some((t) => t.requiresGrad);
  const res = kernel.forward({
    spec: { mode, inputSize: I, hiddenSize: H, projSize: weights.wHr ? Hout : 0, batchSizes, reverse },
    weights: {
      wIh: floatData(weights.wIh),
      wHh: floatData(weights.wHh),
      bIh: weights.bIh ? floatData(weights.bIh) : null,
      bHh: weights.bHh ? floatData(weights.bHh) : null,
      wHr: weights.wHr ? floatData(weights.wHr) : null,
    },
    x,
    h0: floatData(h0),
    c0: c0 ? floatData(c0) : null,
    needsGrad,
  });
  const y = new Tensor(res.y, [total, Hout], dtype);
  const hN = new Tensor(res.hN, [B, Hout], dtype);
  const cN = res.cN ? new Tensor(res.cN, [B, H], dtype) : null;
  const outputs = cN ? [y, hN, cN] : [y, hN];
  const kernelBackward = res.backward;
  if (!needsGrad || kernelBackward === null) return [y, hN, cN];

  let used = false;
  record(`${mode === 'LSTM' ? 'Lstm' : mode === 'GRU' ? 'Gru' : 'Rnn'}LayerBackward0`, inputs, outputs, (gOut) => {
    if (used) {
      throw new RuntimeError(
        'Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed).',
      );
    }
    used = true;
    const [dy, dhN, dcN] = gOut.map((g) => (g ? floatData(g) : null));
    const g: RnnGradsOut = kernelBackward({ dy: dy ?? null, dhN: dhN ?? null, dcN: dcN ?? null });
    const wrap = (a: FloatArray | null, like: Tensor | null): Tensor | null =>
      a && like ? new Tensor(a, like.shape, dtype) : null;
    const all = [
      wrap(g.dx, input),
      wrap(g.dh0, h0),
      wrap(g.dc0, c0),
      wrap(g.dWIh, weights.wIh),
      wrap(g.dWHh, weights.wHh),
      wrap(g.dBIh, weights.bIh),
      wrap(g.dBHh, weights.bHh),
      wrap(g.dWHr, weights.wHr),
    ];
    // Same order as `inputs`: the entries whose tensor is present.
    return all.filter((_, i) => tensors[i] !== null);
  });
  return [y, hN, cN];
}
