/**
 * Model files as the commands see them: `.pt` (zip and legacy), `.safetensors`, `.onnx`, and a
 * torchlet model config (`model.json`, or the folder `train --out` wrote). The format is told by
 * the file's first bytes, the extension only breaking ties, so a misnamed file is still read or
 * refused with a clear message. Every failure is a CliError with one readable line.
 */

import { readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import type { PickleValue } from '../io/pickle.js';
import type { GraphProto, ModelProto, ValueInfoProto } from '../onnx/proto.js';
import { decodeModel } from '../onnx/proto.js';
import { load } from '../io/checkpoint.js';
import { loadSafetensors } from '../io/safetensors.js';
import type { StateDict } from '../nn/module.js';
import type { ForecasterConfig } from '../forecast/config.js';
import { validateConfig } from '../forecast/config.js';
import { Tensor } from '../tensor/tensor.js';
import { CliError } from './ui.js';
import { describePickleValue as describe, isPickleDict as isDict } from '../io/describe.js';

/** One tensor of a file: name, dtype as stored in the file, shape, and the loaded tensor when it has one. */
export interface FileTensor {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly tensor: Tensor | null;
}

/** An entry of a nested checkpoint (`{'model': ..., 'epoch': 3}`). */
export interface CheckpointEntry {
  readonly key: string;
  readonly what: string;
  readonly tensors: number;
}

export interface ModelFile {
  readonly path: string;
  readonly format: 'pt' | 'pt-legacy' | 'safetensors' | 'onnx' | 'config';
  readonly bytes: number;
  /** The weights, in file order (for a nested checkpoint: those of `weightsKey`). */
  readonly tensors: readonly FileTensor[];
  /** String metadata (safetensors `__metadata__`, ONNX producer and opset, ...). */
  readonly metadata: Readonly<Record<string, string>>;
  /** A nested checkpoint's top-level entries, or null for a plain state dict. */
  readonly entries: readonly CheckpointEntry[] | null;
  /** The key of the entry holding the weights, for a nested checkpoint. */
  readonly weightsKey: string | null;
  /** The torchlet model config, for format 'config' (and a safetensors file with a config beside it). */
  readonly config: ForecasterConfig | null;
  /** ONNX only: the graph's recurrent nodes, inputs and outputs. */
  readonly onnx: OnnxSummary | null;
}

export interface OnnxSummary {
  readonly opset: number;
  readonly inputs: readonly { name: string; dims: readonly (number | string)[] }[];
  readonly outputs: readonly { name: string; dims: readonly (number | string)[] }[];
  readonly ops: Readonly<Record<string, number>>;
  readonly recurrent: readonly { opType: string; name: string; hiddenSize: number; direction: string; inputSize: number | null }[];
}

/** Read a file's bytes, or a CliError saying why not (missing, a folder, unreadable). */
export function readBytes(path: string): Uint8Array {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${code ?? (e as Error).message}`);
  }
  if (st.isDirectory()) throw new CliError(`${path} is a folder, not a file`);
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Where a config lives for a path: the path itself (a .json), or model.json in a folder. */
export function configPathFor(path: string): string | null {
  try {
    if (statSync(path).isDirectory()) return join(path, 'model.json');
  } catch {
    return null;
  }
  return extname(path).toLowerCase() === '.json' ? path : null;
}

function sniff(bytes: Uint8Array, path: string): ModelFile['format'] {
  const ext = extname(path).toLowerCase();
  if (bytes.length >= 2 && bytes[0] === 0x50 && bytes[1] === 0x4b) return 'pt';
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] <= 5) return 'pt-legacy';
  if (bytes.length >= 9 && bytes[8] === 0x7b && bytes[0] !== 0x7b) return 'safetensors';
  const head = new TextDecoder().decode(bytes.subarray(0, 64)).trimStart();
  if (head.startsWith('{')) return 'config';
  if (ext === '.onnx') return 'onnx';
  if (ext === '.safetensors') return 'safetensors';
  if (ext === '.pt' || ext === '.pth' || ext === '.bin') return 'pt';
  throw new CliError(`${path}: not a model file torchlet reads (.pt/.pth, .safetensors, .onnx, or a torchlet model.json)`);
}

/** Load any model file (or a `train --out` folder). */
export function loadModelFile(path: string): ModelFile {
  const cfgPath = configPathFor(path);
  if (cfgPath !== null && cfgPath !== path) return loadConfig(cfgPath);
  const bytes = readBytes(path);
  const format = sniff(bytes, path);
  try {
    if (format === 'config') return loadConfig(path, bytes);
    if (format === 'safetensors') return loadSafetensorsFile(path, bytes);
    if (format === 'onnx') return loadOnnx(path, bytes);
    return loadPt(path, bytes, format);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`${path}: ${(e as Error).message}`);
  }
}

function loadConfig(path: string, bytes?: Uint8Array): ModelFile {
  const raw = bytes ?? readBytes(path);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(raw));
  } catch (e) {
    throw new CliError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  let config: ForecasterConfig;
  try {
    config = validateConfig(json);
  } catch (e) {
    throw new CliError(`${path}: ${(e as Error).message}`);
  }
  const weightsPath = resolve(dirname(path), config.weights);
  const weights = loadSafetensorsFile(weightsPath, readBytes(weightsPath));
  return { ...weights, path, format: 'config', config, bytes: raw.length + weights.bytes };
}

/** The dtypes as written in a safetensors header (F16, BF16, F32, ...), which loading converts. */
function safetensorsDtypes(bytes: Uint8Array): Record<string, string> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype?: string }>;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(header)) if (k !== '__metadata__' && v && typeof v.dtype === 'string') out[k] = v.dtype;
  return out;
}

function loadSafetensorsFile(path: string, bytes: Uint8Array): ModelFile {
  let file: ReturnType<typeof loadSafetensors>;
  try {
    file = loadSafetensors(bytes);
  } catch (e) {
    throw new CliError(`${path}: ${(e as Error).message}`);
  }
  const dtypes = safetensorsDtypes(bytes);
  const tensors = Object.entries(file.tensors).map(([name, t]) => ({ name, dtype: dtypes[name] ?? t.dtype, shape: t.shape, tensor: t }));
  return { path, format: 'safetensors', bytes: bytes.length, tensors, metadata: { ...file.metadata }, entries: null, weightsKey: null, config: null, onnx: null };
}

function loadPt(path: string, bytes: Uint8Array, format: 'pt' | 'pt-legacy', key?: string): ModelFile {
  const value = load(bytes);
  let weightsKey: string | null = null;
  let entries: CheckpointEntry[] | null = null;
  let dict: Record<string, PickleValue> | null = null;
  if (isDict(value) && Object.values(value).every((v) => v instanceof Tensor)) {
    dict = value;
  } else if (isDict(value)) {
    entries = Object.entries(value).map(([k, v]) => ({ key: k, what: describe(v), tensors: isDict(v) ? Object.values(v).filter((x) => x instanceof Tensor).length : 0 }));
    const best = key ?? [...entries].sort((a, b) => b.tensors - a.tensors)[0]?.key;
    const chosen = best !== undefined ? value[best] : undefined;
    if (chosen !== undefined && isDict(chosen) && Object.values(chosen).some((v) => v instanceof Tensor)) {
      weightsKey = best!;
      dict = chosen;
    }
  } else {
    throw new CliError(`${path}: holds ${describe(value)}, not a state dict or a checkpoint dict`);
  }
  const tensors: FileTensor[] = dict === null ? [] : Object.entries(dict).filter(([, t]) => t instanceof Tensor).map(([name, t]) => ({ name, dtype: (t as Tensor).dtype, shape: (t as Tensor).shape, tensor: t as Tensor }));
  const metadata: Record<string, string> = {};
  return { path, format, bytes: bytes.length, tensors, metadata, entries, weightsKey, config: null, onnx: null };
}

const ONNX_TYPES: Record<number, string> = { 1: 'float32', 2: 'uint8', 3: 'int8', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64', 16: 'bfloat16' };

/**
 * The shape of a recurrent node's W as (directions, rows, input size): an initializer, or (torchlet's exports
 * since issue 20 keep PyTorch's weight_ih_l0 as the initializer) the parameter reached through the
 * Gather / Unsqueeze / Concat nodes that reorder and stack it.
 */
function weightShape(graph: GraphProto, shapeOf: Map<string, readonly number[]>, name: string): readonly number[] | undefined {
  for (let depth = 0; depth < 8; depth++) {
    const s = shapeOf.get(name);
    if (s !== undefined) return s.length === 2 ? [1, ...s] : s;
    const producer = (graph.node ?? []).find((n) => n.output?.includes(name));
    if (producer === undefined) return undefined;
    name = producer.input?.[0] ?? '';
  }
  return undefined;
}

function loadOnnx(path: string, bytes: Uint8Array): ModelFile {
  let model: ModelProto;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    throw new CliError(`${path}: not a readable ONNX model (${(e as Error).message})`);
  }
  const graph = model.graph;
  if (!graph) throw new CliError(`${path}: an ONNX model without a graph (corrupt, or not ONNX)`);
  const tensors: FileTensor[] = (graph.initializer ?? []).map((init) => {
    const dims = (init.dims ?? []).map(Number);
    const dtype = ONNX_TYPES[init.dataType ?? 0] ?? `type ${init.dataType}`;
    let tensor: Tensor | null = null;
    if (init.dataType === 1) {
      const n = dims.reduce((a, b) => a * b, 1);
      const raw = init.rawData && init.rawData.length > 0 ? new Float32Array(new Uint8Array(init.rawData).buffer, 0, n) : Float32Array.from(init.floatData ?? []);
      tensor = new Tensor(Float32Array.from(raw), dims, 'float32');
    }
    return { name: init.name ?? '', dtype, shape: dims, tensor };
  });
  const dimsOf = (v: ValueInfoProto) => (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue ?? 0)));
  const ops: Record<string, number> = {};
  for (const n of graph.node ?? []) ops[n.opType ?? '?'] = (ops[n.opType ?? '?'] ?? 0) + 1;
  const shapeOf = new Map(tensors.map((t) => [t.name, t.shape]));
  const recurrent = (graph.node ?? [])
    .filter((n) => n.opType === 'LSTM' || n.opType === 'GRU' || n.opType === 'RNN')
    .map((n) => {
      const attr = (k: string) => (n.attribute ?? []).find((a) => a.name === k);
      const w = weightShape(graph, shapeOf, n.input?.[1] ?? '');
      const direction = attr('direction')?.s ? new TextDecoder().decode(attr('direction')!.s!) : 'forward';
      return { opType: n.opType!, name: n.name ?? '', hiddenSize: Number(attr('hidden_size')?.i ?? 0), direction, inputSize: w ? w[2] : null };
    });
  const opset = Number(model.opsetImport?.find((o) => !o.domain)?.version ?? 0);
  const metadata: Record<string, string> = { producer: `${model.producerName ?? ''} ${model.producerVersion ?? ''}`.trim(), opset: String(opset), ir_version: String(model.irVersion ?? '') };
  for (const p of model.metadataProps ?? []) metadata[p.key ?? ''] = p.value ?? '';
  return {
    path,
    format: 'onnx',
    bytes: bytes.length,
    tensors,
    metadata,
    entries: null,
    weightsKey: null,
    config: null,
    onnx: { opset, inputs: (graph.input ?? []).filter((i) => !shapeOf.has(i.name ?? '')).map((i) => ({ name: i.name ?? '', dims: dimsOf(i) })), outputs: (graph.output ?? []).map((o) => ({ name: o.name ?? '', dims: dimsOf(o) })), ops, recurrent },
  };
}

/** A model file's weights as a state dict (tensors only). */
export function stateDictOf(file: ModelFile): StateDict {
  const out: StateDict = {};
  for (const t of file.tensors) if (t.tensor) out[t.name] = t.tensor;
  return out;
}
