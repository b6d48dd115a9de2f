/**
 * A small ONNX protobuf codec: `encodeModel(model)` writes a `ModelProto` as `.onnx` bytes,
 * `decodeModel(bytes)` reads one back. No PyTorch twin (PyTorch leaves this to the `onnx` package:
 * `onnx.save_model` / `onnx.load_model_from_string`).
 *
 * Hand-written from `onnx/onnx.proto` (IR version 10, proto2) for every message a model file holds:
 * ModelProto, OperatorSetIdProto, StringStringEntryProto, TrainingInfoProto, FunctionProto,
 * GraphProto, NodeProto, AttributeProto, ValueInfoProto, TypeProto (and its nested Tensor, Sequence,
 * Map, Optional, SparseTensor), TensorShapeProto (Dimension), TensorProto (Segment),
 * SparseTensorProto, TensorAnnotation. The objects are plain: field names in camelCase as protobufjs
 * would generate them (`graph.initializer[i].dims`, `.dataType`, `.rawData`, `.floatData`).
 *
 * Encoding follows the schema: fields in field-number order (as protobuf's C++ serializer writes
 * them), repeated numbers packed only where onnx.proto says `[packed = true]` (TensorProto's
 * `*_data`), so re-encoding a file written by PyTorch or the `onnx` package gives the same bytes.
 * A field is written when it is neither `undefined` nor `null` (proto2 presence), a repeated
 * field when non-empty.
 *
 * Decoding keeps the fields present in the bytes, gives every repeated field an array (empty when
 * absent), skips unknown fields, accepts repeated numbers packed or not, and throws a FormatError
 * on malformed or truncated input (and past 100 levels of nesting). int64/uint64 values come back
 * as `number` when they are safe integers, as `bigint` otherwise; `bytes` fields are views into the
 * input (no copy). Costs nothing at import time beyond defining its tables.
 */

import { FormatError, ValueError } from '../errors.js';

/** An int64/uint64 value: a `number` when it is a safe integer, else a `bigint`. */
export type Int64 = number | bigint;

/** `onnx.TensorProto.DataType`: element types of tensors. */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
} as const;

/** `onnx.AttributeProto.AttributeType`: which value field of an attribute is in use. */
export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;

/** `onnx.StringStringEntryProto`: one key-value pair of a metadata list. */
export interface StringStringEntryProto {
  key?: string;
  value?: string;
}

/** `onnx.OperatorSetIdProto`: an imported operator set (domain '' is the ONNX standard set). */
export interface OperatorSetIdProto {
  domain?: string;
  version?: Int64;
}

/** `onnx.TensorProto.Segment`: the part of a large tensor this TensorProto holds. */
export interface TensorSegment {
  begin?: Int64;
  end?: Int64;
}

/** `onnx.TensorProto`: a serialized tensor (an initializer, a Constant's value, ...). */
export interface TensorProto {
  dims?: Int64[];
  dataType?: number;
  segment?: TensorSegment;
  floatData?: number[];
  int32Data?: number[];
  stringData?: Uint8Array[];
  int64Data?: Int64[];
  name?: string;
  docString?: string;
  rawData?: Uint8Array;
  externalData?: StringStringEntryProto[];
  dataLocation?: number;
  doubleData?: number[];
  uint64Data?: Int64[];
  metadataProps?: StringStringEntryProto[];
}

/** `onnx.SparseTensorProto`: a sparse tensor (values at indices of a dense shape). */
export interface SparseTensorProto {
  values?: TensorProto;
  indices?: TensorProto;
  dims?: Int64[];
}

/** `onnx.TensorShapeProto.Dimension`: a size (`dimValue`) or a symbolic name (`dimParam`). */
export interface TensorShapeDimension {
  dimValue?: Int64;
  dimParam?: string;
  denotation?: string;
}

/** `onnx.TensorShapeProto`: a shape, one entry per axis. */
export interface TensorShapeProto {
  dim?: TensorShapeDimension[];
}

/** `onnx.TypeProto.Tensor` (also the layout of `TypeProto.SparseTensor`). */
export interface TypeProtoTensor {
  elemType?: number;
  shape?: TensorShapeProto;
}

/** `onnx.TypeProto`: the type of a value; one of the `*Type` fields is set. */
export interface TypeProto {
  tensorType?: TypeProtoTensor;
  sequenceType?: { elemType?: TypeProto };
  mapType?: { keyType?: number; valueType?: TypeProto };
  optionalType?: { elemType?: TypeProto };
  sparseTensorType?: TypeProtoTensor;
  denotation?: string;
}

/** `onnx.ValueInfoProto`: a named value's type (graph inputs and outputs). */
export interface ValueInfoProto {
  name?: string;
  type?: TypeProto;
  docString?: string;
  metadataProps?: StringStringEntryProto[];
}

/** `onnx.AttributeProto`: a named attribute of a node; `type` says which value field is used. */
export interface AttributeProto {
  name?: string;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
  tensors?: TensorProto[];
  graphs?: GraphProto[];
  docString?: string;
  tp?: TypeProto;
  typeProtos?: TypeProto[];
  type?: number;
  refAttrName?: string;
  sparseTensor?: SparseTensorProto;
  sparseTensors?: SparseTensorProto[];
}

/** `onnx.NodeProto`: one operator application. */
export interface NodeProto {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  attribute?: AttributeProto[];
  docString?: string;
  domain?: string;
  overload?: string;
  metadataProps?: StringStringEntryProto[];
}

/** `onnx.TensorAnnotation`: quantization parameters of a tensor. */
export interface TensorAnnotation {
  tensorName?: string;
  quantParameterTensorNames?: StringStringEntryProto[];
}

/** `onnx.GraphProto`: nodes in topological order, initializers, inputs and outputs. */
export interface GraphProto {
  node?: NodeProto[];
  name?: string;
  initializer?: TensorProto[];
  docString?: string;
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
  valueInfo?: ValueInfoProto[];
  quantizationAnnotation?: TensorAnnotation[];
  sparseInitializer?: SparseTensorProto[];
  metadataProps?: StringStringEntryProto[];
}

/** `onnx.TrainingInfoProto`: training-time graphs (read and written as they are). */
export interface TrainingInfoProto {
  initialization?: GraphProto;
  algorithm?: GraphProto;
  initializationBinding?: StringStringEntryProto[];
  updateBinding?: StringStringEntryProto[];
}

/** `onnx.FunctionProto`: a model-local function. */
export interface FunctionProto {
  name?: string;
  input?: string[];
  output?: string[];
  attribute?: string[];
  node?: NodeProto[];
  docString?: string;
  opsetImport?: OperatorSetIdProto[];
  domain?: string;
  attributeProto?: AttributeProto[];
  valueInfo?: ValueInfoProto[];
  overload?: string;
  metadataProps?: StringStringEntryProto[];
}

/** `onnx.ModelProto`: the top-level message of an `.onnx` file. */
export interface ModelProto {
  irVersion?: Int64;
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: Int64;
  docString?: string;
  graph?: GraphProto;
  opsetImport?: OperatorSetIdProto[];
  metadataProps?: StringStringEntryProto[];
  trainingInfo?: TrainingInfoProto[];
  functions?: FunctionProto[];
}

// ---------------------------------------------------------------------------------------------
// The schema: each message's fields as in onnx.proto (number, camelCase name, type).

type Scalar = 'int32' | 'int64' | 'uint64' | 'float' | 'double' | 'string' | 'bytes';

interface FieldDef {
  readonly no: number;
  readonly name: string;
  readonly type: Scalar | MessageDef;
  readonly repeated: boolean;
  readonly packed: boolean;
}

interface MessageDef {
  readonly name: string;
  /** In field-number order. */
  fields: FieldDef[];
  byNo: Map<number, FieldDef>;
  repeatedNames: string[];
}

type Spec = readonly [no: number, name: string, type: Scalar | MessageDef, flags?: 'repeated' | 'packed'];

const msg = (name: string): MessageDef => ({ name, fields: [], byNo: new Map(), repeatedNames: [] });

function define(def: MessageDef, specs: readonly Spec[]): void {
  def.fields = specs
    .map(([no, name, type, flags]) => ({ no, name, type, repeated: flags !== undefined, packed: flags === 'packed' }))
    .sort((a, b) => a.no - b.no);
  def.byNo = new Map(def.fields.map((f) => [f.no, f]));
  def.repeatedNames = def.fields.filter((f) => f.repeated).map((f) => f.name);
}

const Entry = msg('StringStringEntryProto');
const OpsetId = msg('OperatorSetIdProto');
const Segment = msg('TensorProto.Segment');
const Tensor = msg('TensorProto');
const Sparse = msg('SparseTensorProto');
const Dimension = msg('TensorShapeProto.Dimension');
const Shape = msg('TensorShapeProto');
const TypeTensor = msg('TypeProto.Tensor');
const TypeSequence = msg('TypeProto.Sequence');
const TypeMap = msg('TypeProto.Map');
const TypeOptional = msg('TypeProto.Optional');
const Type = msg('TypeProto');
const ValueInfo = msg('ValueInfoProto');
const Attribute = msg('AttributeProto');
const Node = msg('NodeProto');
const Annotation = msg('TensorAnnotation');
const Graph = msg('GraphProto');
const Training = msg('TrainingInfoProto');
const Func = msg('FunctionProto');
const Model = msg('ModelProto');

define(Entry, [
  [1, 'key', 'string'],
  [2, 'value', 'string'],
]);
define(OpsetId, [
  [1, 'domain', 'string'],
  [2, 'version', 'int64'],
]);
define(Segment, [
  [1, 'begin', 'int64'],
  [2, 'end', 'int64'],
]);
define(Tensor, [
  [1, 'dims', 'int64', 'repeated'],
  [2, 'dataType', 'int32'],
  [3, 'segment', Segment],
  [4, 'floatData', 'float', 'packed'],
  [5, 'int32Data', 'int32', 'packed'],
  [6, 'stringData', 'bytes', 'repeated'],
  [7, 'int64Data', 'int64', 'packed'],
  [8, 'name', 'string'],
  [9, 'rawData', 'bytes'],
  [10, 'doubleData', 'double', 'packed'],
  [11, 'uint64Data', 'uint64', 'packed'],
  [12, 'docString', 'string'],
  [13, 'externalData', Entry, 'repeated'],
  [14, 'dataLocation', 'int32'],
  [16, 'metadataProps', Entry, 'repeated'],
]);
define(Sparse, [
  [1, 'values', Tensor],
  [2, 'indices', Tensor],
  [3, 'dims', 'int64', 'repeated'],
]);
define(Dimension, [
  [1, 'dimValue', 'int64'],
  [2, 'dimParam', 'string'],
  [3, 'denotation', 'string'],
]);
define(Shape, [[1, 'dim', Dimension, 'repeated']]);
define(TypeTensor, [
  [1, 'elemType', 'int32'],
  [2, 'shape', Shape],
]);
define(TypeSequence, [[1, 'elemType', Type]]);
define(TypeMap, [
  [1, 'keyType', 'int32'],
  [2, 'valueType', Type],
]);
define(TypeOptional, [[1, 'elemType', Type]]);
define(Type, [
  [1, 'tensorType', TypeTensor],
  [4, 'sequenceType', TypeSequence],
  [5, 'mapType', TypeMap],
  [6, 'denotation', 'string'],
  [8, 'sparseTensorType', TypeTensor],
  [9, 'optionalType', TypeOptional],
]);
define(ValueInfo, [
  [1, 'name', 'string'],
  [2, 'type', Type],
  [3, 'docString', 'string'],
  [4, 'metadataProps', Entry, 'repeated'],
]);
define(Attribute, [
  [1, 'name', 'string'],
  [2, 'f', 'float'],
  [3, 'i', 'int64'],
  [4, 's', 'bytes'],
  [5, 't', Tensor],
  [6, 'g', Graph],
  [7, 'floats', 'float', 'repeated'],
  [8, 'ints', 'int64', 'repeated'],
  [9, 'strings', 'bytes', 'repeated'],
  [10, 'tensors', Tensor, 'repeated'],
  [11, 'graphs', Graph, 'repeated'],
  [13, 'docString', 'string'],
  [14, 'tp', Type],
  [15, 'typeProtos', Type, 'repeated'],
  [20, 'type', 'int32'],
  [21, 'refAttrName', 'string'],
  [22, 'sparseTensor', Sparse],
  [23, 'sparseTensors', Sparse, 'repeated'],
]);
define(Node, [
  [1, 'input', 'string', 'repeated'],
  [2, 'output', 'string', 'repeated'],
  [3, 'name', 'string'],
  [4, 'opType', 'string'],
  [5, 'attribute', Attribute, 'repeated'],
  [6, 'docString', 'string'],
  [7, 'domain', 'string'],
  [8, 'overload', 'string'],
  [9, 'metadataProps', Entry, 'repeated'],
]);
define(Annotation, [
  [1, 'tensorName', 'string'],
  [2, 'quantParameterTensorNames', Entry, 'repeated'],
]);
define(Graph, [
  [1, 'node', Node, 'repeated'],
  [2, 'name', 'string'],
  [5, 'initializer', Tensor, 'repeated'],
  [10, 'docString', 'string'],
  [11, 'input', ValueInfo, 'repeated'],
  [12, 'output', ValueInfo, 'repeated'],
  [13, 'valueInfo', ValueInfo, 'repeated'],
  [14, 'quantizationAnnotation', Annotation, 'repeated'],
  [15, 'sparseInitializer', Sparse, 'repeated'],
  [16, 'metadataProps', Entry, 'repeated'],
]);
define(Training, [
  [1, 'initialization', Graph],
  [2, 'algorithm', Graph],
  [3, 'initializationBinding', Entry, 'repeated'],
  [4, 'updateBinding', Entry, 'repeated'],
]);
define(Func, [
  [1, 'name', 'string'],
  [4, 'input', 'string', 'repeated'],
  [5, 'output', 'string', 'repeated'],
  [6, 'attribute', 'string', 'repeated'],
  [7, 'node', Node, 'repeated'],
  [8, 'docString', 'string'],
  [9, 'opsetImport', OpsetId, 'repeated'],
  [10, 'domain', 'string'],
  [11, 'attributeProto', Attribute, 'repeated'],
  [12, 'valueInfo', ValueInfo, 'repeated'],
  [13, 'overload', 'string'],
  [14, 'metadataProps', Entry, 'repeated'],
]);
define(Model, [
  [1, 'irVersion', 'int64'],
  [2, 'producerName', 'string'],
  [3, 'producerVersion', 'string'],
  [4, 'domain', 'string'],
  [5, 'modelVersion', 'int64'],
  [6, 'docString', 'string'],
  [7, 'graph', Graph],
  [8, 'opsetImport', OpsetId, 'repeated'],
  [14, 'metadataProps', Entry, 'repeated'],
  [20, 'trainingInfo', Training, 'repeated'],
  [25, 'functions', Func, 'repeated'],
]);

// ---------------------------------------------------------------------------------------------
// Writing.

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

const wireType = (t: Scalar): number => (t === 'float' ? I32 : t === 'double' ? I64 : t === 'string' || t === 'bytes' ? LEN : VARINT);

const utf8 = new TextEncoder();

/** Collects the encoding as parts, so submessages and large byte fields are copied once, at the end. */
class Sink {
  private readonly parts: Uint8Array[] = [];
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private pos = 0;
  private flushed = 0;

  get length(): number {
    return this.flushed + this.pos;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) {
      this.buf = new Uint8Array(Math.max(n, 2 * this.buf.length));
      this.view = new DataView(this.buf.buffer);
    }
  }

  private flush(): void {
    if (this.pos === 0) return;
    this.parts.push(this.buf.subarray(0, this.pos));
    this.flushed += this.pos;
    this.buf = new Uint8Array(this.buf.length);
    this.view = new DataView(this.buf.buffer);
    this.pos = 0;
  }

  varint(v: number): void {
    // A non-negative safe integer; others go through varint64.
    this.room(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  /** An int64/uint64/int32 as protobuf writes it: negatives as 10-byte two's complement. */
  varint64(v: number | bigint, field: string): void {
    if (typeof v === 'number') {
      if (!Number.isInteger(v)) throw new ValueError(`onnx encode: ${field} must be an integer, got ${v}`);
      if (v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
        this.varint(v);
        return;
      }
      v = BigInt(v);
    } else if (typeof v !== 'bigint') {
      throw new ValueError(`onnx encode: ${field} must be an integer, got ${String(v)}`);
    }
    if (v < -(2n ** 63n) || v >= 2n ** 64n) throw new ValueError(`onnx encode: ${field} = ${v} does not fit in 64 bits`);
    let u = BigInt.asUintN(64, v);
    this.room(10);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  tag(no: number, wire: number): void {
    this.varint(no * 8 + wire);
  }

  float(v: number): void {
    this.room(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
  }

  double(v: number): void {
    this.room(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  bytes(b: Uint8Array): void {
    this.varint(b.length);
    if (b.length <= 256) {
      this.room(b.length);
      this.buf.set(b, this.pos);
      this.pos += b.length;
    } else {
      this.flush();
      this.parts.push(b);
      this.flushed += b.length;
    }
  }

  /** Append another sink's bytes, length-prefixed. */
  nested(s: Sink): void {
    this.varint(s.length);
    s.flush();
    this.flush();
    for (const p of s.parts) this.parts.push(p);
    this.flushed += s.flushed;
  }

  finish(): Uint8Array {
    this.flush();
    if (this.parts.length === 1) return this.parts[0].slice();
    const out = new Uint8Array(this.flushed);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

function writeScalar(s: Sink, t: Scalar, v: unknown, where: string): void {
  switch (t) {
    case 'int32':
    case 'int64':
    case 'uint64':
      if (t === 'int32' && (typeof v !== 'number' || !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31)) {
        throw new ValueError(`onnx encode: ${where} must be an int32, got ${String(v)}`);
      }
      if (t === 'uint64' && ((typeof v === 'number' && v < 0) || (typeof v === 'bigint' && v < 0n))) {
        throw new ValueError(`onnx encode: ${where} must be a uint64, got ${String(v)}`);
      }
      s.varint64(v as number | bigint, where);
      return;
    case 'float':
    case 'double':
      if (typeof v !== 'number') throw new ValueError(`onnx encode: ${where} must be a number, got ${typeof v}`);
      if (t === 'float') s.float(v);
      else s.double(v);
      return;
    case 'string':
      if (typeof v !== 'string') throw new ValueError(`onnx encode: ${where} must be a string, got ${typeof v}`);
      s.bytes(utf8.encode(v));
      return;
    case 'bytes':
      if (!(v instanceof Uint8Array)) throw new ValueError(`onnx encode: ${where} must be a Uint8Array, got ${typeof v}`);
      s.bytes(v);
      return;
  }
}

function writeMessage(s: Sink, def: MessageDef, m: object, depth: number): void {
  if (depth > MAX_DEPTH) throw new ValueError(`onnx encode: messages nested deeper than ${MAX_DEPTH} levels (a cycle?)`);
  if (typeof m !== 'object' || m === null) throw new ValueError(`onnx encode: a ${def.name} must be an object, got ${m === null ? 'null' : typeof m}`);
  const o = m as Record<string, unknown>;
  for (const f of def.fields) {
    const v = o[f.name];
    if (v === undefined || v === null) continue;
    const where = `${def.name}.${f.name}`;
    if (f.repeated) {
      if (typeof v !== 'object' || typeof (v as ArrayLike<unknown>).length !== 'number') {
        throw new ValueError(`onnx encode: ${where} must be an array, got ${typeof v}`);
      }
      const a = v as ArrayLike<unknown>;
      if (a.length === 0) continue;
      if (typeof f.type !== 'string') {
        for (let i = 0; i < a.length; i++) {
          const sub = new Sink();
          writeMessage(sub, f.type, a[i] as object, depth + 1);
          s.tag(f.no, LEN);
          s.nested(sub);
        }
      } else if (f.packed) {
        const sub = new Sink();
        for (let i = 0; i < a.length; i++) writeScalar(sub, f.type, a[i], where);
        s.tag(f.no, LEN);
        s.nested(sub);
      } else {
        const wire = wireType(f.type);
        for (let i = 0; i < a.length; i++) {
          s.tag(f.no, wire);
          writeScalar(s, f.type, a[i], where);
        }
      }
    } else if (typeof f.type !== 'string') {
      const sub = new Sink();
      writeMessage(sub, f.type, v as object, depth + 1);
      s.tag(f.no, LEN);
      s.nested(sub);
    } else {
      s.tag(f.no, wireType(f.type));
      writeScalar(s, f.type, v, where);
    }
  }
}

/**
 * The `.onnx` bytes of `model` (protobuf wire format of `onnx.ModelProto`). PyTorch's side:
 * `onnx.save_model` / `ModelProto.SerializeToString()`. Throws ValueError for a field of the wrong
 * type (a non-integer int64, a string where bytes belong, ...).
 */
export function encodeModel(model: ModelProto): Uint8Array {
  const s = new Sink();
  writeMessage(s, Model, model, 0);
  return s.finish();
}

// ---------------------------------------------------------------------------------------------
// Reading.

const MAX_DEPTH = 100;
const utf8Decoder = new TextDecoder();

class Source {
  pos: number;
  private readonly view: DataView;
  constructor(
    readonly buf: Uint8Array,
    start: number,
  ) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  fail(what: string): never {
    throw new FormatError(`onnx: not a valid ONNX model: ${what} at byte ${this.pos}`);
  }

  private byte(end: number): number {
    if (this.pos >= end) this.fail('truncated varint');
    return this.buf[this.pos++];
  }

  /** A varint as a number when below 2^49, else as a bigint (the raw unsigned 64 bits). */
  varint(end: number): number | bigint {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      const b = this.byte(end);
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 0x80;
    }
    let big = BigInt(result);
    for (let shift = 49n; shift < 70n; shift += 7n) {
      const b = this.byte(end);
      big |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, big);
    }
    return this.fail('varint longer than 10 bytes');
  }

  /** A varint that must fit a length or a tag. */
  uint(end: number): number {
    const v = this.varint(end);
    if (typeof v !== 'number' || v > 0xffffffff) this.fail('length or tag out of range');
    return v;
  }

  fixed32(end: number): number {
    if (this.pos + 4 > end) this.fail('truncated float');
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  fixed64(end: number): number {
    if (this.pos + 8 > end) this.fail('truncated double');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** The end of a length-delimited field starting here. */
  span(end: number): number {
    const n = this.uint(end);
    if (n > end - this.pos) this.fail(`length ${n} past the end of its message`);
    return this.pos + n;
  }

  skip(wire: number, end: number): void {
    switch (wire) {
      case VARINT:
        this.varint(end);
        return;
      case I64:
        this.fixed64(end);
        return;
      case LEN:
        this.pos = this.span(end);
        return;
      case I32:
        this.fixed32(end);
        return;
      default:
        this.fail(`unsupported wire type ${wire}`);
    }
  }
}

function toInt64(v: number | bigint, t: 'int32' | 'int64' | 'uint64'): number | bigint {
  if (typeof v === 'number') return t === 'int32' && v >= 2 ** 31 ? v | 0 : v;
  if (t === 'int32') return Number(BigInt.asIntN(32, v));
  const x = t === 'int64' ? BigInt.asIntN(64, v) : v;
  return x >= -BigInt(Number.MAX_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
}

function readScalar(src: Source, t: Scalar, end: number): unknown {
  switch (t) {
    case 'int32':
    case 'int64':
    case 'uint64':
      return toInt64(src.varint(end), t);
    case 'float':
      return src.fixed32(end);
    case 'double':
      return src.fixed64(end);
    case 'string': {
      const e = src.span(end);
      const v = utf8Decoder.decode(src.buf.subarray(src.pos, e));
      src.pos = e;
      return v;
    }
    case 'bytes': {
      const e = src.span(end);
      const v = src.buf.subarray(src.pos, e);
      src.pos = e;
      return v;
    }
  }
}

function readMessage(src: Source, def: MessageDef, end: number, depth: number): Record<string, unknown> {
  if (depth > MAX_DEPTH) src.fail(`messages nested deeper than ${MAX_DEPTH} levels`);
  const o: Record<string, unknown> = {};
  for (const name of def.repeatedNames) o[name] = [];
  while (src.pos < end) {
    const key = src.uint(end);
    const no = key >>> 3;
    const wire = key & 7;
    if (no === 0) src.fail('field number 0');
    const f = def.byNo.get(no);
    if (f === undefined) {
      src.skip(wire, end);
      continue;
    }
    let v: unknown;
    if (typeof f.type !== 'string') {
      if (wire !== LEN) src.fail(`${def.name}.${f.name} has wire type ${wire}, expected 2`);
      const e = src.span(end);
      v = readMessage(src, f.type, e, depth + 1);
      src.pos = e;
    } else {
      const expected = wireType(f.type);
      if (f.repeated && wire === LEN && expected !== LEN) {
        // Packed repeated numbers.
        const e = src.span(end);
        const a = o[f.name] as unknown[];
        while (src.pos < e) a.push(readScalar(src, f.type, e));
        continue;
      }
      if (wire !== expected) src.fail(`${def.name}.${f.name} has wire type ${wire}, expected ${expected}`);
      v = readScalar(src, f.type, end);
    }
    if (f.repeated) (o[f.name] as unknown[]).push(v);
    else o[f.name] = v;
  }
  if (src.pos !== end) src.fail(`${def.name} overruns its length`);
  return o;
}

/**
 * Read `.onnx` bytes (protobuf wire format of `onnx.ModelProto`). PyTorch's side:
 * `onnx.load_model_from_string`. Throws FormatError on bytes that are not a well-formed message.
 * Weights stored outside the file (`dataLocation` EXTERNAL) stay references; this reads one buffer.
 */
export function decodeModel(bytes: Uint8Array): ModelProto {
  if (!(bytes instanceof Uint8Array)) throw new ValueError(`onnx decode: expects a Uint8Array, got ${typeof bytes}`);
  const src = new Source(bytes, 0);
  return readMessage(src, Model, bytes.length, 0) as ModelProto;
}
