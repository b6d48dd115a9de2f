/**
 * The traced-op table: how each recorded op (by its grad_fn name, as PyTorch prints `grad_fn`)
 * becomes ONNX nodes. Attributes are read from the op's tensors: a view's dims, index and slice
 * bounds from its strides and offset into the input's storage; a softmax's, reduction's or
 * concatenation's dim from the shapes, checked against the values. Sizes that differ between the two
 * traces of a dynamic export go through `Emit.sizes` / `Emit.position`.
 *
 * Ops not listed raise OnnxExportError naming the op and the module path where it ran.
 */

import { noGrad } from '../autograd/grad-mode.js';
import { exp } from '../ops/elementwise.js';
import { cat, stack } from '../ops/join.js';
import { mean, sum } from '../ops/reduce.js';
import type { DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { int, ints, type OnnxGraph } from './graph.js';
import { DataType } from './proto.js';
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
  fail(message: string): never;
}

type Emitter = (e: Emit, a: TracedOp, b: TracedOp | undefined) => string[];

/** The ONNX element type of a dtype. */
export function onnxType(d: DType): number {
  return d === 'float32' ? DataType.FLOAT : d === 'float64' ? DataType.DOUBLE : d === 'int32' ? DataType.INT32 : d === 'int64' ? DataType.INT64 : DataType.BOOL;
}

const same = (x: readonly number[], y: readonly number[]): boolean => x.length === y.length && x.every((v, i) => v === y[i]);

function close(x: Tensor, y: Tensor): boolean {
  if (!same(x.shape, y.shape)) return false;
  const a = x.contiguousData();
  const b = y.contiguousData();
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= 1e-5 * (1 + Math.abs(b[i]))) && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  }
  return true;
}

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

/** Reduced dims of a sum/mean: tries the dim sets the shapes allow, keeps the one whose values match. */
function reducedDims(x: Tensor, y: Tensor, fn: typeof sum): { dims: number[]; keepdim: boolean } | null {
  const n = x.ndim;
  for (let mask = 1; mask < 1 << n; mask++) {
    const dims = [...Array(n).keys()].filter((d) => mask & (1 << d));
    for (const keepdim of [false, true]) {
      const shape = keepdim ? x.shape.map((s, d) => (dims.includes(d) ? 1 : s)) : x.shape.filter((_, d) => !dims.includes(d));
      if (!same(shape, y.shape)) continue;
      if (close(noGrad(() => fn(x, dims, keepdim)), y)) return { dims, keepdim };
    }
  }
  return null;
}

const unary = (op: string): Emitter => (e) => e.g.node(op, [e.input(0)]);

/** Elementwise binary op; inputs cast to the result's dtype (PyTorch's type promotion). */
const binary =
  (op: string, swap = false): Emitter =>
  (e, a) => {
    const y = a.outputs[0];
    const ins = [0, 1].map((i) => e.cast(e.input(i), a.inputs[i].dtype, y.dtype));
    return e.g.node(op, swap ? [ins[1], ins[0]] : ins);
  };

const reshape: Emitter = (e, a, b) => e.g.node('Reshape', [e.input(0), e.sizes(a.outputs[0].shape, b?.outputs[0]?.shape, true)]);

const softmax =
  (op: string, log: boolean): Emitter =>
  (e, a, b) => {
    const find = (t: TracedOp): number => {
      const y = t.outputs[0];
      const p = noGrad(() => (log ? exp(y) : y));
      for (let d = 0; d < y.ndim; d++) {
        if (y.shape[d] > 1 && noGrad(() => sum(p, d)).contiguousData().every((v) => Math.abs(v - 1) < 1e-4)) return d;
      }
      return y.ndim - 1;
    };
    const d = find(a);
    if (b !== undefined && find(b) !== d) e.fail('its dim differs between the two traces');
    return e.g.node(op, [e.input(0)], { axis: int(d) });
  };

const reduce =
  (op: 'ReduceSum' | 'ReduceMean', fn: typeof sum): Emitter =>
  (e, a) => {
    const x = a.inputs[0];
    const y = a.outputs[0];
    if (a.name.endsWith('0')) return e.g.node(op, [e.input(0)], { keepdims: int(0) });
    const r = reducedDims(x, y, fn);
    if (r === null) return e.fail('could not tell which dims it reduced');
    if (op === 'ReduceSum' || e.opset >= 18) return e.g.node(op, [e.input(0), e.const64(r.dims)], { keepdims: int(r.keepdim ? 1 : 0) });
    return e.g.node(op, [e.input(0)], { axes: ints(r.dims), keepdims: int(r.keepdim ? 1 : 0) });
  };

/** The dim of a cat (or stack: parts unsqueezed there), checked against the values. */
function joinDim(t: TracedOp, isStack: boolean): number {
  const y = t.outputs[0];
  for (let d = 0; d < y.ndim; d++) {
    const got = noGrad(() => (isStack ? stack([...t.inputs], d) : cat([...t.inputs], d)));
    if (close(got, y)) return d;
  }
  return -1;
}

const join =
  (isStack: boolean): Emitter =>
  (e, a, b) => {
    const d = joinDim(a, isStack);
    if (d < 0 || (b !== undefined && joinDim(b, isStack) !== d)) e.fail('could not tell its dim');
    let ins = a.inputs.map((_, i) => e.input(i));
    if (isStack) ins = ins.map((n) => e.g.node('Unsqueeze', [n, e.const64([d])])[0]);
    return e.g.node('Concat', ins, { axis: int(d) });
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
  RsubBackward1: binary('Sub', true),
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
  SoftmaxBackward0: softmax('Softmax', false),
  LogSoftmaxBackward0: softmax('LogSoftmax', true),
  SumBackward0: reduce('ReduceSum', sum),
  SumBackward1: reduce('ReduceSum', sum),
  MeanBackward0: reduce('ReduceMean', mean as typeof sum),
  MeanBackward1: reduce('ReduceMean', mean as typeof sum),
  CatBackward0: join(false),
  StackBackward0: join(true),
  MmBackward0: matmul,
  MvBackward0: matmul,
  DotBackward0: matmul,
  BmmBackward0: matmul,
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
  SelectBackward0: basicIndex,
  SliceBackward0: basicIndex,
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
