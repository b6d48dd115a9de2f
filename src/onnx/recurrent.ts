/**
 * nn.RNN / nn.LSTM / nn.GRU → one ONNX `RNN` / `LSTM` / `GRU` node per layer.
 *
 * Per layer l (D = 2 when bidirectional, G gates, H = hiddenSize):
 * - W = [weight_ih_l{l}, weight_ih_l{l}_reverse] as (D, G*H, in), R likewise from weight_hh,
 *   B = [bias_ih | bias_hh] per direction as (D, 2*G*H), with the gate blocks reordered from
 *   PyTorch's order to ONNX's: LSTM i,f,g,o → i,o,f,c; GRU r,z,n → z,r,h (and
 *   `linear_before_reset = 1`, which is PyTorch's GRU: r multiplies (W_hn h + b_hn)); RNN has one
 *   block (`activations = Relu` for nonlinearity 'relu').
 * - initial_h (and initial_c) = h0[l*D : (l+1)*D], a Slice of the graph input h0 (c0).
 * - Y (L, D, N, H) → Transpose [0, 2, 1, 3] → Reshape [0, 0, -1] = (L, N, D*H), the next
 *   layer's input; Y_h of every layer concatenated along axis 0 is hN (cN likewise).
 * batchFirst inputs are transposed to (L, N, Hin) and back (ONNX's layout = 1 is not
 * supported by ONNX Runtime). Unbatched inputs (L, Hin) get a batch axis of one (Unsqueeze) and
 * lose it again (Squeeze), states too. Dropout between layers is a training-time op and is not exported.
 * Variable-length batches: a 1-D int64 or int32 input among the layer's inputs is the sequence lengths
 * (ONNX's sequence_lens is int32: an int64 one, what padPackedSequence returns, is cast in the graph),
 * wired to every node's `sequence_lens`; the outputs are those of PyTorch's
 * `pack_padded_sequence(x, lengths, enforce_sorted=False)` → layer → `pad_packed_sequence(...,
 * total_length=L)`: zeros past each length, hN at each sequence's last step (both directions).
 * LSTM with projSize: ONNX's LSTM has no projection, so those layers are composed from basic
 * ops instead (a Scan per direction whose body is PyTorch's projected cell; see
 * `projectedLstmLayer`); with lengths this is refused (OnnxExportError).
 */

import { noGrad } from '../autograd/index.js';
import { LSTM, RNN, type RNNBase } from '../nn/rnn/index.js';
import { packPaddedSequence, padPackedSequence } from '../nn/utils/rnn.js';
import { isFloat, isInt } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import type { OnnxGraph, OnnxValue } from './graph.js';
import { graph, int, ints, OnnxExportError, str, strs } from './graph.js';
import { DataType } from './proto.js';
import { moduleTypeName } from '../nn/type-name.js';

/** PyTorch gate block order → ONNX's, as indices into PyTorch's blocks. */
function gateOrder(m: RNNBase): number[] {
  if (m.mode === 'LSTM') return [0, 3, 1, 2];
  if (m.mode === 'GRU') return [1, 0, 2];
  return [0];
}

/** The rows of a (G*H, cols) or (G*H) parameter with its gate blocks in `order`, as an index for Gather. */
const reorderIndex = (order: readonly number[], H: number): number[] => order.flatMap((g) => Array.from({ length: H }, (_, i) => g * H + i));

export function exportRecurrent(g: OnnxGraph, m: RNNBase, inputs: OnnxValue[]): OnnxValue[] {
  const isLstm = m instanceof LSTM;
  // A 1-D int64 or int32 input is the per-sequence lengths (ONNX sequence_lens); the rest are x, h0, c0.
  const lengthsAt = inputs.findIndex((v) => isInt(v.value.dtype) && v.value.ndim === 1);
  const lengths = lengthsAt < 0 ? undefined : inputs[lengthsAt];
  if (inputs.filter((v) => !isFloat(v.value.dtype)).length > (lengths ? 1 : 0)) {
    throw new OnnxExportError(`${moduleTypeName(m)} export takes float inputs x, h0, c0 and at most one 1-D int64 (or int32) lengths input`);
  }
  inputs = inputs.filter((_, i) => i !== lengthsAt);
  const [x, h0, c0] = inputs;
  if (x === undefined) throw new OnnxExportError(`${moduleTypeName(m)} export needs an input`);
  if (x.value.ndim !== 3 && x.value.ndim !== 2) {
    throw new OnnxExportError(`${moduleTypeName(m)} export takes a (L, N, Hin), (N, L, Hin) or unbatched (L, Hin) input, got shape [${x.value.shape.join(', ')}]`);
  }
  // Unbatched (L, Hin), states (D*numLayers, H): run as a batch of one (batchFirst does not apply).
  const unbatched = x.value.ndim === 2;
  if (isLstm && (h0 === undefined) !== (c0 === undefined)) throw new OnnxExportError('LSTM export needs both h0 and c0, or neither');
  if (inputs.length > (isLstm ? 3 : 2)) throw new OnnxExportError(`${moduleTypeName(m)} export takes ${isLstm ? 'x, h0, c0' : 'x, h0'}; got ${inputs.length} inputs`);

  if (lengths && unbatched) throw new OnnxExportError(`${moduleTypeName(m)} export: lengths need a batched input`);
  if (lengths && m.projSize > 0) {
    throw new OnnxExportError(`cannot export LSTM with projSize=${m.projSize} and lengths: the projected LSTM is composed from basic ops in a Scan, which has no sequence_lens`);
  }

  // The example's outputs, from torchlet itself (with lengths: packed, run, padded back to L).
  const [outV, stateV] = noGrad((): [Tensor, Tensor | [Tensor, Tensor]] => {
    const state: Tensor | [Tensor, Tensor] | null = h0 === undefined ? null : isLstm ? [h0.value, c0!.value] : h0.value;
    if (lengths === undefined) return m.forward(x.value, state);
    const { batchFirst } = m;
    const packed = packPaddedSequence(x.value, lengths.value, { batchFirst, enforceSorted: false });
    const [out, hN] = m.forward(packed, state);
    return [padPackedSequence(out, { batchFirst, totalLength: x.value.shape[batchFirst ? 1 : 0] })[0], hN];
  });
  const hNV = Array.isArray(stateV) ? stateV[0] : stateV;
  const cNV = Array.isArray(stateV) ? stateV[1] : null;

  const D = m.numDirections;
  const H = m.hiddenSize;
  const order = gateOrder(m);
  const opType = m.mode === 'LSTM' ? 'LSTM' : m.mode === 'GRU' ? 'GRU' : 'RNN';
  const attrs = {
    hidden_size: int(H),
    direction: str(D === 2 ? 'bidirectional' : 'forward'),
    ...(m.mode === 'GRU' ? { linear_before_reset: int(1) } : {}),
    ...(m instanceof RNN && m.nonlinearity === 'relu' ? { activations: strs(Array(D).fill('Relu')) } : {}),
  };
  const params = m.allWeights;
  const base = g.fresh(moduleTypeName(m).toLowerCase());

  const addBatch = (v: OnnxValue | undefined): OnnxValue | undefined =>
    v === undefined || !unbatched ? v : { name: g.node('Unsqueeze', [v.name, g.int64(`${base}.axis1`, [1])])[0], value: v.value };
  const hIn = addBatch(h0);
  const cIn = addBatch(c0);
  let layerIn = addBatch(x)!.name;
  const batchFirst = m.batchFirst && !unbatched;
  if (batchFirst) [layerIn] = g.node('Transpose', [layerIn], { perm: ints([1, 0, 2]) });
  const hs: string[] = [];
  const cs: string[] = [];
  // ONNX's sequence_lens must be int32; int64 lengths are cast once for every layer.
  const seqLens = lengths === undefined ? '' : lengths.value.dtype === 'int32' ? lengths.name : g.node('Cast', [lengths.name], { to: int(DataType.INT32) })[0];
  for (let l = 0; l < m.numLayers; l++) {
    if (m.projSize > 0) {
      const layer = projectedLstmLayer(g, m, l, layerIn, hIn?.name, cIn?.name, base);
      layerIn = layer.y;
      hs.push(...layer.hs);
      cs.push(...layer.cs);
      continue;
    }
    // W, R, B from the parameters as PyTorch names them (weight_ih_l0, ...): gate blocks reordered by a
    // Gather, directions stacked, b_ih and b_hh joined (ONNX Runtime folds these constants at load).
    const rows = g.int64(`${base}.gate_order`, reorderIndex(order, H));
    const axis0 = g.int64(`${base}.axis0`, [0]);
    const names = ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'];
    const perDirection = (k: number, join?: number): string => {
      const parts = Array.from({ length: D }, (_, d) => {
        const ps = params[l * D + d];
        const pick = (j: number): string => g.node('Gather', [g.param(ps[j]!, `${base}.${names[j]}_l${l}${d === 1 ? '_reverse' : ''}`), rows], { axis: int(0) })[0]!;
        const one = join === undefined ? pick(k) : g.node('Concat', [pick(k), pick(join)], { axis: int(0) })[0]!;
        return g.node('Unsqueeze', [one, axis0])[0]!;
      });
      return parts.length === 1 ? parts[0] : g.node('Concat', parts, { axis: int(0) })[0]!;
    };
    const W = perDirection(0);
    const R = perDirection(1);
    const B = m.bias ? perDirection(2, 3) : '';
    const slice = (v: OnnxValue | undefined): string => {
      if (v === undefined) return '';
      if (m.numLayers === 1) return v.name;
      const [s] = g.node('Slice', [v.name, g.int64(`${base}.start_l${l}`, [l * D]), g.int64(`${base}.end_l${l}`, [(l + 1) * D]), g.int64(`${base}.axes`, [0])]);
      return s!;
    };
    const ins = [layerIn, W, R, B, seqLens, slice(hIn)];
    if (isLstm) ins.push(slice(cIn));
    while (ins[ins.length - 1] === '') ins.pop();
    const outs = g.node(opType, ins, attrs, isLstm ? 3 : 2);
    hs.push(outs[1]);
    if (isLstm) cs.push(outs[2]);
    const [t] = g.node('Transpose', [outs[0]], { perm: ints([0, 2, 1, 3]) });
    [layerIn] = g.node('Reshape', [t!, g.int64(`${base}.shape`, [0, 0, -1])]);
  }
  let out = layerIn;
  if (batchFirst) [out] = g.node('Transpose', [out], { perm: ints([1, 0, 2]) });
  const dropBatch = (name: string): string => (unbatched ? g.node('Squeeze', [name, g.int64(`${base}.axis1`, [1])])[0] : name);
  out = dropBatch(out);
  const concat = (names: string[]): string => dropBatch(names.length === 1 ? names[0] : g.node('Concat', names, { axis: int(0) })[0]);
  const result: OnnxValue[] = [
    { name: out, value: outV },
    { name: concat(hs), value: hNV },
  ];
  if (isLstm && cNV) result.push({ name: concat(cs), value: cNV });
  return result;
}


/**
 * One layer of an LSTM with projection (ONNX's LSTM has no `weight_hr`), composed from basic ops:
 * per direction a Scan over time whose body is PyTorch's cell,
 *   gates = x W_ih^T + h W_hh^T + b_ih + b_hh; i, f, g, o = split(gates) (PyTorch's order);
 *   c = σ(f) c + σ(i) tanh(g); h = (σ(o) tanh(c)) W_hr^T,
 * the reverse direction scanning backwards (scan_input/output_directions = 1). Returns the layer
 * output (L, N, D*P) and the final h (1, N, P) and c (1, N, H) per direction.
 */
function projectedLstmLayer(
  g: OnnxGraph,
  m: RNNBase,
  l: number,
  x: string,
  h0: string | undefined,
  c0: string | undefined,
  base: string,
): { y: string; hs: string[]; cs: string[] } {
  const D = m.numDirections;
  const H = m.hiddenSize;
  const P = m.projSize;
  const params = m.allWeights;
  const ys: string[] = [];
  const hs: string[] = [];
  const cs: string[] = [];
  // Zero states of the input's batch size when h0/c0 are not given.
  const zeros = (size: number): string => {
    const [shape] = g.node('Shape', [x]);
    const [batch] = g.node('Gather', [shape!, g.int64(`${base}.batch_axis`, [1])], { axis: int(0) });
    const [dims] = g.node('Concat', [batch!, g.int64(`${base}.size`, [size])], { axis: int(0) });
    return g.node('ConstantOfShape', [dims!])[0];
  };
  const pick = (v: string, k: number): string => {
    const [s] = g.node('Slice', [v, g.int64(`${base}.start`, [k]), g.int64(`${base}.end`, [k + 1]), g.int64(`${base}.axes`, [0])]);
    return g.node('Squeeze', [s!, g.int64(`${base}.axes`, [0])])[0];
  };
  for (let d = 0; d < D; d++) {
    const [wih, whh, bih, bhh, whr] = m.bias ? params[l * D + d] : [params[l * D + d][0], params[l * D + d][1], null, null, params[l * D + d][2]];
    const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
    // The parameters as PyTorch names them, transposed (and the biases summed) by nodes.
    const t = (p: Tensor, name: string): string => g.node('Transpose', [g.param(p, `${base}.${name}${sfx}`)], { perm: ints([1, 0]) })[0]!;
    const wihT = t(wih!, 'weight_ih');
    const whhT = t(whh!, 'weight_hh');
    const whrT = t(whr!, 'weight_hr');
    const bias = bih && bhh ? g.node('Add', [g.param(bih, `${base}.bias_ih${sfx}`), g.param(bhh, `${base}.bias_hh${sfx}`)])[0]! : null;
    const splits = g.int64(`${base}.gate_sizes`, [H, H, H, H]);
    const body = g.subgraph(`${base}.cell${sfx}`, ['h_prev', 'c_prev', 'x_t'], ([hPrev, cPrev, xt]) => {
      let [gates] = g.node('Add', [g.node('MatMul', [xt!, wihT])[0], g.node('MatMul', [hPrev!, whhT])[0]]);
      if (bias) [gates] = g.node('Add', [gates!, bias]);
      const [i, f, gg, o] = g.node('Split', [gates!, splits], { axis: int(1) }, 4);
      const [c] = g.node('Add', [
        g.node('Mul', [g.node('Sigmoid', [f!])[0], cPrev!])[0],
        g.node('Mul', [g.node('Sigmoid', [i!])[0], g.node('Tanh', [gg!])[0]])[0],
      ]);
      const [hFull] = g.node('Mul', [g.node('Sigmoid', [o!])[0], g.node('Tanh', [c!])[0]]);
      const [h] = g.node('MatMul', [hFull!, whrT]);
      return [h!, c!, g.node('Identity', [h!])[0]];
    });
    const k = l * D + d;
    const outs = g.node('Scan', [h0 === undefined ? zeros(P) : pick(h0, k), c0 === undefined ? zeros(H) : pick(c0, k), x], {
      body: graph(body),
      num_scan_inputs: int(1),
      scan_input_directions: ints([d]),
      scan_output_directions: ints([d]),
    }, 3);
    hs.push(g.node('Unsqueeze', [outs[0], g.int64(`${base}.axes`, [0])])[0]);
    cs.push(g.node('Unsqueeze', [outs[1], g.int64(`${base}.axes`, [0])])[0]);
    ys.push(outs[2]);
  }
  const y = ys.length === 1 ? ys[0] : g.node('Concat', ys, { axis: int(2) })[0];
  return { y, hs, cs };
}
