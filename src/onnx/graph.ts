/**
 * The graph under construction during ONNX export, and the attribute helpers. A model class
 * that the exporter does not know exports itself through this API, from an `onnxExport` hook:
 *
 *   class Tagger extends nn.Module {
 *     onnxExport(g: OnnxGraph, [x]: OnnxValue[]): OnnxValue[] {
 *       const [y] = g.module(this.conv, [x]);
 *       const t = g.op('Transpose', [y], { perm: ints([0, 2, 1]) }, y.value.transpose(1, 2));
 *       const [out] = g.module(this.lstm, [t]);
 *       return g.module(this.fc, [out]);
 *     }
 *   }
 *
 * Every value carries the example input's value at that point (`value`), computed by torchlet
 * as the export walks the model: shapes come from it, and the test of an export compares ONNX
 * Runtime's outputs with these values.
 */

import { TorchletError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { type AttributeProto, AttributeType as AT, DataType, type GraphProto, type NodeProto, type TensorProto } from './proto.js';

/**
 * What the exporter cannot express, or a misuse of it. PyTorch: `torch.onnx.errors.OnnxExporterError`
 * (a RuntimeError).
 */
export class OnnxExportError extends TorchletError {
  constructor(message: string) {
    super(message, 'RuntimeError');
  }
}

/** A value in the graph: its ONNX name and the example's value there. PyTorch: a `torch._C.Value` in a symbolic function. */
export interface OnnxValue {
  readonly name: string;
  readonly value: Tensor;
}

/** A typed ONNX attribute value; make one with `int`, `float`, `ints`, `floats`, `str`, `strs`. No PyTorch twin. */
export type OnnxAttr =
  | { readonly kind: 'int'; readonly v: number }
  | { readonly kind: 'float'; readonly v: number }
  | { readonly kind: 'ints'; readonly v: readonly number[] }
  | { readonly kind: 'floats'; readonly v: readonly number[] }
  | { readonly kind: 'string'; readonly v: string }
  | { readonly kind: 'strings'; readonly v: readonly string[] }
  | { readonly kind: 'graph'; readonly v: GraphProto };

/** An int attribute for `OnnxGraph.op`/`node`. No PyTorch twin (PyTorch: `g.op(..., name_i=v)`). */
export const int = (v: number): OnnxAttr => ({ kind: 'int', v });
/** A float attribute. No PyTorch twin (PyTorch: `g.op(..., name_f=v)`). */
export const float = (v: number): OnnxAttr => ({ kind: 'float', v });
/** An ints attribute. No PyTorch twin (PyTorch: `g.op(..., name_i=[...])`). */
export const ints = (v: readonly number[]): OnnxAttr => ({ kind: 'ints', v });
/** A floats attribute. No PyTorch twin (PyTorch: `g.op(..., name_f=[...])`). */
export const floats = (v: readonly number[]): OnnxAttr => ({ kind: 'floats', v });
/** A string attribute. No PyTorch twin (PyTorch: `g.op(..., name_s=v)`). */
export const str = (v: string): OnnxAttr => ({ kind: 'string', v });
/** A strings attribute. No PyTorch twin (PyTorch: `g.op(..., name_s=[...])`). */
export const strs = (v: readonly string[]): OnnxAttr => ({ kind: 'strings', v });
/** A graph attribute (a Loop or Scan body). No PyTorch twin (PyTorch: `g.op(..., body_g=...)`). */
export const graph = (v: GraphProto): OnnxAttr => ({ kind: 'graph', v });

const enc = new TextEncoder();

function attribute(name: string, a: OnnxAttr): AttributeProto {
  switch (a.kind) {
    case 'int':
      return { name, type: AT.INT, i: a.v };
    case 'float':
      return { name, type: AT.FLOAT, f: a.v };
    case 'ints':
      return { name, type: AT.INTS, ints: [...a.v] };
    case 'floats':
      return { name, type: AT.FLOATS, floats: [...a.v] };
    case 'string':
      return { name, type: AT.STRING, s: enc.encode(a.v) };
    case 'strings':
      return { name, type: AT.STRINGS, strings: a.v.map((s) => enc.encode(s)) };
    case 'graph':
      return { name, type: AT.GRAPH, g: a.v };
  }
}

/** A module that exports itself. The exporter calls this instead of its built-in rules. PyTorch: a module's `symbolic` static method (for `torch.autograd.Function`s). */
export interface OnnxExportable {
  onnxExport(g: OnnxGraph, inputs: OnnxValue[]): OnnxValue[];
}

/** The exporter of a built-in module type (installed by `./layers.ts`). */
export type ModuleExporter = (g: OnnxGraph, inputs: OnnxValue[]) => OnnxValue[];

/**
 * The ONNX graph being exported (no PyTorch twin: PyTorch's exporter traces TorchScript; this is
 * the small builder torchlet's module walk and `onnxExport` hooks write into). `module(m, xs)`
 * exports a submodule, `op(type, xs, attrs, value)` adds one node, `weight`/`int64` add
 * initializers, `node` adds a node by value names.
 */
export class OnnxGraph {
  readonly nodes: NodeProto[] = [];
  /** Where `node` appends: the main graph, or a subgraph under construction. */
  private target: NodeProto[] = this.nodes;
  private nodeCount = 0;
  readonly initializers: TensorProto[] = [];
  private readonly names = new Set<string>();

  constructor(
    readonly opsetVersion: number,
    private readonly exporterFor: (m: object) => ModuleExporter,
  ) {}

  /** A name not used yet, from `base`. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}.${i}`;
    this.names.add(name);
    return name;
  }

  /** Reserve an exact name (graph inputs); throws if taken. */
  reserve(name: string): string {
    if (this.names.has(name)) throw new OnnxExportError(`the name "${name}" is used twice in the exported graph`);
    this.names.add(name);
    return name;
  }

  /** A float32 initializer (a constant weight) of `shape` from row-major `data`. */
  weight(base: string, data: ArrayLike<number>, shape: readonly number[]): string {
    const name = this.fresh(base);
    const f = Float32Array.from(data);
    this.initializers.push(
      { name, dims: [...shape], dataType: DataType.FLOAT, rawData: new Uint8Array(f.buffer) },
    );
    return name;
  }

  /** The exported model's parameters and buffers by their state-dict names (set by the exporter). */
  readonly paramNames = new Map<Tensor, string>();
  private readonly paramInits = new Map<Tensor, string>();

  /** Name the initializers of `model`'s parameters and buffers by their state-dict paths. */
  nameParams(model: { namedParameters(): Iterable<[string, Tensor]>; namedBuffers(): Iterable<[string, Tensor]> }): void {
    for (const [p, t] of model.namedBuffers()) this.paramNames.set(t, p);
    for (const [p, t] of model.namedParameters()) this.paramNames.set(t, p);
  }

  /**
   * The initializer of a parameter or buffer, as PyTorch names it: its state-dict name (`lstm.weight_ih_l0`),
   * else `fallback`; in its own layout (the export rules reorder or transpose it with nodes). A tensor
   * used twice (tied weights) is one initializer.
   */
  /** The names of the parameters' initializers (kept as they are by constant folding). */
  paramInitializers(): Set<string> {
    return new Set(this.paramInits.values());
  }

  param(t: Tensor, fallback: string): string {
    const known = this.paramInits.get(t);
    if (known !== undefined) return known;
    const name = this.weight(this.paramNames.get(t) ?? fallback, t.contiguousData(), t.shape);
    this.paramInits.set(t, name);
    return name;
  }

  /** An int64 initializer (shapes, axes, slice bounds). */
  int64(base: string, data: readonly number[]): string {
    const name = this.fresh(base);
    const b = new BigInt64Array(data.map((v) => BigInt(v)));
    this.initializers.push(
      { name, dims: [data.length], dataType: DataType.INT64, rawData: new Uint8Array(b.buffer) },
    );
    return name;
  }

  /**
   * Add a node; returns its output names. `inputs` are value names ('' for a skipped optional
   * input); `outputs` is the number of outputs (or their base names).
   */
  node(opType: string, inputs: readonly string[], attrs: Record<string, OnnxAttr> = {}, outputs: number | readonly string[] = 1): string[] {
    const id = this.nodeCount++;
    const outNames = typeof outputs === 'number' ? Array.from({ length: outputs }, (_, i) => this.fresh(`${opType}_${id}${outputs > 1 ? `_${i}` : ''}`)) : outputs.map((o) => this.fresh(o));
    this.target.push({
      opType,
      name: `${opType}_${id}`,
      input: [...inputs],
      output: outNames,
      attribute: Object.entries(attrs).map(([k, a]) => attribute(k, a)),
    });
    return outNames;
  }

  /** An Identity node whose output has exactly `name` (reserved by the caller with `reserve`). */
  identityAs(input: string, name: string): void {
    this.target.push({ opType: 'Identity', name: `Identity_${this.nodeCount++}`, input: [input], output: [name] });
  }

  /**
   * A subgraph (the body of Scan/Loop/If) with float inputs named from `inputs`; `build` adds
   * its nodes with `node(...)` (they may read the main graph's initializers, the outer scope)
   * and returns its output names.
   */
  subgraph(name: string, inputs: readonly string[], build: (inputNames: string[]) => string[]): GraphProto {
    const saved = this.target;
    const nodes: NodeProto[] = [];
    this.target = nodes;
    const floatType = { tensorType: { elemType: DataType.FLOAT } };
    try {
      const inNames = inputs.map((i) => this.fresh(i));
      const outNames = build(inNames);
      return {
        name: this.fresh(name),
        node: nodes,
        input: inNames.map((n) => ({ name: n, type: floatType })),
        output: outNames.map((n) => ({ name: n, type: floatType })),
      };
    } finally {
      this.target = saved;
    }
  }

  /** One-output node on values, with the example's value of the output (computed by the caller with torchlet). */
  op(opType: string, inputs: readonly OnnxValue[], attrs: Record<string, OnnxAttr>, value: Tensor): OnnxValue {
    const [name] = this.node(opType, inputs.map((v) => v.name), attrs);
    return { name: name!, value };
  }

  /** Export a submodule applied to `inputs`; returns its outputs (a recurrent layer: out, hN[, cN]). */
  module(m: object, inputs: OnnxValue[]): OnnxValue[] {
    if (hasHook(m)) return m.onnxExport(this, inputs);
    return this.exporterFor(m)(this, inputs);
  }
}

function hasHook(m: object): m is OnnxExportable {
  return 'onnxExport' in m && typeof m.onnxExport === 'function';
}
