/**
 * Argument checks of the recurrent layers and cells: PyTorch's messages (torch/nn/modules/rnn.py
 * and aten/src/ATen/native/RNN.cpp, PyTorch 2.x wording) followed by a one-line hint for the
 * beginner's usual mistakes (time steps or channels passed as inputSize, batchFirst left off,
 * states laid out batch-first). Every check runs before anything is computed or mutated.
 */

import { ArgumentTypeError, DTypeError, ShapeError, ValueError } from '../../errors.js';
import { torchName } from '../../tensor/dtype.js';
import { fmtShape, fmtTuple } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';

/** Python's `type(x).__name__` for the values a JS caller might pass where an int belongs. */
export function pyTypeName(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (v === null || v === undefined) return 'NoneType';
  if (Array.isArray(v)) return 'list';
  return typeof v;
}

/** Python's repr of a float attribute (`float(dropout)`): 0.2 → `0.2`, 1 → `1.0`. */
export function pyFloat(v: number): string {
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

/**
 * `input.size(-1) must be equal to input_size` plus a hint. `shape` is the input's shape as the
 * caller passed it (batch-first or not, batched or not).
 */
export function checkInputSize(shape: readonly number[], inputSize: number, batchFirst: boolean): void {
  const got = shape[shape.length - 1]!;
  if (got === inputSize) return;
  const base = `input.size(-1) must be equal to input_size. Expected ${inputSize}, got ${got}.`;
  const k = shape.slice(0, -1).lastIndexOf(inputSize);
  let hint: string;
  if (k >= 0) {
    const layout = shape.length === 2 ? '(L, Hin)' : batchFirst ? '(N, L, Hin)' : '(L, N, Hin)';
    hint =
      ` Hint: inputSize is the number of features at each time step (the input's last dim), not the number of steps;` +
      ` dim ${k} of your input ${fmtShape(shape)} has size ${inputSize}. The layer reads ${layout}: if the features are on dim ${k}` +
      ` (as in a Conv1d output (N, C, L)), move them last with x.transpose(${k}, ${shape.length - 1}).`;
  } else {
    hint = ` Hint: inputSize is the number of features at each time step, the last dim of the input (here ${got}).`;
  }
  throw new ShapeError(base + hint);
}

/** `Expected hidden size (…), got […]` (LSTM: `hidden[0]`/`hidden[1]`) plus a hint. */
export function checkHiddenSize(
  hx: Tensor,
  expected: readonly [number, number, number],
  label: string,
  ctx: { inputShape: readonly number[] | null; batchFirst: boolean; numLayers: number; directions: number },
): void {
  const got = hx.shape;
  if (got.length === 3 && got.every((s, i) => s === expected[i])) return;
  const [dl, n] = expected;
  let hint = '';
  const inp = ctx.inputShape;
  if (got.length === 3 && inp && inp.length === 3) {
    const other = ctx.batchFirst ? inp[1]! : inp[0]!;
    if (got[1] === other && other !== n) {
      hint = ctx.batchFirst
        ? ` Hint: with batchFirst: true the input is (N, L, Hin) and its batch size is input.size(0) = ${n}; if your input is (L, N, Hin), leave batchFirst off.`
        : ` Hint: with batchFirst: false the input is (L, N, Hin) and its batch size is input.size(1) = ${n}; if your input is (N, L, Hin), pass batchFirst: true.`;
    }
  }
  if (!hint && got.length === 3 && got[0] === n && got[1] === dl && dl !== n) {
    hint = ' Hint: states are (D*numLayers, N, Hout) even with batchFirst: true; do not put the batch first.';
  }
  if (!hint && got.length === 3 && got[0] !== dl && got[1] === n && got[2] === expected[2]) {
    hint = ` Hint: the first dim is D*numLayers = ${ctx.directions} direction(s) × ${ctx.numLayers} layer(s) = ${dl}.`;
  }
  throw new ShapeError(`Expected ${label} size ${fmtTuple(expected)}, got ${fmtShape(got)}${hint}`);
}

/** `input must have the type torch.float32, got type torch.float64` (ValueError in PyTorch). */
export function checkDtype(input: Tensor, weight: Tensor): void {
  if (input.dtype !== weight.dtype) {
    throw new DTypeError(
      `input must have the type ${torchName(weight.dtype)}, got type ${torchName(input.dtype)}. Hint: convert one side, e.g. x.to('${weight.dtype}'), or build the layer with { dtype: '${input.dtype}' }.`,
      'ValueError',
    );
  }
}

/** Constructor checks shared by RNN, LSTM and GRU, in PyTorch's order. */
export function checkLayerOptions(o: {
  hiddenSize: unknown;
  inputSize: unknown;
  numLayers: unknown;
  dropout: unknown;
  projSize: number;
}): void {
  const d = o.dropout;
  if (typeof d !== 'number' || !(d >= 0 && d <= 1)) {
    throw new ValueError('dropout should be a number in range [0, 1] representing the probability of an element being zeroed');
  }
  if (d > 0 && o.numLayers === 1) {
    console.warn(
      `UserWarning: dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects num_layers greater than 1, but got dropout=${d} and num_layers=${o.numLayers}`,
    );
  }
  if (typeof o.hiddenSize !== 'number' || !Number.isInteger(o.hiddenSize)) {
    throw new ArgumentTypeError(`hidden_size should be of type int, got: ${pyTypeName(o.hiddenSize)}`);
  }
  if (o.hiddenSize <= 0) throw new ValueError('hidden_size must be greater than zero');
  if (typeof o.numLayers !== 'number' || !Number.isInteger(o.numLayers)) {
    throw new ArgumentTypeError(`num_layers should be of type int, got: ${pyTypeName(o.numLayers)}`);
  }
  if (o.numLayers <= 0) throw new ValueError('num_layers must be greater than zero');
  if (!Number.isInteger(o.projSize) || o.projSize < 0) {
    throw new ValueError('proj_size should be a positive integer or zero to disable projections');
  }
  if (o.projSize >= o.hiddenSize) throw new ValueError('proj_size has to be smaller than hidden_size');
  // PyTorch parity: PyTorch does not check input_size at construction (torch.empty fails later
  // with a less helpful message); a positive integer is required here.
  if (typeof o.inputSize !== 'number' || !Number.isInteger(o.inputSize) || o.inputSize < 0) {
    throw new ArgumentTypeError(`input_size should be a non-negative int, got: ${String(o.inputSize)}`);
  }
}
