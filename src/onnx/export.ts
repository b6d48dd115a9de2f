/**
 * ONNX export. PyTorch: `torch.onnx.export(model, args, f, input_names=..., output_names=...,
 * dynamic_axes=..., opset_version=...)`, returning the model's bytes instead of writing a file.
 *
 * Design: a model the module-tree exporter knows as a whole is walked; any other Module (a
 * user's own, without an `onnxExport` hook) is exported by tracing its forward (`./trace.ts`,
 * `./trace-export.ts`; issue 20), with the library layers inside it still exported by the walk's
 * rules. The walk supports Sequential of
 * supported layers, the recurrent layers alone (inputs x[, h0[, c0]][, lengths], outputs
 * out, hN[, cN]; `lengths`, a 1-D int64 or int32 tensor, gives packed-sequence semantics),
 * the feed-forward layers of `./layers.ts`, and any module with an
 * `onnxExport(g, inputs)` method (see `./graph.ts`), which is how a model class with its own
 * forward (Conv1d → norm → BiLSTM → Linear, say) exports itself. The walk runs torchlet on the
 * example input as it goes, so every value's shape is known and the exported outputs can be
 * compared with torchlet's. Export is in eval mode (like PyTorch's default
 * `training=TrainingMode.EVAL`); the modules' modes are restored afterwards.
 */

import { noGrad } from '../autograd/index.js';
import { ArgumentTypeError, typeName, ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { Tensor } from '../tensor/tensor.js';
import type { OnnxValue } from './graph.js';
import { OnnxExportError, OnnxGraph } from './graph.js';
import { builtinExporter } from './layers.js';
import { Sequential } from '../nn/layers/index.js';
import { defineOptions, opt } from '../options.js';
import { exportTraced } from './trace-export.js';
import { isUnit, traceForward } from './trace.js';
import { finishModel } from './fold.js';
import { DataType, type ValueInfoProto } from './proto.js';
import { moduleTypeName } from '../nn/type-name.js';

/** Options of `torch.onnx.export`. PyTorch's keyword arguments in camelCase. */
export interface ExportOptions {
  /** Graph input names, in order. Default `input_0`, `input_1`, ... */
  inputNames?: readonly string[];
  /** Graph output names, in order. Default `output_0`, `output_1`, ... */
  outputNames?: readonly string[];
  /**
   * Axes of inputs/outputs left symbolic, by name: `{ input_0: [0, 1] }` (auto-named dims) or
   * `{ input_0: { 0: 'batch', 1: 'time' } }`. Others are fixed to the example's sizes.
   */
  dynamicAxes?: Record<string, readonly number[] | Record<number, string>>;
  /** ONNX opset, 17 to 21. Default 17 (the first with LayerNormalization). */
  opsetVersion?: number;
  /**
   * Compute constant subgraphs at export time and store their results as initializers (PyTorch's
   * `do_constant_folding`, default true). Nodes that read a parameter are kept, so every weight is an
   * initializer with its state-dict name (`lstm.weight_ih_l0`) in PyTorch's layout.
   */
  doConstantFolding?: boolean;
  /**
   * PyTorch's `use_external_data_format` (weights in separate files, for models over protobuf's 2 GB).
   * Not supported: `true` is refused, and so is a model whose weights exceed 2 GB.
   */
  useExternalDataFormat?: boolean;
}
/** Run-time check of `ExportOptions` (src/options.ts); values are checked below with PyTorch's messages. */
export const EXPORT_OPTIONS = defineOptions<ExportOptions>('onnx.export', {
  inputNames: opt.arrayOf(opt.string),
  outputNames: opt.arrayOf(opt.string),
  dynamicAxes: opt.named('object', (v) => typeof v === 'object' && v !== null && !Array.isArray(v)),
  opsetVersion: opt.int,
  doConstantFolding: opt.bool,
  useExternalDataFormat: opt.bool,
});

/** Whether the module-tree walk exports `m`: a layer it knows, a module with a hook, or a Sequential of those. */
function walkable(m: Module): boolean {
  return isUnit(m) || (m instanceof Sequential && [...m].every((c) => walkable(c as Module)));
}


/**
 * Export `model` applied to `exampleInput` (a tensor, or several: a recurrent layer takes
 * `[x, h0]` or `[x, h0, c0]`) as an ONNX model; returns the `.onnx` bytes. PyTorch:
 * `torch.onnx.export`. Also exported as `torch.onnx.export` (an ES module may export a
 * reserved word as a name; call it as a property).
 *
 *   const bytes = torch.onnx.export(lstm, [x, h0, c0], {
 *     inputNames: ['x', 'h0', 'c0'], outputNames: ['y', 'hN', 'cN'],
 *     dynamicAxes: { x: { 0: 'time', 1: 'batch' }, h0: { 1: 'batch' }, c0: { 1: 'batch' } },
 *   });
 *
 * Throws OnnxExportError for what the exporter cannot express (an LSTM with projSize and
 * lengths, BatchNorm1d without running statistics, ...) or a module without an export rule;
 * ValueError for bad options. (An LSTM with projSize is exported by composing basic ops.)
 */
export function exportModel(model: Module, exampleInput: Tensor | readonly Tensor[], options: ExportOptions = {}): Uint8Array {
  const m = model as { parameters?: unknown; forward?: unknown } | null;
  if (m === null || typeof m !== 'object' || typeof m.parameters !== 'function' || typeof m.forward !== 'function') {
    throw new ArgumentTypeError(`onnx.export(): argument 'model' (position 1) must be an nn.Module, not ${typeName(model)}`);
  }
  if (!(exampleInput instanceof Tensor) && !(Array.isArray(exampleInput) && exampleInput.every((t) => t instanceof Tensor))) {
    throw new ArgumentTypeError(
      `onnx.export(): argument 'args' (position 2) must be a Tensor or an array of Tensors, not ${typeName(exampleInput)}. Hint: torch.randn(...) of the input's shape.`,
    );
  }
  options = EXPORT_OPTIONS.parse(options);
  const opset = options.opsetVersion ?? 17;
  if (!Number.isInteger(opset) || opset < 17 || opset > 21) {
    throw new ValueError(`onnx export: opsetVersion must be an integer from 17 to 21, got ${opset}`);
  }
  if (options.useExternalDataFormat === true) {
    throw new OnnxExportError(
      "onnx export: useExternalDataFormat (PyTorch's use_external_data_format, weights written to separate files for models over 2 GB) is not supported by torchlet's exporter; a model under 2 GB is written as one file without it",
    );
  }
  const examples = exampleInput instanceof Tensor ? [exampleInput] : [...exampleInput];
  if (examples.length === 0) throw new ValueError('onnx export: needs at least one example input');
  for (const [i, t] of examples.entries()) {
    if (!(t instanceof Tensor) || t.dtype === 'float64' || t.dtype === 'bool') {
      throw new ValueError(`onnx export: example input ${i} must be a float32 Tensor (or int64/int32 indices for an Embedding or lengths for a recurrent layer)`);
    }
  }
  const inNames = options.inputNames ?? [];
  const outNamesOpt = options.outputNames ?? [];
  if (inNames.length > examples.length) {
    throw new ValueError(`onnx export: ${inNames.length} inputNames given for ${examples.length} example inputs`);
  }
  for (const p of model.parameters()) {
    if (p.dtype !== 'float32') throw new OnnxExportError('onnx export: parameters must be float32; convert the model first');
  }

  // A model the module-tree exporter knows as a whole (a library layer, a Sequential of them, or a
  // module with an onnxExport hook) exports by walking it; any other Module by tracing its forward.
  if (!walkable(model)) return exportTraced(model, examples, options, opset);

  const g = new OnnxGraph(opset, builtinExporter);
  g.nameParams(model);
  const inputs: OnnxValue[] = examples.map((t, i) => ({ name: g.reserve(inNames[i] ?? `input_${i}`), value: t }));

  const modes = model.modules().map((m) => [m, m.training] as const);
  model.eval();
  let outputs: OnnxValue[];
  try {
    outputs = noGrad(() => g.module(model, inputs));
  } finally {
    for (const [m, mode] of modes) m.training = mode;
  }
  if (outNamesOpt.length > outputs.length) {
    throw new ValueError(`onnx export: ${outNamesOpt.length} outputNames given, but the model has ${outputs.length} outputs`);
  }
  // Rename the outputs to their public names through Identity nodes (an output may also be an input).
  const outNames = outputs.map((v, i) => {
    const name = g.reserve(outNamesOpt[i] ?? `output_${i}`);
    g.identityAs(v.name, name);
    return name;
  });
  const dynamic = options.dynamicAxes ?? {};
  const all = new Map<string, Tensor>([...inputs.map((v) => [v.name, v.value] as const), ...outputs.map((v, i) => [outNames[i], v.value] as const)]);
  for (const [name, axes] of Object.entries(dynamic)) {
    const t = all.get(name);
    if (t === undefined) throw new ValueError(`onnx export: dynamicAxes names "${name}", which is not an input or output (have ${[...all.keys()].join(', ')})`);
    for (const a of Array.isArray(axes) ? axes : Object.keys(axes).map(Number)) {
      if (!Number.isInteger(a) || a < 0 || a >= t.ndim) throw new ValueError(`onnx export: dynamic axis ${a} of "${name}" is out of range for ${t.ndim} dims`);
    }
  }
  const valueInfo = (name: string, t: Tensor): ValueInfoProto => {
    const axes = dynamic[name];
    const dims = t.shape.map((size, i) => {
      const sym = axes === undefined ? undefined : Array.isArray(axes) ? (axes.includes(i) ? `${name}_dim_${i}` : undefined) : (axes as Record<number, string>)[i];
      return sym === undefined ? { dimValue: size } : { dimParam: sym };
    });
    return {
      name,
      type: { tensorType: { elemType: t.dtype === 'int32' ? DataType.INT32 : t.dtype === 'int64' ? DataType.INT64 : DataType.FLOAT, shape: { dim: dims } } },
    };
  };
  return finishModel(g, options.doConstantFolding !== false, opset, {
    name: moduleTypeName(model),
    node: g.nodes,
    initializer: g.initializers,
    input: inputs.map((v) => valueInfo(v.name, v.value)),
    output: outNames.map((n, i) => valueInfo(n, outputs[i].value)),
  });
}


/**
 * The example's outputs as torchlet computes them, in export order: what ONNX Runtime should
 * reproduce for the example input. Runs the same walk as `exportModel` (in eval mode).
 * No PyTorch twin.
 */
export function exampleOutputs(model: Module, exampleInput: Tensor | readonly Tensor[]): Tensor[] {
  const examples = exampleInput instanceof Tensor ? [exampleInput] : [...exampleInput];
  if (!walkable(model)) return traceForward(model, examples).outputs;
  const g = new OnnxGraph(17, builtinExporter);
  const modes = model.modules().map((m) => [m, m.training] as const);
  model.eval();
  try {
    return noGrad(() => g.module(model, examples.map((t, i) => ({ name: `input_${i}`, value: t })))).map((v) => v.value);
  } finally {
    for (const [m, mode] of modes) m.training = mode;
  }
}
