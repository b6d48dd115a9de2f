/**
 * Argument checks of the recurrent layers and cells: PyTorch's messages (torch/nn/modules/rnn.py
 * and aten/src/ATen/native/RNN.cpp, PyTorch 2.x wording) followed by a one-line hint for the
 * beginner's usual mistakes (time steps or channels passed as inputSize, batchFirst left off,
 * states laid out batch-first). Every check runs before anything is computed or mutated.
 */

import { ArgumentTypeError, DTypeError, RuntimeError, ShapeError, typeName, ValueError } from '../../errors.js';
import { torchName } from '../../tensor/dtype.js';
import { fmtShape, fmtTuple } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Tensor as TensorClass } from '../../tensor/tensor.js';
import { PackedSequence } from '../utils/packed.js';

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
  const got = shape[shape.length - 1];
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
    const other = ctx.batchFirst ? inp[1] : inp[0];
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

/**
 * The recurrent state argument, checked before anything runs, as PyTorch's typed signatures
 * (`hx: Optional[Tensor]` for RNN/GRU, `Optional[Tuple[Tensor, Tensor]]` for LSTM). Returns the
 * states as a list ([h] or [h, c]) or null when left out.
 * - RNN/GRU given an LSTM-style pair: TypeError (PyTorch: "Expected a value of type
 *   'Optional[Tensor]' for argument 'hx' but instead found type 'tuple'"), with the fix.
 * - LSTM given a bare tensor: TypeError (PyTorch: "... 'Optional[Tuple[Tensor, Tensor]]' ...
 *   found type 'Tensor'"); a list of other than two: PyTorch's "lstm expects two hidden states".
 */
export function checkStates(hx: unknown, name: string, pair: boolean): Tensor[] | null {
  if (hx === undefined || hx === null) return null;
  const arg = `${name}.forward(): argument 'hx' (position 2)`;
  if (!pair) {
    if (hx instanceof TensorClass) return [hx];
    if (Array.isArray(hx)) {
      throw new ArgumentTypeError(
        `${arg} must be Tensor, not tuple of ${hx.length}. Expected a value of type 'Optional[Tensor]' for argument 'hx' but instead found type 'tuple'. Hint: ${name} has no cell state: pass h0 alone (an [h, c] pair is for the LSTM).`,
      );
    }
    throw new ArgumentTypeError(`${arg} must be Tensor, not ${typeName(hx)}`);
  }
  if (hx instanceof TensorClass) {
    throw new ArgumentTypeError(
      `${arg} must be tuple of Tensors (h_0, c_0), not Tensor. Expected a value of type 'Optional[Tuple[Tensor, Tensor]]' for argument 'hx' but instead found type 'Tensor'. Hint: the LSTM's state is a pair: pass [h0, c0].`,
    );
  }
  if (!Array.isArray(hx)) throw new ArgumentTypeError(`${arg} must be tuple of Tensors (h_0, c_0), not ${typeName(hx)}`);
  if (hx.length !== 2) throw new RuntimeError(`${name.toLowerCase()} expects two hidden states, got ${hx.length}. Pass [h0, c0].`);
  hx.forEach((t, i) => {
    if (!(t instanceof TensorClass)) {
      throw new ArgumentTypeError(`${name}.forward(): expected Tensor as element ${i} in argument 'hx', but got ${typeName(t)}`);
    }
  });
  return hx as Tensor[];
}

/** The input of a recurrent layer or cell: a Tensor (or a PackedSequence for the layers). */
export function checkRecurrentInput(input: unknown, name: string, packedOk: boolean): void {
  if (input instanceof TensorClass || (packedOk && input instanceof PackedSequence)) return;
  const want = packedOk ? 'Tensor or PackedSequence' : 'Tensor';
  const hint = Array.isArray(input) ? '. Hint: wrap numbers in a tensor first: torch.tensor([...])' : '';
  throw new ArgumentTypeError(`${name}.forward(): argument 'input' (position 1) must be ${want}, not ${typeName(input)}${hint}`);
}
