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
import { RNNBase } from '../nn/rnn/index.js';
import { PackedSequence, padPackedSequence } from '../nn/utils/rnn.js';
import { moduleTypeName } from '../nn/type-name.js';
import { OnnxExportError, type OnnxGraph } from './graph.js';
import { builtinExporter } from './layers.js';

/** One traced op: a `record` call, or a whole library layer (`unit`). */
export interface TracedOp {
  /** The grad_fn name (`AddBackward0`), `aten::<name>` for an op without one, or `module:<Type>` for a unit. */
  readonly name: string;
  /** Its tensor inputs; tensors it reported among its attributes (masks, indices) follow the differentiable ones. */
  readonly inputs: Tensor[];
  readonly outputs: readonly Tensor[];
  /** Module path where it ran ('' = the model's own forward). */
  readonly path: string;
  readonly unit?: Module;
  /** Attributes the op reported (`dim`, `keepdim`, ...; see `traceAttrs` in src/autograd/node.ts). */
  attrs?: Record<string, unknown>;
}

/** One run of the forward. */
export interface Trace {
  readonly ops: TracedOp[];
  readonly inputs: readonly Tensor[];
  readonly outputs: Tensor[];
  /** Where a tensor's value was read as a number (`item()`, `tolist()`), for PyTorch's TracerWarning. */
  readonly reads: string[];
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

/** The tensors of a forward's result, flattened in PyTorch's order (nested arrays depth-first); `swap` replaces other objects (a PackedSequence). */
export function flattenOutputs(out: unknown, where: string, swap?: (o: unknown) => Tensor | undefined): Tensor[] {
  if (out instanceof Tensor) return [out];
  if (Array.isArray(out)) return out.flatMap((o) => flattenOutputs(o, where, swap));
  const t = swap?.(out);
  if (t !== undefined) return [t];
  throw new OnnxExportError(`${where} returned ${out === null ? 'null' : typeof out === 'object' ? (out as object).constructor?.name ?? 'an object' : typeof out}; a traced forward must return a Tensor or (nested) arrays of Tensors`);
}

/** A packed batch seen during the trace: the padded tensor it stands for, its lengths, its layout. */
interface Packed {
  readonly padded: Tensor;
  readonly lengths: Tensor;
  readonly batchFirst: boolean;
  /** Made by a recurrent layer (zeros past each length), not by packPaddedSequence. */
  readonly fromLayer: boolean;
}

/** The tensors among an op's reported attributes (a mask, an index, a list of indices), in order. */
function attrTensors(attrs: Readonly<Record<string, unknown>>): Tensor[] {
  const out: Tensor[] = [];
  for (const v of Object.values(attrs)) {
    if (v instanceof Tensor) out.push(v);
    else if (Array.isArray(v)) for (const e of v) if (e instanceof Tensor) out.push(e);
  }
  return out;
}

/** Run `model.forward(...inputs)` in eval mode with the tracer on; returns the recorded ops. */
export function traceForward(model: Module, inputs: readonly Tensor[]): Trace {
  const pathOf = new Map<Module, string>([...model.namedModules()].map(([p, m]) => [m, p]));
  const unitCache = new Map<Module, boolean>();
  const stack: { m: Module; path: string; unit: boolean; args: unknown[] }[] = [];
  let unitDepth = 0;
  const ops: TracedOp[] = [];
  const reads: string[] = [];
  const packs = new Map<PackedSequence, Packed>();
  const top = (): string => stack[stack.length - 1]?.path ?? '';
  const where = (): string => (top() === '' ? `${moduleTypeName(model)}.forward` : `module "${top()}"`);
  /** Run `fn` with the tracer blind (the tracer's own helper computations). */
  const quiet = <T>(fn: () => T): T => {
    unitDepth++;
    try {
      return fn();
    } finally {
      unitDepth--;
    }
  };
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
    let lengths: Tensor | undefined;
    let steps = 0;
    const layerFirst = m instanceof RNNBase ? m.batchFirst : false;
    for (const a of frame.args) {
      if (a instanceof Tensor) tensors.push(a);
      else if (a instanceof PackedSequence && m instanceof RNNBase) {
        const p = packs.get(a);
        if (p === undefined) throw new OnnxExportError(`cannot trace ${frame.path} (${moduleTypeName(m)}): its PackedSequence input was not made by packPaddedSequence or packSequence during the trace`);
        let x = p.padded;
        if (p.batchFirst !== layerFirst) {
          // The layer reads the padded batch in its own layout.
          const t = quiet(() => x.transpose(0, 1));
          ops.push({ name: 'TransposeBackward0', inputs: [x], outputs: [t], path: frame.path });
          x = t;
        }
        steps = x.shape[layerFirst ? 1 : 0];
        tensors.push(x);
        lengths = p.lengths;
      } else if (a !== null && a !== undefined && !(Array.isArray(a) && a.every((t) => t instanceof Tensor))) {
        throw new OnnxExportError(
          `cannot trace ${frame.path || 'the model'} (${moduleTypeName(m)}) called with a ${typeof a === 'object' ? (a as object).constructor?.name : typeof a} argument: the tracer exports layers called on tensors (and recurrent layers on a PackedSequence).`,
        );
      } else if (Array.isArray(a)) tensors.push(...(a as Tensor[]));
    }
    if (lengths !== undefined) tensors.push(lengths);
    const outputs = flattenOutputs(output, frame.path, (o) => {
      if (!(o instanceof PackedSequence) || lengths === undefined) return undefined;
      // The layer's packed output stands for its padded form (zeros past each length), as ONNX's sequence_lens gives.
      const padded = quiet(() => padPackedSequence(o, { batchFirst: layerFirst, totalLength: steps })[0]);
      packs.set(o, { padded, lengths, batchFirst: layerFirst, fromLayer: true });
      return padded;
    });
    ops.push({ name: `module:${moduleTypeName(m)}`, inputs: tensors, outputs, path: frame.path, unit: m });
    return undefined;
  });
  const prevHook = setTraceHook({
    op(name, ins, outs, attrs) {
      if (unitDepth > 0) return;
      // Ops without a grad_fn report their aten name (eq, argmax, full).
      if (!/Backward\d*$/.test(name)) name = `aten::${name}`;
      const op: TracedOp = { name, inputs: [...ins], outputs: Array.isArray(outs) ? [...outs] : [outs], path: top() };
      if (attrs !== undefined) {
        op.attrs = { ...attrs };
        op.inputs.push(...attrTensors(attrs));
      }
      ops.push(op);
    },
    attrs(outs, attrs) {
      if (unitDepth > 0) return;
      const first = Array.isArray(outs) ? outs[0] : outs;
      for (let i = ops.length - 1; i >= 0; i--) {
        const op = ops[i];
        if (op.outputs[0] !== first) continue;
        op.attrs = { ...op.attrs, ...attrs };
        op.inputs.push(...attrTensors(attrs));
        return;
      }
    },
    object(name, ins, output, attrs) {
      if (unitDepth > 0) return;
      if (name === 'pack_padded_sequence') {
        const [x, lengths] = ins as [Tensor, Tensor];
        packs.set(output as PackedSequence, { padded: x, lengths, batchFirst: attrs?.batchFirst === true, fromLayer: false });
      } else if (name === 'pad_packed_sequence') {
        const p = packs.get(ins[0] as PackedSequence);
        const outs = output as Tensor[];
        if (p === undefined || !p.fromLayer) {
          throw new OnnxExportError(
            `cannot export padPackedSequence in ${where()}: ${p === undefined ? 'its PackedSequence was not made during the trace' : 'it pads a PackedSequence made by packPaddedSequence, not by a recurrent layer'}; the tracer exports packed batches through the recurrent layers' sequence_lens`,
          );
        }
        ops.push({ name: 'aten::pad_packed_sequence', inputs: [p.padded, p.lengths], outputs: outs, path: top(), attrs: { ...attrs, from: p.batchFirst } });
      }
    },
  });
  // A value read as a number (PyTorch's TracerWarning): the Tensor methods are wrapped while tracing,
  // so untraced code pays nothing.
  const proto = Tensor.prototype as unknown as Record<'item' | 'tolist', (this: Tensor) => unknown>;
  const saved = { item: proto.item, tolist: proto.tolist };
  for (const k of ['item', 'tolist'] as const) {
    proto[k] = function (this: Tensor) {
      if (unitDepth === 0) reads.push(`${k}() in ${where()}`);
      return saved[k].call(this);
    };
  }
  const modes = model.modules().map((m) => [m, m.training] as const);
  let result: unknown;
  try {
    model.eval();
    result = noGrad(() => (model.forward as (...a: unknown[]) => unknown)(...inputs));
  } finally {
    Object.assign(proto, saved);
    setTraceHook(prevHook);
    pre.remove();
    post.remove();
    for (const [m, mode] of modes) m.training = mode;
  }
  return { ops, inputs, outputs: flattenOutputs(result, `${moduleTypeName(model)}.forward`), reads };
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
export function perturb(t: Tensor, ints: boolean): Tensor {
  return noGrad(() => {
    if (isFloat(t.dtype)) return add(mul(t, -0.75), 0.125);
    if (!ints) return t;
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
