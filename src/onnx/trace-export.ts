/**
 * `torch.onnx.export` of a model by tracing its forward (see `./trace.ts` for the tracer and
 * `./trace-ops.ts` for the op table). Used by `exportModel` for any Module the module-tree exporter
 * does not know as a whole (a user's own Module without an `onnxExport` hook).
 */

import { ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { moduleTypeName } from '../nn/type-name.js';
import { allocStorage, type DType, isFloat } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { int, OnnxExportError, OnnxGraph } from './graph.js';
import { builtinExporter } from './layers.js';
import type { TensorProto, ValueInfoProto } from './proto.js';
import type { ExportOptions } from './export.js';
import { constantProto, finishModel, onnxType } from './fold.js';
import { type Emit, emitterFor, sizesTensor } from './trace-ops.js';
import { dynamicDims, grow, perturb, type Trace, type TracedOp, traceForward } from './trace.js';

/** How much larger each dynamic axis is in the second trace. */
const EXTRA = 3;


const same = (x: readonly number[], y: readonly number[]): boolean => x.length === y.length && x.every((v, i) => v === y[i]);

/** A 0-d tensor of `dtype` holding `v`. */
function scalarTensor(v: number, dtype: DType): Tensor {
  const s = allocStorage(dtype, 1);
  s[0] = v;
  return new Tensor(s, [], dtype);
}

function sameData(a: Tensor, b: Tensor): boolean {
  if (a.dtype !== b.dtype || !same(a.shape, b.shape)) return false;
  const x = a.contiguousData();
  const y = b.contiguousData();
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  return true;
}

/** Where an op ran, for messages. */
const where = (model: Module, op: TracedOp): string => (op.path === '' ? `${moduleTypeName(model)}.forward` : `module "${op.path}"`);

/** Export `model` by tracing; returns the ModelProto's bytes. `opset` is checked by the caller. */
export function exportTraced(model: Module, examples: readonly Tensor[], options: ExportOptions, opset: number): Uint8Array {
  const inNames = examples.map((_, i) => options.inputNames?.[i] ?? `input_${i}`);
  const dynamic = options.dynamicAxes ?? {};
  const dims = dynamicDims(inNames, examples, dynamic, EXTRA);
  const a = traceForward(model, examples);
  for (const read of new Set(a.reads)) {
    // PyTorch's TracerWarning: the value is baked into the graph as a constant.
    console.warn(
      `TracerWarning: Converting a tensor to a JavaScript number (${read}) might cause the trace to be incorrect. We can't record the data flow of JavaScript values, so this value will be treated as a constant in the future. This means that the trace might not generalize to other inputs!`,
    );
  }
  // The second trace: every dynamic axis grown, every value changed (integers too, unless the forward
  // refuses them: sorted lengths rotated are no longer sorted).
  const grown = examples.map((t, i) => dims.filter((d) => d.input === inNames[i]).reduce((u, d) => grow(u, d.axis, d.sizeB - d.sizeA), t));
  const sameOps = (t: Trace): boolean => t.ops.length === a.ops.length && t.outputs.length === a.outputs.length && t.ops.every((op, i) => op.name === a.ops[i].name);
  let b: Trace;
  try {
    b = traceForward(model, grown.map((t) => perturb(t, true)));
  } catch {
    b = traceForward(model, grown.map((t) => perturb(t, false)));
  }
  if (!sameOps(b)) {
    // Control flow on the values (an `if` on x.sum().item(), say): baked in as traced, as PyTorch's tracer does.
    const other = traceForward(model, grown);
    if (sameOps(other)) {
      console.warn(
        `TracerWarning: ${moduleTypeName(model)}.forward runs other ops on other input values (control flow that depends on a tensor's value); the exported graph follows the path taken on the example inputs and might not generalize to other inputs!`,
      );
      b = other;
    }
  }
  if (!sameOps(b)) {
    const differs = a.ops.findIndex((op, i) => b.ops[i]?.name !== op.name);
    const op = a.ops[differs] ?? a.ops[a.ops.length - 1];
    throw new OnnxExportError(
      `the forward runs different ops on other input sizes${dims.length > 0 ? ` (traced at ${dims.map((d) => `${d.symbol}=${d.sizeA}`).join(', ')} and at ${dims.map((d) => `${d.symbol}=${d.sizeB}`).join(', ')})` : ''}` +
        `${op ? `; first difference at op ${differs} (${op.name}) in ${where(model, op)}` : ''}: control flow that depends on a size cannot be traced. Make that axis static, or give the module an onnxExport(g, inputs) hook`,
    );
  }

  const g = new OnnxGraph(opset, builtinExporter);
  const names = new Map<Tensor, string>();
  examples.forEach((t, i) => {
    if (names.has(t)) throw new ValueError(`onnx export: example input ${i} is the same tensor as an earlier one; pass distinct tensors`);
    names.set(t, g.reserve(inNames[i]));
  });
  g.nameParams(model);

  // Producer of each tensor (the last op that returned it), and the ops the outputs need.
  const producer = new Map<Tensor, number>();
  a.ops.forEach((op, i) => {
    for (const t of op.outputs) producer.set(t, i);
  });
  const live = new Set<number>();
  const todo = [...a.outputs];
  while (todo.length > 0) {
    const t = todo.pop()!;
    if (names.has(t)) continue;
    const i = producer.get(t);
    if (i === undefined || live.has(i)) continue;
    live.add(i);
    todo.push(...a.ops[i].inputs);
  }

  const initializers = g.initializers as TensorProto[];
  const valueName = (t: Tensor, opIndex: number, inputIndex: number): string => {
    const known = names.get(t);
    if (known !== undefined) return known;
    const op = a.ops[opIndex];
    if (g.paramNames.has(t) && isFloat(t.dtype)) {
      const name = g.param(t, '');
      names.set(t, name);
      return name;
    }
    const name = g.fresh(op?.path ? `${op.path}.const` : 'const');
    if (op !== undefined) {
      const other = b.ops[opIndex].inputs[inputIndex];
      if (other === undefined || !sameData(t, other)) {
        throw new OnnxExportError(
          `input ${inputIndex} of ${op.name} in ${where(model, op)} is a tensor the tracer did not see being computed (made from numbers, by an op without a gradient such as argmax, a comparison, or a creation op like zeros(x.shape[0], H)), ` +
            `and it differs between two traces on other input values${dims.length > 0 ? ' and sizes of the dynamic axes' : ''} (shape [${t.shape.join(', ')}]${other ? ` vs [${other.shape.join(', ')}]` : ''}): it would be baked in as a constant. ` +
            'Compute it from the inputs with ops the tracer records',
        );
      }
    }
    initializers.push(constantProto(name, t));
    names.set(t, name);
    return name;
  };

  for (let i = 0; i < a.ops.length; i++) {
    if (!live.has(i)) continue;
    const op = a.ops[i];
    const opB = b?.ops[i];
    const fail = (message: string): never => {
      throw new OnnxExportError(`cannot export ${op.name} in ${where(model, op)}: ${message}`);
    };
    let outs: string[];
    if (op.unit !== undefined) {
      const values = g.module(op.unit, op.inputs.map((t, j) => ({ name: valueName(t, i, j), value: t })));
      if (values.length < op.outputs.length) fail(`its export rule gives ${values.length} outputs, its forward ${op.outputs.length}`);
      outs = values.map((v) => v.name);
    } else {
      const emitter = emitterFor(op.name);
      if (emitter === undefined) {
        throw new OnnxExportError(
          `cannot export the op ${op.name} (its grad_fn name, as PyTorch prints it) called in ${where(model, op)}: torchlet's ONNX tracer has no mapping for it at opset ${opset}, nor in any other opset it exports (17 to 21). ` +
            `Export that part through an onnxExport(g, inputs) hook on the module that calls it, or compute it with ops the tracer maps (listed in src/onnx/trace-ops.ts)`,
        );
      }
      const e: Emit = {
        g,
        opset,
        input: (j) => valueName(op.inputs[j], i, j),
        const64: (v) => g.int64('const', v),
        sizes: (va, vb, minusOne) => sizesTensor(g, dims, va, vb, minusOne, fail),
        position: (pa, pb, sa, sb, what) => {
          if (pb === undefined || pa === pb) return pa;
          if (sb !== undefined && pa - sa === pb - sb) return pa - sa;
          return fail(`${what} is ${pa} in one trace and ${pb} in the other, neither fixed nor counted from the end of a dynamic axis`);
        },
        cast: (name, from, to) => (from === to ? name : g.node('Cast', [name], { to: int(onnxType(to)) })[0]),
        tensor: (t) => {
          const j = op.inputs.indexOf(t);
          return j < 0 ? fail('an attribute tensor is not among its inputs') : valueName(t, i, j);
        },
        scalar: (v, dtype) => {
          const name = g.fresh('const');
          initializers.push(constantProto(name, scalarTensor(v, dtype)));
          return name;
        },
        fail,
      };
      outs = emitter(e, op, opB);
    }
    op.outputs.forEach((t, k) => {
      if (outs[k] !== undefined) names.set(t, outs[k]);
    });
  }

  // Graph outputs, renamed through Identity nodes; shapes from the traces.
  const outNamesOpt = options.outputNames ?? [];
  if (outNamesOpt.length > a.outputs.length) {
    throw new ValueError(`onnx export: ${outNamesOpt.length} outputNames given, but the model has ${a.outputs.length} outputs`);
  }
  const outNames = a.outputs.map((t, i) => {
    const name = g.reserve(outNamesOpt[i] ?? `output_${i}`);
    g.identityAs(valueName(t, -1, 0), name);
    return name;
  });
  for (const name of Object.keys(dynamic)) {
    if (!inNames.includes(name) && !outNames.includes(name)) {
      throw new ValueError(`onnx export: dynamicAxes names "${name}", which is not an input or output (have ${[...inNames, ...outNames].join(', ')})`);
    }
  }
  const info = (name: string, t: Tensor, tb: Tensor | undefined): ValueInfoProto => {
    const axes = dynamic[name];
    const named = (i: number): string | undefined => (axes === undefined ? undefined : Array.isArray(axes) ? (axes.includes(i) ? `${name}_dim_${i}` : undefined) : (axes as Record<number, string>)[i]);
    const dim = t.shape.map((size, i) => {
      const sym = named(i);
      if (sym !== undefined) return { dimParam: sym };
      if (tb === undefined || tb.shape[i] === size) return { dimValue: size };
      const d = dims.find((x) => x.sizeA === size && x.sizeB === tb.shape[i]);
      return { dimParam: d?.symbol ?? `${name}_dim_${i}` };
    });
    return { name, type: { tensorType: { elemType: onnxType(t.dtype), shape: { dim } } } };
  };
  for (const t of examples) {
    if (!isFloat(t.dtype) && t.dtype !== 'int64' && t.dtype !== 'int32') throw new ValueError(`onnx export: inputs must be float or int tensors, got ${t.dtype}`);
  }
  return finishModel(g, options.doConstantFolding !== false, opset, {
    name: moduleTypeName(model),
    node: g.nodes,
    initializer: g.initializers,
    input: examples.map((t, i) => info(inNames[i], t, undefined)),
    output: outNames.map((n, i) => info(n, a.outputs[i], b?.outputs[i])),
  });
}
