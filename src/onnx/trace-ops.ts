/**
 * The traced-op table: how each recorded op (by its grad_fn name, as PyTorch prints `grad_fn`, or
 * `aten::<name>` for ops without a gradient: comparisons, argmax, creation ops) becomes ONNX nodes.
 * Attributes come from the op (`traceAttrs` / `traceOnly` in src/autograd/node.ts: a softmax's or
 * reduction's dims, keepdim, a mask, an index tensor). Views carry none: their dims, index and slice
 * bounds are read from strides and the offset into the input's storage. Sizes that differ between the
 * two traces of a dynamic export go through `Emit.sizes` / `Emit.position`.
 *
 * Ops not listed raise OnnxExportError naming the op and the module path where it ran.
 */

import type { DType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { float, int, ints, type OnnxGraph } from './graph.js';
import { geluNodes } from './layers.js';
import type { DynamicDim, TracedOp } from './trace.js';

/** What an op emitter can use. */
export interface Emit {
  readonly g: OnnxGraph;
  readonly opset: number;
  /** ONNX name of input `i` of the op (trace A). */
  input(i: number): string;
  /** An int64 1-D constant. */
  const64(values: readonly number[]): string;
  /**
   * An int64 1-D tensor of sizes: `a` as traced, `b` as in the second trace (undefined: static).
   * Entries that differ become `Shape` of the dynamic input axis they follow; in a Reshape
   * (`minusOne`) a single other differing entry becomes -1.
   */
  sizes(a: readonly number[], b: readonly number[] | undefined, minusOne: boolean): string;
  /** A position along an axis of size `sizeA` (`sizeB` in trace B): constant, or counted from the end. */
  position(a: number, b: number | undefined, sizeA: number, sizeB: number | undefined, what: string): number;
  /** Cast `name` from dtype `from` to `to` when they differ. */
  cast(name: string, from: DType, to: DType): string;
  /** ONNX name of a tensor the op reported among its attributes (a mask, an index). */
  tensor(t: Tensor): string;
  /** A 0-d constant of `dtype`. */
  scalar(value: number, dtype: DType): string;
  fail(message: string): never;
}

type Emitter = (e: Emit, a: TracedOp, b: TracedOp | undefined) => string[];


const same = (x: readonly number[], y: readonly number[]): boolean => x.length === y.length && x.every((v, i) => v === y[i]);

/** Output dim i ← input dim perm[i], matching sizes and strides (a permuted view). */
function permOf(x: Tensor, y: Tensor): number[] | null {
  const used = new Set<number>();
  const perm: number[] = [];
  for (let i = 0; i < y.ndim; i++) {
    let j = x.shape.findIndex((s, k) => !used.has(k) && s === y.shape[i] && (x.strides[k] === y.strides[i] || s === 1));
    if (j < 0) j = x.shape.findIndex((s, k) => !used.has(k) && s === y.shape[i]);
    if (j < 0) return null;
    used.add(j);
    perm.push(j);
  }
  return perm.length === x.ndim ? perm : null;
}

/** A basic-indexing view: per input dim, kept with [start, start + len*step) or selected at `start`. */
interface DimCut {
  kept: boolean;
  start: number;
  len: number;
  step: number;
}

function cutsOf(x: Tensor, y: Tensor): DimCut[] | null {
  if (y.storage !== x.storage) return null;
  const cuts: DimCut[] = [];
  let i = 0;
  for (let d = 0; d < x.ndim; d++) {
    const xs = x.strides[d];
    const ys = y.strides[i];
    const keptHere = i < y.ndim && (y.shape[i] === x.shape[d] ? ys === xs || x.shape[d] === 1 : ys !== undefined && xs !== 0 && ys % xs === 0 && ys / xs >= 1 && y.shape[i] <= x.shape[d]);
    const remainingIn = x.ndim - d - 1;
    const remainingOut = y.ndim - i - 1;
    if (keptHere && remainingOut <= remainingIn) {
      cuts.push({ kept: true, start: 0, len: y.shape[i], step: x.shape[d] === 1 ? 1 : ys! / xs });
      i++;
    } else cuts.push({ kept: false, start: 0, len: 1, step: 1 });
  }
  if (i !== y.ndim) return null;
  // Distribute the offset over the dims, largest stride first.
  let rem = y.offset - x.offset;
  const order = [...x.strides.keys()].sort((p, q) => x.strides[q] - x.strides[p]);
  for (const d of order) {
    const s = x.strides[d];
    if (s <= 0 || x.shape[d] === 1) continue;
    const k = Math.min(Math.floor(rem / s), x.shape[d] - 1);
    cuts[d].start = k;
    rem -= k * s;
  }
  if (rem !== 0) return null;
  return cuts;
}

const unary = (op: string): Emitter => (e) => e.g.node(op, [e.input(0)]);

/** Elementwise binary op; inputs cast to the result's dtype (PyTorch's type promotion). */
const binary =
  (op: string): Emitter =>
  (e, a) => {
    const y = a.outputs[0];
    return e.g.node(op, [0, 1].map((i) => e.cast(e.input(i), a.inputs[i].dtype, y.dtype)));
  };

const reshape: Emitter = (e, a, b) => e.g.node('Reshape', [e.input(0), e.sizes(a.outputs[0].shape, b?.outputs[0]?.shape, true)]);

/** An attribute the op reported, checked to be there (every op in the table reports what it needs). */
function attr<T>(e: Emit, a: TracedOp, key: string): T {
  const v = a.attrs?.[key];
  if (v === undefined) return e.fail(`the op did not report its ${key}`);
  return v as T;
}

const softmax =
  (op: string): Emitter =>
  (e, a) =>
    e.g.node(op, [e.input(0)], { axis: int(attr<number>(e, a, 'dim')) });

/** A reduction over the reported dims (ReduceSum's axes are an input from opset 13, the others' from 18). */
function reduceNode(e: Emit, op: string, x: string, dims: readonly number[] | null, keepdim: boolean): string[] {
  const keep = { keepdims: int(keepdim ? 1 : 0) };
  if (dims === null) return e.g.node(op, [x], keep);
  if (op === 'ReduceSum' || e.opset >= 18) return e.g.node(op, [x, e.const64(dims)], keep);
  return e.g.node(op, [x], { axes: ints(dims), ...keep });
}

const reduce =
  (op: 'ReduceSum' | 'ReduceMean' | 'ReduceMax' | 'ReduceMin'): Emitter =>
  (e, a) => {
    const x = e.cast(e.input(0), a.inputs[0].dtype, a.outputs[0].dtype);
    if (a.name.endsWith('1') && op !== 'ReduceSum' && op !== 'ReduceMean') return reduceNode(e, op, x, null, false); // max(x): all dims
    const dims = attr<number | readonly number[]>(e, a, 'dim');
    return reduceNode(e, op, x, typeof dims === 'number' ? [dims] : dims, attr<boolean>(e, a, 'keepdim'));
  };

const join =
  (isStack: boolean): Emitter =>
  (e, a) => {
    const d = attr<number>(e, a, 'dim');
    const y = a.outputs[0];
    let ins = a.inputs.map((t, i) => e.cast(e.input(i), t.dtype, y.dtype));
    if (isStack) ins = ins.map((n) => e.g.node('Unsqueeze', [n, e.const64([d])])[0]);
    return e.g.node('Concat', ins, { axis: int(d) });
  };

/** The common dtype two compared values are cast to (PyTorch compares after type promotion). */
function common(p: DType, q: DType): DType {
  if (p === q) return p === 'bool' ? 'int32' : p;
  if (p === 'float64' || q === 'float64') return 'float64';
  if (p === 'float32' || q === 'float32') return 'float32';
  return 'int64';
}

const compare =
  (op: string, negate = false): Emitter =>
  (e, a) => {
    const t = common(a.inputs[0].dtype, a.inputs[1].dtype);
    const [y] = e.g.node(op, [0, 1].map((i) => e.cast(e.input(i), a.inputs[i].dtype, t)));
    return negate ? e.g.node('Not', [y!]) : [y!];
  };

const logical =
  (op: string): Emitter =>
  (e, a) =>
    e.g.node(op, a.inputs.map((t, i) => e.cast(e.input(i), t.dtype, 'bool')));

/** An index given as a tensor (wired, cast to int64) or as numbers (a constant). */
function indexInput(e: Emit, index: Tensor | readonly number[] | unknown): string {
  if (index instanceof Tensor) {
    const t = index as Tensor;
    return e.cast(e.tensor(t), t.dtype, 'int64');
  }
  if (Array.isArray(index) && index.every((v) => typeof v === 'number')) return e.const64(index);
  return e.fail('its index is neither a tensor nor a flat list of numbers');
}

const argExtreme =
  (op: 'ArgMax' | 'ArgMin'): Emitter =>
  (e, a) => {
    const dim = a.attrs?.dim;
    const keepdim = attr<boolean>(e, a, 'keepdim');
    if (dim === null || dim === undefined) {
      // Over the flattened tensor; keepdim gives all-ones dims.
      const [flat] = e.g.node('Reshape', [e.input(0), e.const64([-1])]);
      const [i] = e.g.node(op, [flat!], { axis: int(0), keepdims: int(0) });
      return keepdim ? e.g.node('Reshape', [i!, e.const64(a.inputs[0].shape.map(() => 1))]) : [i!];
    }
    return e.g.node(op, [e.input(0)], { axis: int(dim as number), keepdims: int(keepdim ? 1 : 0) });
  };

/** Advanced indexing (`x[idx]`, `x[:, idx]`, `x[rows, cols]`): Gather for one index tensor, GatherND for several. */
const advancedIndex: Emitter = (e, a) => {
  // The index specs that are tensors or number lists, and the view dims they index.
  const indices = attr<readonly unknown[]>(e, a, 'specs').filter((s) => s instanceof Tensor || Array.isArray(s));
  const dims = attr<readonly { dim: number }[]>(e, a, 'advs').map((v) => v.dim);
  const view = a.inputs[0];
  if (indices.some((t) => t instanceof Tensor && t.dtype === 'bool')) {
    return e.fail('indexing with a bool mask gives a shape that depends on the values; use where(mask, x, y) or maskedFill(mask, v) instead');
  }
  if (indices.length !== dims.length) return e.fail('could not match its index tensors to dims');
  const names = indices.map((t) => indexInput(e, t));
  if (names.length === 1) return e.g.node('Gather', [e.input(0), names[0]], { axis: int(dims[0]) });
  // Several: broadcast them together, stack on a last axis, and GatherND over those dims moved first.
  const adjacent = dims.every((d, k) => k === 0 || d === dims[k - 1] + 1);
  const rest = view.shape.map((_, k) => k).filter((k) => !dims.includes(k));
  let x = e.input(0);
  if (dims.some((d, k) => d !== k)) [x] = e.g.node('Transpose', [x], { perm: ints([...dims, ...rest]) });
  const shapes = indices.map((t) => (t instanceof Tensor ? t.shape : [(t as unknown[]).length]));
  const rank = Math.max(...shapes.map((sh) => sh.length));
  // Broadcast by adding zeros of each other's shapes: exact for int64 and follows dynamic sizes.
  const [zero] = e.g.node('Mul', [names[0], e.scalar(0, 'int64')]);
  let zeros = zero!;
  for (const n of names.slice(1)) [zeros] = e.g.node('Add', [zeros, e.g.node('Mul', [n, e.scalar(0, 'int64')])[0]]);
  const stacked = names.map((n) => e.g.node('Unsqueeze', [e.g.node('Add', [n, zeros])[0], e.const64([rank])])[0]);
  const [nd] = e.g.node('Concat', stacked, { axis: int(-1) });
  const [out] = e.g.node('GatherND', [x!, nd!]);
  const before = adjacent ? rest.filter((k) => k < dims[0]).length : 0;
  if (before === 0) return [out!];
  // PyTorch keeps adjacent index dims in place: move the broadcast dims after the dims before them.
  const total = a.outputs[0].ndim;
  const perm = [...Array(before).keys()].map((k) => rank + k);
  perm.push(...[...Array(rank).keys()], ...[...Array(total - rank - before).keys()].map((k) => rank + before + k));
  return e.g.node('Transpose', [out!], { perm: ints(perm) });
};

const matmul: Emitter = (e, a) => {
  const y = a.outputs[0];
  return e.g.node('MatMul', [e.cast(e.input(0), a.inputs[0].dtype, y.dtype), e.cast(e.input(1), a.inputs[1].dtype, y.dtype)]);
};

/** Select / Slice views (basic indexing, narrow, select): Slice, then Squeeze the selected dims. */
const basicIndex: Emitter = (e, a, b) => {
  const x = a.inputs[0];
  const ca = cutsOf(x, a.outputs[0]);
  const cb = b === undefined ? undefined : cutsOf(b.inputs[0], b.outputs[0]);
  if (ca === null || cb === null || (cb?.some((c, d) => c.kept !== ca[d].kept || c.step !== ca[d].step))) {
    return e.fail('could not read the view it made');
  }
  const starts: number[] = [];
  const ends: number[] = [];
  const axes: number[] = [];
  const steps: number[] = [];
  const squeeze: number[] = [];
  ca.forEach((c, d) => {
    const size = x.shape[d];
    const whole = c.kept && c.start === 0 && c.step === 1 && c.len === size;
    const cbd = cb?.[d];
    const sizeB = b?.inputs[0]?.shape[d];
    if (whole && (cbd === undefined || (cbd.start === 0 && cbd.len === sizeB))) return;
    const start = e.position(c.start, cbd?.start, size, sizeB, `the start on dim ${d}`);
    const endA = c.start + (c.len - 1) * c.step + 1;
    const endB = cbd === undefined ? undefined : cbd.start + (cbd.len - 1) * cbd.step + 1;
    const end = endA === size && (endB === undefined || endB === sizeB) ? Number.MAX_SAFE_INTEGER : e.position(endA, endB, size, sizeB, `the end on dim ${d}`);
    starts.push(start);
    ends.push(end === 0 && start < 0 ? Number.MAX_SAFE_INTEGER : end);
    axes.push(d);
    steps.push(c.step);
    if (!c.kept) squeeze.push(d);
  });
  let out = e.input(0);
  if (axes.length > 0) [out] = e.g.node('Slice', [out, e.const64(starts), e.const64(ends), e.const64(axes), e.const64(steps)]);
  if (squeeze.length > 0) [out] = e.g.node('Squeeze', [out!, e.const64(squeeze)]);
  else if (axes.length === 0) [out] = e.g.node('Identity', [out!]);
  return [out!];
};

const EMITTERS: Record<string, Emitter> = {
  AddBackward0: binary('Add'),
  SubBackward0: binary('Sub'),
  RsubBackward1: binary('Sub'),
  MulBackward0: binary('Mul'),
  DivBackward0: binary('Div'),
  PowBackward0: binary('Pow'),
  PowBackward1: binary('Pow'),
  MaximumBackward0: binary('Max'),
  MinimumBackward0: binary('Min'),
  NegBackward0: unary('Neg'),
  ExpBackward0: unary('Exp'),
  LogBackward0: unary('Log'),
  SqrtBackward0: unary('Sqrt'),
  AbsBackward0: unary('Abs'),
  TanhBackward0: unary('Tanh'),
  SigmoidBackward0: unary('Sigmoid'),
  ReluBackward0: unary('Relu'),
  CloneBackward0: unary('Identity'),
  ToCopyBackward0: (e, a) => [e.cast(e.input(0), a.inputs[0].dtype, a.outputs[0].dtype)],
  SoftmaxBackward0: softmax('Softmax'),
  LogSoftmaxBackward0: softmax('LogSoftmax'),
  SumBackward0: reduce('ReduceSum'),
  SumBackward1: reduce('ReduceSum'),
  MeanBackward0: reduce('ReduceMean'),
  MeanBackward1: reduce('ReduceMean'),
  MaxBackward0: reduce('ReduceMax'),
  MaxBackward1: reduce('ReduceMax'),
  MinBackward0: reduce('ReduceMin'),
  MinBackward1: reduce('ReduceMin'),
  CatBackward0: join(false),
  StackBackward0: join(true),
  MmBackward0: matmul,
  MvBackward0: matmul,
  DotBackward0: matmul,
  AddmmBackward0: (e, a) => {
    // F.linear(x, w, b): x @ w^T + b.
    const [wt] = e.g.node('Transpose', [e.input(1)], { perm: ints([1, 0]) });
    const [mm] = e.g.node('MatMul', [e.input(0), wt!]);
    return a.inputs.length > 2 ? e.g.node('Add', [mm!, e.input(2)]) : [mm!];
  },
  TransposeBackward0: (e, a, b) => {
    const perm = permOf(a.inputs[0], a.outputs[0]);
    const pb = b === undefined ? perm : permOf(b.inputs[0], b.outputs[0]);
    if (perm === null || pb === null || !same(perm, pb)) return e.fail('could not read its dims');
    return e.g.node('Transpose', [e.input(0)], { perm: ints(perm) });
  },
  ViewBackward0: reshape,
  ReshapeAliasBackward0: reshape,
  UnsafeViewBackward0: (e, a, b) => (a.inputs.length === 2 ? matmul(e, a, b) : reshape(e, a, b)),
  SqueezeBackward0: reshape,
  SqueezeBackward1: reshape,
  SqueezeBackward3: (e, a, b) => (a.inputs.length === 2 ? matmul(e, a, b) : reshape(e, a, b)),
  UnsqueezeBackward0: reshape,
  ExpandBackward0: (e, a, b) => {
    // ONNX Expand broadcasts: an entry of 1 keeps the input's size, so only broadcast dims are constants.
    const keep = (t: TracedOp): number[] => {
      const x = t.inputs[0];
      const y = t.outputs[0];
      return y.shape.map((s, i) => (x.shape[i - (y.ndim - x.ndim)] === s ? 1 : s));
    };
    return e.g.node('Expand', [e.input(0), e.sizes(keep(a), b === undefined ? undefined : keep(b), false)]);
  },
  LeakyReluBackward0: (e, a) => e.g.node('LeakyRelu', [e.input(0)], { alpha: float(attr<number>(e, a, 'alpha')) }),
  EluBackward0: (e, a) => e.g.node('Elu', [e.input(0)], { alpha: float(attr<number>(e, a, 'alpha')) }),
  GeluBackward0: (e, a) => [geluNodes(e.g, e.input(0), attr<'none' | 'tanh'>(e, a, 'approximate'))],
  SelectBackward0: basicIndex,
  SliceBackward0: basicIndex,
  FlipBackward0: (e, a) => {
    const dims = attr<readonly number[]>(e, a, 'dims');
    if (dims.length === 0) return e.g.node('Identity', [e.input(0)]);
    const n = dims.length;
    return e.g.node('Slice', [e.input(0), e.const64(Array(n).fill(-1)), e.const64(Array(n).fill(Number.MIN_SAFE_INTEGER)), e.const64(dims), e.const64(Array(n).fill(-1))]);
  },
  ClampBackward1: (e, a) => {
    const y = a.outputs[0];
    let out = e.cast(e.input(0), a.inputs[0].dtype, y.dtype);
    const lo = attr<number>(e, a, 'min');
    const hi = attr<number>(e, a, 'max');
    if (lo > Number.NEGATIVE_INFINITY) [out] = e.g.node('Max', [out, e.scalar(lo, y.dtype)]);
    if (hi < Number.POSITIVE_INFINITY) [out] = e.g.node('Min', [out, e.scalar(hi, y.dtype)]);
    return [out];
  },
  WhereBackward0: (e, a) => {
    const y = a.outputs[0];
    return e.g.node('Where', [e.tensor(attr<Tensor>(e, a, 'mask')), ...[0, 1].map((i) => e.cast(e.input(i), a.inputs[i].dtype, y.dtype))]);
  },
  MaskedFillBackward0: (e, a) => e.g.node('Where', [e.tensor(attr<Tensor>(e, a, 'mask')), e.tensor(attr<Tensor>(e, a, 'value')), e.input(0)]),
  'aten::eq': compare('Equal'),
  'aten::ne': compare('Equal', true),
  'aten::lt': compare('Less'),
  'aten::le': compare('LessOrEqual'),
  'aten::gt': compare('Greater'),
  'aten::ge': compare('GreaterOrEqual'),
  'aten::logical_and': logical('And'),
  'aten::logical_or': logical('Or'),
  'aten::logical_xor': logical('Xor'),
  'aten::logical_not': logical('Not'),
  'aten::isnan': unary('IsNaN'),
  'aten::argmax': argExtreme('ArgMax'),
  'aten::argmin': argExtreme('ArgMin'),
  IndexBackward0: advancedIndex,
  IndexSelectBackward0: (e, a) => e.g.node('Gather', [e.input(0), indexInput(e, attr(e, a, 'index'))], { axis: int(attr<number>(e, a, 'dim')) }),
  GatherBackward0: (e, a) => e.g.node('GatherElements', [e.input(0), indexInput(e, attr(e, a, 'index'))], { axis: int(attr<number>(e, a, 'dim')) }),
  EmbeddingBackward0: (e, a) => e.g.node('Gather', [e.input(0), indexInput(e, attr(e, a, 'indices'))], { axis: int(0) }),
  'aten::full': (e, a, b) => {
    const y = a.outputs[0];
    const value = attr<number>(e, a, 'value');
    if (!y.contiguousData().every((v) => Object.is(v, value))) e.fail('its values were changed after it was made (random values, or an in-place write); the tracer exports zeros/ones/full as made');
    const size = attr<readonly number[]>(e, a, 'size');
    const sizeB = b?.attrs?.size as readonly number[] | undefined;
    return e.g.node('Expand', [e.scalar(value, y.dtype), e.sizes(size, sizeB, false)]);
  },
  'aten::arange': (e, a, b) => {
    const y = a.outputs[0];
    // Each bound may follow a dynamic axis (arange(x.shape[1])): a size, then a 0-d value of the result's dtype.
    const bound = (key: string): string => {
      const v = attr<number>(e, a, key);
      const vb = b?.attrs?.[key] as number | undefined;
      if (vb === undefined || vb === v) return e.scalar(v, y.dtype);
      if (!Number.isInteger(v) || !Number.isInteger(vb)) e.fail(`its ${key} differs between the two traces and is not a whole number`);
      const [s] = e.g.node('Squeeze', [e.sizes([v], [vb], false), e.const64([0])]);
      return e.cast(s!, 'int64', y.dtype);
    };
    return e.g.node('Range', [bound('start'), bound('end'), bound('step')]);
  },
  'aten::pad_packed_sequence': (e, a) => {
    const [padded, lengths] = a.outputs;
    const from = attr<boolean>(e, a, 'from');
    const swap = from !== attr<boolean>(e, a, 'batchFirst');
    const src = a.inputs[0];
    const shape = swap ? [src.shape[1], src.shape[0], ...src.shape.slice(2)] : src.shape;
    if (!same(shape, padded.shape)) {
      e.fail(
        `it pads to the longest length (${padded.shape[attr<boolean>(e, a, 'batchFirst') ? 1 : 0]}), a value the graph cannot know, while the recurrent layer's output has the padded input's length; pass totalLength: the input's time size (as PyTorch's exporter needs too)`,
      );
    }
    const out = swap ? e.g.node('Transpose', [e.input(0)], { perm: ints([1, 0, ...src.shape.slice(2).map((_, k) => k + 2)]) })[0] : e.g.node('Identity', [e.input(0)])[0];
    return [out!, e.cast(e.input(1), a.inputs[1].dtype, lengths.dtype)];
  },
};
EMITTERS.TBackward0 = EMITTERS.TransposeBackward0!;
EMITTERS.PermuteBackward0 = EMITTERS.TransposeBackward0!;

/** The emitter of a traced op, or undefined when the table has none. */
export function emitterFor(name: string): Emitter | undefined {
  return Object.hasOwn(EMITTERS, name) ? EMITTERS[name] : undefined;
}

/** The grad_fn names the tracer maps (for docs and the unsupported-op error). */
export const TRACED_OPS: readonly string[] = Object.keys(EMITTERS).sort();

/** Build `Emit.sizes`'s int64 tensor from per-entry pieces. */
export function sizesTensor(
  g: OnnxGraph,
  dims: readonly DynamicDim[],
  a: readonly number[],
  b: readonly number[] | undefined,
  minusOne: boolean,
  fail: (m: string) => never,
): string {
  const i64 = (v: readonly number[]): string => g.int64('const', v);
  if (b === undefined || same(a, b)) return i64(a);
  if (a.length !== b.length) fail(`its rank differs between the two traces (${a.length} vs ${b.length})`);
  const pieces: (number | string)[] = [];
  const unresolved: number[] = [];
  a.forEach((va, j) => {
    const vb = b[j];
    if (va === vb) {
      pieces.push(va);
      return;
    }
    const dim = dims.find((d) => d.sizeA === va && d.sizeB === vb);
    if (dim !== undefined) {
      pieces.push(g.node('Shape', [dim.input], { start: int(dim.axis), end: int(dim.axis + 1) })[0]);
      return;
    }
    unresolved.push(j);
    pieces.push(-1);
  });
  if (unresolved.length > 1 || (unresolved.length === 1 && (!minusOne || a.includes(-1)))) {
    fail(
      `a size [${a.join(', ')}] in one trace is [${b.join(', ')}] in the other, and entries ${unresolved.join(', ')} follow no dynamic axis (a product of two dynamic sizes, say). ` +
        'Compute it from the input shape in a way the exporter can see (e.g. reshape(-1, H) instead of reshape(N * L, H)), or leave the axis static',
    );
  }
  // Runs of constants become one initializer; Concat the parts.
  const parts: string[] = [];
  let run: number[] = [];
  for (const p of pieces) {
    if (typeof p === 'number') run.push(p);
    else {
      if (run.length > 0) parts.push(i64(run));
      run = [];
      parts.push(p);
    }
  }
  if (run.length > 0) parts.push(i64(run));
  return parts.length === 1 ? parts[0] : g.node('Concat', parts, { axis: int(0) })[0];
}
