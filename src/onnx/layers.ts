/**
 * The built-in export rules: one per supported module type, each emitting ONNX nodes and
 * computing the example's output with the module's own forward.
 *
 * - Linear → MatMul (with the transposed weight) + Add; any number of leading dims.
 * - Embedding → Gather on int64 or int32 indices (a graph input of that type).
 * - Conv1d → Conv; paddingMode reflect/replicate/circular → Pad (reflect/edge/wrap, the last
 *   from opset 19) then Conv without padding, as PyTorch computes it.
 * - LayerNorm → LayerNormalization (opset 17).
 * - GroupNorm → Reshape to (N, G, -1), InstanceNormalization (unit scale, zero bias), Reshape
 *   back to the input's shape, then Mul/Add by the per-channel weight and bias: the
 *   InstanceNormalization trick, exact and opset-independent.
 * - BatchNorm1d → BatchNormalization with the running statistics (export is in eval mode).
 * - ReLU, Tanh, Sigmoid, LeakyReLU, ELU, Softmax, LogSoftmax → their ONNX ops; GELU → the erf
 *   (or tanh) formula from basic ops (ONNX's Gelu needs opset 20).
 * - Dropout, Identity → Identity. Sequential → its children in order.
 * - RNN, LSTM, GRU → see `./recurrent.ts`.
 */

import { noGrad } from '../autograd/index.js';
import type { Module } from '../nn/module.js';
import { BatchNorm1d, Conv1d, Dropout, ELU, Embedding, GELU, GroupNorm, Identity, LayerNorm, LeakyReLU, Linear, LogSoftmax, ReLU, Sequential, Sigmoid, Softmax, Tanh } from '../nn/layers/index.js';
import { RNNBase } from '../nn/rnn/index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ModuleExporter, OnnxGraph, OnnxValue } from './graph.js';
import { float, int, ints, OnnxExportError, str } from './graph.js';
import { exportRecurrent } from './recurrent.js';
import { moduleTypeName } from '../nn/type-name.js';

type TensorForward = Module & { forward(input: Tensor): Tensor };

/** One input, one output; the output's example value from the module itself. */
function unary(m: TensorForward, inputs: OnnxValue[], emit: (x: OnnxValue, y: Tensor) => string): OnnxValue[] {
  if (inputs.length !== 1) throw new OnnxExportError(`${moduleTypeName(m)} export takes one input, got ${inputs.length}`);
  const x = inputs[0];
  const y = noGrad(() => m.forward(x.value));
  return [{ name: emit(x, y), value: y }];
}

/** PyTorch's implicit softmax dim (`_get_softmax_dim`) when `dim` is None. */
const softmaxDim = (dim: number | null, ndim: number): number => dim ?? (ndim === 0 || ndim === 1 || ndim === 3 ? 0 : 1);

/** GELU from basic ops (ONNX's Gelu needs opset 20): the erf form, or the tanh approximation. */
export function geluNodes(g: OnnxGraph, x: string, approximate: 'none' | 'tanh'): string {
  const c = (v: number): string => g.weight('gelu.const', [v], []);
  const [half] = g.node('Mul', [x, c(0.5)]);
  let inner: string;
  if (approximate === 'tanh') {
    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    const [x3] = g.node('Mul', [x, g.node('Mul', [x, x])[0]!]);
    const [s] = g.node('Add', [x, g.node('Mul', [x3!, c(0.044715)])[0]!]);
    [inner] = g.node('Tanh', [g.node('Mul', [s!, c(Math.sqrt(2 / Math.PI))])[0]!]);
  } else {
    // 0.5 x (1 + erf(x / sqrt(2)))
    [inner] = g.node('Erf', [g.node('Mul', [x, c(Math.SQRT1_2)])[0]!]);
  }
  return g.node('Mul', [half!, g.node('Add', [inner!, c(1)])[0]!])[0]!;
}

export function builtinExporter(m: object): ModuleExporter {
  if (m instanceof RNNBase) return (g, inputs) => exportRecurrent(g, m, inputs);
  if (m instanceof Sequential) {
    return (g, inputs) => {
      let values = inputs;
      for (const child of m) {
        values = g.module(child, values);
        if (values.length !== 1) throw new OnnxExportError(`a Sequential child (${moduleTypeName(child)}) must return one tensor`);
      }
      return values;
    };
  }
  if (m instanceof Linear) {
    return (g, inputs) =>
      unary(m, inputs, (x) => {
        const w = g.param(m.weight, 'linear.weight');
        const b = m.bias === null ? null : g.param(m.bias, 'linear.bias');
        // As PyTorch: Gemm for a 2-D input, else MatMul by the transposed weight (+ bias).
        if (x.value.ndim === 2) return g.node('Gemm', b === null ? [x.name, w] : [x.name, w, b], { transB: int(1) })[0];
        const [mm] = g.node('MatMul', [x.name, g.node('Transpose', [w], { perm: ints([1, 0]) })[0]]);
        return b === null ? mm! : g.node('Add', [mm!, b])[0];
      });
  }
  if (m instanceof Embedding) {
    return (g, inputs) =>
      unary(m, inputs, (x) => {
        if (x.value.dtype !== 'int32' && x.value.dtype !== 'int64') throw new OnnxExportError('Embedding export takes int64 or int32 indices');
        const w = g.param(m.weight, 'embedding.weight');
        return g.node('Gather', [w, x.name], { axis: int(0) })[0];
      });
  }
  if (m instanceof Conv1d) {
    return (g, inputs) =>
      unary(m, inputs, (x) => {
        if (x.value.ndim !== 3) throw new OnnxExportError(`Conv1d export takes a batched (N, C, L) input, got [${x.value.shape.join(', ')}]`);
        let pads: number[];
        if (m.padding === 'valid') pads = [0, 0];
        else if (m.padding === 'same') {
          const total = m.dilation * (m.kernelSize - 1);
          pads = [Math.floor(total / 2), total - Math.floor(total / 2)];
        } else pads = [m.padding, m.padding];
        let input = x.name;
        if (m.paddingMode !== 'zeros' && (pads[0] > 0 || pads[1] > 0)) {
          // PyTorch pads first (F.pad with the mode), then convolves with no padding.
          const mode = { reflect: 'reflect', replicate: 'edge', circular: 'wrap' }[m.paddingMode];
          if (mode === 'wrap' && g.opsetVersion < 19) throw new OnnxExportError("Conv1d with paddingMode 'circular' needs opsetVersion >= 19 (Pad mode 'wrap')");
          [input] = g.node('Pad', [input, g.int64('conv.pads', [0, 0, pads[0], 0, 0, pads[1]])], { mode: str(mode) });
          pads = [0, 0];
        }
        const ins = [input!, g.param(m.weight, 'conv.weight')];
        if (m.bias !== null) ins.push(g.param(m.bias, 'conv.bias'));
        return g.node('Conv', ins, {
          kernel_shape: ints([m.kernelSize]), strides: ints([m.stride]), pads: ints(pads), dilations: ints([m.dilation]), group: int(m.groups),
        })[0];
      });
  }
  if (m instanceof LayerNorm) {
    return (g, inputs) =>
      unary(m, inputs, (x) => {
        if (g.opsetVersion < 17) throw new OnnxExportError('LayerNorm export needs opsetVersion >= 17 (LayerNormalization)');
        const shape = m.normalizedShape;
        const n = shape.reduce((a, b) => a * b, 1);
        const scale = m.weight ? g.param(m.weight, 'layernorm.weight') : g.weight('layernorm.ones', new Float32Array(n).fill(1), shape);
        const ins = [x.name, scale];
        if (m.bias) ins.push(g.param(m.bias, 'layernorm.bias'));
        return g.node('LayerNormalization', ins, { axis: int(-shape.length), epsilon: float(m.eps) })[0];
      });
  }
  if (m instanceof GroupNorm) {
    return (g, inputs) =>
      unary(m, inputs, (x) => {
        const G = m.numGroups;
        const [grouped] = g.node('Reshape', [x.name, g.int64('groupnorm.grouped', [0, G, -1])]);
        const [normed] = g.node('InstanceNormalization', [grouped!, g.weight('groupnorm.ones', new Float32Array(G).fill(1), [G]), g.weight('groupnorm.zeros', new Float32Array(G), [G])], { epsilon: float(m.eps) });
        const [shape] = g.node('Shape', [x.name]);
        let [y] = g.node('Reshape', [normed!, shape!]);
        // Per-channel affine, broadcast over the trailing dims: (C, 1, ..., 1).
        const pshape = [m.numChannels, ...Array(Math.max(x.value.ndim - 2, 0)).fill(1)];
        const perChannel = (p: Tensor, base: string): string => g.node('Reshape', [g.param(p, base), g.int64('groupnorm.shape', pshape)])[0]!;
        if (m.weight) [y] = g.node('Mul', [y!, perChannel(m.weight, 'groupnorm.weight')]);
        if (m.bias) [y] = g.node('Add', [y!, perChannel(m.bias, 'groupnorm.bias')]);
        return y!;
      });
  }
  if (m instanceof BatchNorm1d) {
    return (g, inputs) =>
      unary(m, inputs, (x) => {
        if (m.runningMean === null || m.runningVar === null) {
          throw new OnnxExportError('BatchNorm1d without trackRunningStats normalises with batch statistics, which ONNX BatchNormalization (inference) cannot express');
        }
        const C = m.numFeatures;
        return g.node('BatchNormalization', [
          x.name,
          m.weight ? g.param(m.weight, 'batchnorm.weight') : g.weight('batchnorm.ones', new Float32Array(C).fill(1), [C]),
          m.bias ? g.param(m.bias, 'batchnorm.bias') : g.weight('batchnorm.zeros', new Float32Array(C), [C]),
          g.param(m.runningMean, 'batchnorm.running_mean'),
          g.param(m.runningVar, 'batchnorm.running_var'),
        ], { epsilon: float(m.eps) })[0];
      });
  }
  if (m instanceof ReLU) return (g, inputs) => unary(m, inputs, (x) => g.node('Relu', [x.name])[0]);
  if (m instanceof Tanh) return (g, inputs) => unary(m, inputs, (x) => g.node('Tanh', [x.name])[0]);
  if (m instanceof Sigmoid) return (g, inputs) => unary(m, inputs, (x) => g.node('Sigmoid', [x.name])[0]);
  if (m instanceof LeakyReLU) return (g, inputs) => unary(m, inputs, (x) => g.node('LeakyRelu', [x.name], { alpha: float(m.negativeSlope) })[0]);
  if (m instanceof ELU) return (g, inputs) => unary(m, inputs, (x) => g.node('Elu', [x.name], { alpha: float(m.alpha) })[0]);
  if (m instanceof Softmax || m instanceof LogSoftmax) {
    const op = m instanceof Softmax ? 'Softmax' : 'LogSoftmax';
    return (g, inputs) => unary(m, inputs, (x) => g.node(op, [x.name], { axis: int(softmaxDim(m.dim, x.value.ndim)) })[0]);
  }
  if (m instanceof GELU) return (g, inputs) => unary(m, inputs, (x) => geluNodes(g, x.name, m.approximate));
  if (m instanceof Dropout || m instanceof Identity) return (g, inputs) => unary(m, inputs, (x) => g.node('Identity', [x.name])[0]);
  throw new OnnxExportError(
    `cannot export ${moduleTypeName(m)}: torchlet's ONNX exporter knows Sequential, Linear, Embedding, Conv1d, LayerNorm, GroupNorm, BatchNorm1d, RNN, LSTM, GRU, Dropout, Identity and the activations. Give ${moduleTypeName(m)} an onnxExport(g, inputs) method that exports its parts with g.module(...) and g.op(...)`,
  );
}
