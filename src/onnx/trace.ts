/**
 * ONNX export by tracing (PyTorch's `torch.onnx.export` of a scripted-by-tracing model): run the
 * model's `forward` on the example inputs, record every op (through `record`'s trace hook, whatever
 * the grad mode and whether or not the inputs require grad) with the module path it ran in (from
 * global forward hooks), and emit one ONNX node, or a small fixed pattern, per op
 * (`./trace-ops.ts`).
 *
 * Library layers that the module-tree exporter knows (Linear, Embedding, the recurrent layers,
 * the norms, activations, ...) and any module with an `onnxExport` hook are traced as one unit:
 * their inner ops are not recorded and their export rule emits them, so a GRU stays one fused ONNX
 * `GRU` node per layer and direction.
 *
 * Dynamic axes: sizes read from tensors are plain numbers, so a traced `reshape(x.shape[0], -1)`
 * would bake the batch size in. With `dynamicAxes`, the forward is traced a second time with every
 * dynamic axis 3 larger (inputs repeated cyclically along it, so indices stay valid); a size that
 * differs between the traces becomes `Shape` of the input axis it follows (or -1 in a Reshape, or
 * an index counted from the end), and anything else that differs is refused with an
 * OnnxExportError naming the op and its module path. Ops not in the table stop the export with
 * an error naming the op (its grad_fn name, as PyTorch prints it) and where it was called.
 */

import { noGrad } from '../autograd/grad-mode.js';
import { setTraceHook } from '../autograd/node.js';
import { ValueError } from '../errors.js';
import { type Module, registerModuleForwardHook, registerModuleForwardPreHook } from '../nn/module.js';
import { Sequential } from '../nn/layers/index.js';
import { add, mul } from '../ops/elementwise.js';
import { indexSelect } from '../ops/join.js';
import { reshape } from '../ops/shape.js';
import { isFloat } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { moduleTypeName } from '../nn/type-name.js';
import { OnnxExportError, type OnnxGraph } from './graph.js';
import { builtinExporter } from './layers.js';

/** One traced op: a `record` call, or a whole library layer (`unit`). */
export interface TracedOp {
  /** The grad_fn name (`AddBackward0`), or `module:<Type>` for a unit. */
  readonly name: string;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  /** Module path where it ran ('' = the model's own forward). */
  readonly path: string;
  readonly unit?: Module;
}

/** One run of the forward. */
export interface Trace {
  readonly ops: TracedOp[];
  readonly inputs: readonly Tensor[];
  readonly outputs: Tensor[];
}

/** Whether the module-tree exporter handles `m` as a whole (a library layer or an `onnxExport` hook). */
export function isUnit(m: Module): boolean {
  if ('onnxExport' in m && typeof (m as { onnxExport?: unknown }).onnxExport === 'function') return true;
  if (m instanceof Sequential) return false;
  try {
    builtinExporter(m);
    return true;
  } catch {
    return false;
  }
}

/** The tensors of a forward's result, flattened in PyTorch's order (nested arrays depth-first). */
export function flattenOutputs(out: unknown, where: string): Tensor[] {
  if (out instanceof Tensor) return [out];
  if (Array.isArray(out)) return out.flatMap((o) => flattenOutputs(o, where));
  throw new OnnxExportError(`${where} returned ${out === null ? 'null' : typeof out === 'object' ? (out as object).constructor?.name ?? 'an object' : typeof out}; a traced forward must return a Tensor or (nested) arrays of Tensors`);
}

/** Run `model.forward(...inputs)` in eval mode with the tracer on; returns the recorded ops. */
export function traceForward(model: Module, inputs: readonly Tensor[]): Trace {
  const pathOf = new Map<Module, string>([...model.namedModules()].map(([p, m]) => [m, p]));
  const unitCache = new Map<Module, boolean>();
  const stack: { m: Module; path: string; unit: boolean; args: unknown[] }[] = [];
  let unitDepth = 0;
  const ops: TracedOp[] = [];
  const top = (): string => stack[stack.length - 1]?.path ?? '';
  const pre = registerModuleForwardPreHook((m, args) => {
    let unit = m !== model && (unitCache.get(m) ?? isUnit(m));
    unitCache.set(m, unit);
    if (unitDepth > 0) unit = false;
    stack.push({ m, path: pathOf.get(m) ?? `${top()}.<${moduleTypeName(m)}>`, unit, args: [...args] });
    if (unit) unitDepth++;
    return undefined;
  });
  const post = registerModuleForwardHook((m, _args, output) => {
    const frame = stack.pop();
    if (frame === undefined || frame.m !== m || !frame.unit) return undefined;
    unitDepth--;
    const tensors: Tensor[] = [];
    for (const a of frame.args) {
      if (a instanceof Tensor) tensors.push(a);
      else if (a !== null && a !== undefined && !(Array.isArray(a) && a.every((t) => t instanceof Tensor))) {
        throw new OnnxExportError(
          `cannot trace ${frame.path || 'the model'} (${moduleTypeName(m)}) called with a ${typeof a === 'object' ? (a as object).constructor?.name : typeof a} argument: ` +
            'the tracer exports layers called on tensors. A PackedSequence input: export the recurrent layer alone with a lengths input (torch.onnx.export(lstm, [x, lengths])).',
        );
      } else if (Array.isArray(a)) tensors.push(...(a as Tensor[]));
    }
    ops.push({ name: `module:${moduleTypeName(m)}`, inputs: tensors, outputs: flattenOutputs(output, frame.path), path: frame.path, unit: m });
    return undefined;
  });
  const prevHook = setTraceHook((name, ins, outs) => {
    if (unitDepth > 0) return;
    ops.push({ name, inputs: [...ins], outputs: Array.isArray(outs) ? [...outs] : [outs], path: top() });
  });
  const modes = model.modules().map((m) => [m, m.training] as const);
  let result: unknown;
  try {
    model.eval();
    result = noGrad(() => (model.forward as (...a: unknown[]) => unknown)(...inputs));
  } finally {
    setTraceHook(prevHook);
    pre.remove();
    post.remove();
    for (const [m, mode] of modes) m.training = mode;
  }
  return { ops, inputs, outputs: flattenOutputs(result, `${moduleTypeName(model)}.forward`) };
}

/** `t` grown by `extra` along `axis`, its slices repeated cyclically (so indices stay valid). */
export function grow(t: Tensor, axis: number, extra: number): Tensor {
  const size = t.shape[axis];
  const idx = Array.from({ length: size + extra }, (_, i) => i % size);
  return noGrad(() => indexSelect(t, axis, idx));
}

/**
 * Other values of the same shape and dtype for the second trace: floats scaled by -0.75 and shifted, integers
 * (indices) rotated by one place, so a tensor computed from the inputs' values outside the tracer's
 * sight (a comparison, argmax) differs between the traces and is refused instead of baked in.
 */
export function perturb(t: Tensor): Tensor {
  return noGrad(() => {
    if (isFloat(t.dtype)) return add(mul(t, -0.75), 0.125);
    const n = t.numel();
    if (n < 2) return t;
    return reshape(indexSelect(reshape(t, [-1]), 0, Array.from({ length: n }, (_, i) => (i + 1) % n)), [...t.shape]);
  });
}

/** The example's dynamic axes: symbol → its size in each trace and where to read it in the graph. */
export interface DynamicDim {
  readonly symbol: string;
  readonly sizeA: number;
  readonly sizeB: number;
  readonly input: string;
  readonly axis: number;
}

/** Named graph inputs and the symbols of their dynamic axes (validated). */
export function dynamicDims(
  names: readonly string[],
  examples: readonly Tensor[],
  dynamicAxes: Record<string, readonly number[] | Record<number, string>>,
  /** The smallest growth of a dynamic axis in the second trace. */
  extra: number,
): DynamicDim[] {
  const dims: DynamicDim[] = [];
  const sizeOf = new Map<string, number>();
  let k = 0;
  names.forEach((name, i) => {
    const axes = dynamicAxes[name];
    if (axes === undefined) return;
    const t = examples[i];
    const entries: [number, string][] = Array.isArray(axes) ? axes.map((a) => [a, `${name}_dim_${a}`]) : Object.entries(axes).map(([a, s]) => [Number(a), s]);
    for (const [axis, symbol] of entries) {
      if (!Number.isInteger(axis) || axis < 0 || axis >= t.ndim) throw new ValueError(`onnx export: dynamic axis ${axis} of "${name}" is out of range for ${t.ndim} dims`);
      const size = t.shape[axis];
      const known = sizeOf.get(symbol);
      if (known !== undefined && known !== size) {
        throw new ValueError(`onnx export: dynamic axis "${symbol}" has size ${known} in one input and ${size} in "${name}" (axis ${axis}); one symbol must name one size`);
      }
      // Each symbol grows by a different amount, so (size in trace A, size in trace B) names one symbol.
      let grown = dims.find((d) => d.symbol === symbol)?.sizeB;
      if (grown === undefined) grown = size + extra + k++;
      sizeOf.set(symbol, size);
      dims.push({ symbol, sizeA: size, sizeB: grown, input: name, axis });
    }
  });
  return dims;
}

/** Export context shared with the op table. */
export interface TraceContext {
  readonly g: OnnxGraph;
  readonly dims: readonly DynamicDim[];
}
