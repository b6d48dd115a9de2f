/**
 * Constant folding of an exported graph (PyTorch: `torch.onnx.export(..., do_constant_folding=True)`,
 * the default): nodes whose inputs are all constants are computed here and replaced by initializers
 * (a `zeros(2, 1)` → one initializer instead of Expand of a scalar; a static `arange(4)`; casts and
 * reshapes of constants). Decision: nodes reading a parameter or buffer are left in the graph, so
 * every weight keeps its state-dict name and layout (ONNX Runtime folds those at load).
 *
 * Only ops whose ONNX semantics the table below reproduces exactly are folded; others stay.
 */

import { noGrad } from '../autograd/grad-mode.js';
import { OnnxExportError, type OnnxGraph } from './graph.js';
import { add, mul, neg, sub } from '../ops/elementwise.js';
import { cat, indexSelect } from '../ops/join.js';
import { expand, permute, reshape, squeezeDims, unsqueeze } from '../ops/shape.js';
import { contiguous, toDtype } from '../ops/util.js';
import { allocStorage, type DType, isFloat } from '../tensor/dtype.js';
import { broadcastShapes, numel } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { type AttributeProto, DataType, encodeModel, type GraphProto, type NodeProto, type TensorProto } from './proto.js';

const DTYPES: Readonly<Record<number, DType>> = { [DataType.FLOAT]: 'float32', [DataType.DOUBLE]: 'float64', [DataType.INT32]: 'int32', [DataType.INT64]: 'int64', [DataType.BOOL]: 'bool' };

/** The ONNX element type of a dtype. */
export function onnxType(d: DType): number {
  return d === 'float32' ? DataType.FLOAT : d === 'float64' ? DataType.DOUBLE : d === 'int32' ? DataType.INT32 : d === 'int64' ? DataType.INT64 : DataType.BOOL;
}

/** A tensor as an initializer of its own dtype. */
export function constantProto(name: string, t: Tensor): TensorProto {
  const data = t.contiguousData();
  const dims = [...t.shape];
  const raw = (b: ArrayBufferView): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  switch (t.dtype) {
    case 'float32':
      return { name, dims, dataType: DataType.FLOAT, rawData: raw(Float32Array.from(data)) };
    case 'float64':
      return { name, dims, dataType: DataType.DOUBLE, rawData: raw(Float64Array.from(data)) };
    case 'int32':
      return { name, dims, dataType: DataType.INT32, rawData: raw(Int32Array.from(data)) };
    case 'int64':
      return { name, dims, dataType: DataType.INT64, rawData: raw(BigInt64Array.from(Array.from(data), (v) => BigInt(v))) };
    case 'bool':
      return { name, dims, dataType: DataType.BOOL, rawData: Uint8Array.from(data) };
  }
}

/** An initializer as a tensor, or null for a type the folder does not read. */
function fromProto(p: TensorProto): Tensor | null {
  const dtype = DTYPES[p.dataType ?? 0];
  const bytes = p.rawData;
  if (dtype === undefined || bytes === undefined) return null;
  const dims = (p.dims ?? []).map(Number);
  const n = numel(dims);
  const buf = new Uint8Array(bytes).buffer;
  const out = allocStorage(dtype, n);
  const src =
    dtype === 'float32' ? new Float32Array(buf, 0, n) : dtype === 'float64' ? new Float64Array(buf, 0, n) : dtype === 'int32' ? new Int32Array(buf, 0, n) : dtype === 'int64' ? Array.from(new BigInt64Array(buf, 0, n), Number) : new Uint8Array(buf, 0, n);
  for (let i = 0; i < n; i++) out[i] = src[i];
  return new Tensor(out, dims, dtype);
}

const attrOf = (n: NodeProto, name: string): AttributeProto | undefined => n.attribute?.find((a) => a.name === name);
const ints = (t: Tensor): number[] => Array.from(t.contiguousData());

/** ONNX ops computed here, on their constant inputs (null: not folded for these inputs). */
const EVAL: Readonly<Record<string, (ins: Tensor[], n: NodeProto) => Tensor | null>> = {
  Identity: ([x]) => x!,
  Cast: ([x], n) => {
    const to = DTYPES[Number(attrOf(n, 'to')?.i)];
    return to === undefined ? null : toDtype(x!, to);
  },
  Reshape: ([x, s]) => reshape(x!, ints(s!).map((v, i) => (v === 0 ? x!.shape[i]! : v))),
  Unsqueeze: ([x, axes]) => {
    const rank = x!.ndim + axes!.numel();
    return ints(axes!)
      .map((a) => (a < 0 ? a + rank : a))
      .sort((p, q) => p - q)
      .reduce((t, a) => unsqueeze(t, a), x!);
  },
  Squeeze: ([x, axes]) => squeezeDims(x!, axes === undefined ? x!.shape.flatMap((s, i) => (s === 1 ? [i] : [])) : ints(axes).map((a) => (a < 0 ? a + x!.ndim : a))),
  Concat: (xs, n) => cat(xs, Number(attrOf(n, 'axis')?.i ?? 0)),
  Transpose: ([x], n) => permute(x!, attrOf(n, 'perm')?.ints?.map(Number) ?? [...x!.shape.keys()].reverse()),
  Add: ([a, b]) => (a!.dtype === b!.dtype ? add(a!, b!) : null),
  Sub: ([a, b]) => (a!.dtype === b!.dtype ? sub(a!, b!) : null),
  Mul: ([a, b]) => (a!.dtype === b!.dtype ? mul(a!, b!) : null),
  Neg: ([x]) => neg(x!),
  Expand: ([x, s]) => expand(x!, broadcastShapes(x!.shape, ints(s!))),
  Shape: ([x], n) => {
    const r = x!.ndim;
    const norm = (v: number): number => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
    const dims = x!.shape.slice(norm(Number(attrOf(n, 'start')?.i ?? 0)), norm(Number(attrOf(n, 'end')?.i ?? r)));
    const out = allocStorage('int64', dims.length);
    dims.forEach((v, i) => {
      out[i] = v;
    });
    return new Tensor(out, [dims.length], 'int64');
  },
  Gather: ([x, idx], n) => {
    const axis = Number(attrOf(n, 'axis')?.i ?? 0);
    const d = axis < 0 ? axis + x!.ndim : axis;
    const flat = ints(idx!).map((i) => (i < 0 ? i + x!.shape[d]! : i));
    return reshape(indexSelect(x!, d, flat), [...x!.shape.slice(0, d), ...idx!.shape, ...x!.shape.slice(d + 1)]);
  },
  Range: ([start, limit, delta]) => {
    const [s, l, dl] = [start!, limit!, delta!].map((t) => t.contiguousData()[0]!);
    const count = Math.max(Math.ceil((l - s) / dl), 0);
    const out = allocStorage(start!.dtype, count);
    for (let i = 0; i < count; i++) out[i] = s + i * dl;
    return new Tensor(out, [count], start!.dtype);
  },
};

/** The names a graph's nodes read, also inside subgraphs (Scan bodies read the outer scope). */
function reads(nodes: readonly NodeProto[], into: Set<string>): Set<string> {
  for (const n of nodes) {
    for (const i of n.input ?? []) into.add(i);
    for (const a of n.attribute ?? []) if (a.g) reads(a.g.node ?? [], into);
  }
  return into;
}

/**
 * Fold `graph`'s constant subgraphs in place. `keep`: initializers never folded into others (the
 * parameters); outputs of nodes that produce graph outputs are never folded.
 */
export function foldConstants(graph: GraphProto, keep: ReadonlySet<string>): void {
  const consts = new Map<string, Tensor>();
  for (const p of graph.initializer ?? []) {
    if (keep.has(p.name ?? '')) continue;
    const t = fromProto(p);
    if (t !== null) consts.set(p.name ?? '', t);
  }
  const outputs = new Set((graph.output ?? []).map((o) => o.name));
  const folded: TensorProto[] = [];
  const nodes: NodeProto[] = [];
  for (const n of graph.node ?? []) {
    const fn = EVAL[n.opType ?? ''];
    const ins = (n.input ?? []).filter((i) => i !== '');
    const values = ins.map((i) => consts.get(i));
    const out = n.output ?? [];
    let y: Tensor | null = null;
    if (fn !== undefined && out.length === 1 && !outputs.has(out[0]) && values.every((v) => v !== undefined)) {
      try {
        y = noGrad(() => fn(values as Tensor[], n));
      } catch {
        y = null; // left for ONNX Runtime to compute (and to report)
      }
    }
    if (y === null || (!isFloat(y.dtype) && y.dtype !== 'int64' && y.dtype !== 'int32' && y.dtype !== 'bool')) {
      nodes.push(n);
      continue;
    }
    const t = contiguous(y);
    consts.set(out[0]!, t);
    folded.push(constantProto(out[0]!, t));
  }
  const used = reads(nodes, new Set(outputs as Set<string>));
  graph.node = nodes;
  graph.initializer = [...(graph.initializer ?? []), ...folded].filter((p) => used.has(p.name ?? ''));
}

/** protobuf's limit on one message: a ModelProto over it cannot be written without ONNX's external data. */
const PROTOBUF_LIMIT = 2 ** 31 - 1;

/** Refuse a model whose weights alone exceed protobuf's 2 GB (external data is not supported). */
export function checkModelSize(initializers: readonly TensorProto[]): void {
  let bytes = 0;
  for (const p of initializers) bytes += p.rawData?.byteLength ?? 0;
  if (bytes > PROTOBUF_LIMIT) {
    throw new OnnxExportError(
      `the model's weights take ${bytes} bytes, over protobuf's 2 GB limit for one ONNX file; such models need ONNX's external data format (weights in separate files), which torchlet's exporter does not write. Export a smaller model, or the parts separately`,
    );
  }
}

/** The ONNX IR version that goes with each opset (onnx/helper.py's VERSION_TABLE). */
const IR_VERSION: Readonly<Record<number, number>> = { 17: 8, 18: 8, 19: 9, 20: 9, 21: 10 };

/** Fold constants (PyTorch's `do_constant_folding`), check the size, and encode the ModelProto. */
export function finishModel(g: OnnxGraph, fold: boolean, opset: number, graph: GraphProto): Uint8Array {
  if (fold) foldConstants(graph, g.paramInitializers());
  checkModelSize(graph.initializer ?? []);
  return encodeModel({ irVersion: IR_VERSION[opset], producerName: 'torchlet', opsetImport: [{ domain: '', version: opset }], graph });
}
