/**
 * safetensors, the format PyTorch users share weights in: an 8-byte little-endian header length
 * N, N bytes of JSON (`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...,
 * "__metadata__": {"key": "value"}}`), then the raw little-endian tensor bytes.
 * Works on `Uint8Array` in any runtime; `torchlet/node` adds file helpers.
 * Format: https://github.com/huggingface/safetensors
 *
 * Loading converts F16, BF16 and F64 to float32 (pass `{ keepFloat64: true }` to keep F64 as
 * float64) and I64/I16/I8/U8/BOOL to int32 (see `./dtypes.ts`). Every check of the reference
 * implementation is made, and a bad file throws a `FormatError` naming the problem.
 */

import { ArgumentTypeError, FormatError, typeName, ValueError } from '../errors.js';
import { isFloat } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { Tensor as TensorClass } from '../tensor/tensor.js';
import type { FileDType } from './dtypes.js';
import { checkMaxBytes, defaultMaxBytes, LoadBudget } from './budget.js';
import { decodeElements, encodeStorage, FILE_DTYPE_BYTES, LOADED_DTYPE_BYTES, floatToBFloat16, floatToHalf, isFileDType, loadedDType, SAVED_FILE_DTYPE } from './dtypes.js';
import { defineOptions, opt } from '../options.js';

/** Refuse headers past this size (the reference implementation's limit, 100 MB). */
const MAX_HEADER = 100_000_000;

/** What `loadSafetensors` returns: the tensors by name, and the string metadata (empty when absent). PyTorch: `safetensors.torch.load` (plus the metadata). */
export interface SafetensorsFile {
  /** Tensors by name, in file order. A null-prototype object, so any name is a plain key. */
  tensors: Record<string, Tensor>;
  /** The `__metadata__` strings. A null-prototype object. */
  metadata: Record<string, string>;
}

/** Options of `loadSafetensors`. No PyTorch twin (safetensors' `load` has none; these are torchlet's limits). */
export interface LoadSafetensorsOptions {
  /** Keep F64 tensors as float64 instead of rounding them to float32. Default false. */
  keepFloat64?: boolean;
  /**
   * The most bytes loading this file may allocate (the decoded tensors), checked before
   * allocating: past it, a SizeError that says how to raise it. Default: the larger of 1 GiB and
   * 20 times the file's size.
   */
  maxBytes?: number;
}
/** Run-time check of `LoadSafetensorsOptions` (src/options.ts). */
export const LOAD_SAFETENSORS_OPTIONS = defineOptions<LoadSafetensorsOptions>('io.loadSafetensors', { keepFloat64: opt.bool, maxBytes: opt.number });

interface Entry {
  name: string;
  dtype: FileDType;
  shape: number[];
  begin: number;
  end: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Parse a safetensors file. PyTorch twin: `safetensors.torch.load(bytes)` (which returns the
 * dict of tensors; the metadata comes from `safe_open(...).metadata()`).
 *
 *   const { tensors, metadata } = torch.io.loadSafetensors(bytes);
 *   model.loadStateDict(tensors);
 */
export function loadSafetensors(bytes: Uint8Array, options: LoadSafetensorsOptions = {}): SafetensorsFile {
  options = LOAD_SAFETENSORS_OPTIONS.parse(options);
  if (!(bytes instanceof Uint8Array)) throw new ValueError('loadSafetensors: expected the file contents as a Uint8Array');
  checkMaxBytes(options.maxBytes, 'loadSafetensors');
  if (bytes.length < 8) {
    throw new FormatError(`safetensors: file too small (${bytes.length} bytes; the header length alone takes 8)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(MAX_HEADER)) {
    throw new FormatError(`safetensors: header length ${headerLen} exceeds the ${MAX_HEADER}-byte limit (corrupt or not a safetensors file)`);
  }
  const hl = Number(headerLen);
  if (8 + hl > bytes.length) {
    throw new FormatError(`safetensors: header length ${hl} runs past the end of the file (${bytes.length} bytes; truncated?)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + hl)));
  } catch (e) {
    throw new FormatError(`safetensors: the header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!isObject(header)) throw new FormatError('safetensors: the header must be a JSON object');

  const dataStart = 8 + hl;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = Object.create(null);
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__proto__') throw new FormatError('safetensors: the header has a "__proto__" key, which is refused');
    if (name === '__metadata__') {
      if (!isObject(raw)) throw new FormatError('safetensors: __metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string') throw new FormatError(`safetensors: __metadata__ value for "${k}" must be a string, got ${JSON.stringify(v)}`);
        if (k === '__proto__') throw new FormatError('safetensors: __metadata__ has a "__proto__" key, which is refused');
        metadata[k] = v;
      }
      continue;
    }
    entries.push(parseEntry(name, raw));
  }

  // The tensors must tile the data exactly (the reference implementation's rule): sorted by
  // offset, each starts where the previous ended, and the last ends at the end of the file.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of sorted) {
    if (e.end > dataLen) {
      throw new FormatError(`safetensors: tensor "${e.name}" data_offsets [${e.begin}, ${e.end}] run past the end of the data (${dataLen} bytes; truncated?)`);
    }
    if (e.begin < at) throw new FormatError(`safetensors: tensor "${e.name}" overlaps the tensor before it (offset ${e.begin} < ${at})`);
    if (e.begin > at) throw new FormatError(`safetensors: ${e.begin - at} unused bytes before tensor "${e.name}" (offset ${at}); the offsets are corrupt`);
    at = e.end;
  }
  if (at !== dataLen) {
    throw new FormatError(`safetensors: ${dataLen - at} bytes after the last tensor; the file does not match its header`);
  }

  const keep64 = options.keepFloat64 ?? false;
  const budget = new LoadBudget(options.maxBytes ?? defaultMaxBytes(bytes.length), { what: 'safetensors', example: 'loadSafetensors(bytes, { maxBytes: N })' });
  const tensors: Record<string, Tensor> = Object.create(null);
  for (const e of entries) {
    const n = (e.end - e.begin) / FILE_DTYPE_BYTES[e.dtype];
    budget.charge(n * LOADED_DTYPE_BYTES[loadedDType(e.dtype, keep64)], `tensor "${e.name}" (${n} elements of ${e.dtype})`);
    const storage = decodeElements(bytes, dataStart + e.begin, n, e.dtype, keep64, `safetensors: tensor "${e.name}"`);
    tensors[e.name] = new TensorClass(storage, e.shape, loadedDType(e.dtype, keep64));
  }
  return { tensors, metadata };
}

function parseEntry(name: string, raw: unknown): Entry {
  if (!isObject(raw)) throw new FormatError(`safetensors: entry "${name}" is not an object`);
  const { dtype, shape, data_offsets: offsets } = raw;
  if (!isFileDType(dtype)) {
    throw new FormatError(
      `safetensors: tensor "${name}" has dtype ${JSON.stringify(dtype)}, which torchlet does not read (known: ${Object.keys(FILE_DTYPE_BYTES).join(', ')})`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((s): s is number => Number.isSafeInteger(s) && s >= 0)) {
    throw new FormatError(`safetensors: tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o): o is number => Number.isSafeInteger(o) && o >= 0)) {
    throw new FormatError(`safetensors: tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw new FormatError(`safetensors: tensor "${name}" has data_offsets [${begin}, ${end}] that end before they begin`);
  // Compare byte counts without forming a possibly huge element count first.
  let expected = FILE_DTYPE_BYTES[dtype];
  for (const s of shape) expected *= s;
  if (expected !== end - begin) {
    throw new FormatError(
      `safetensors: tensor "${name}" of shape [${shape.join(', ')}] and dtype ${dtype} needs ${expected} bytes, but its data_offsets [${begin}, ${end}] span ${end - begin}`,
    );
  }
  return { name, dtype, shape, begin, end };
}

/** Options of `saveSafetensors`. PyTorch: the `metadata` argument of `safetensors.torch.save`. */
export interface SaveSafetensorsOptions {
  /**
   * Store floating-point tensors as F16 or BF16 (half the bytes; rounded to nearest even, as
   * PyTorch's `.half()` / `.bfloat16()`), or keep them ('F32', the default: float32 as F32,
   * float64 as F64). Integer and bool tensors are always stored as they are: int64 as I64, int32 as I32,
   * bool as BOOL.
   */
  dtype?: 'F32' | 'F16' | 'BF16';
}
/** Run-time check of `SaveSafetensorsOptions` (src/options.ts). */
export const SAVE_SAFETENSORS_OPTIONS = defineOptions<SaveSafetensorsOptions>('io.saveSafetensors', { dtype: opt.string } /* the value: ValueError below */);

function encode(t: Tensor, dtype: 'F32' | 'F16' | 'BF16'): { dtype: FileDType; blob: Uint8Array } {
  const data = t.contiguousData();
  if (!isFloat(t.dtype) || dtype === 'F32') {
    return { dtype: SAVED_FILE_DTYPE[t.dtype], blob: encodeStorage(data, t.dtype) };
  }
  const bits = new Uint16Array(data.length);
  const conv = dtype === 'F16' ? floatToHalf : floatToBFloat16;
  // float64 goes through float32 first (PyTorch parity for float32 tensors; a float64 value may round twice).
  for (let i = 0; i < data.length; i++) bits[i] = conv(data[i]);
  return { dtype, blob: new Uint8Array(bits.buffer) };
}

/**
 * Serialise tensors to safetensors bytes: float32 as F32, float64 as F64, int64 as I64, int32 as
 * I32, bool as BOOL (or
 * floats as F16/BF16 with `{ dtype }`, half the size, e.g. for weights shipped to a browser);
 * tensors in name order, the header padded with spaces so the data starts 8-byte aligned (as
 * the reference writer does). Non-contiguous tensors are written in row-major order.
 * PyTorch twin: `safetensors.torch.save(tensors, metadata=None)`.
 *
 *   const bytes = torch.io.saveSafetensors(model.stateDict(), { epoch: '3' });
 *   const small = torch.io.saveSafetensors(model.stateDict(), undefined, { dtype: 'BF16' });
 */
export function saveSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>, options: SaveSafetensorsOptions = {}): Uint8Array {
  if (tensors === null || typeof tensors !== 'object' || Array.isArray(tensors) || tensors instanceof TensorClass) {
    throw new ArgumentTypeError(
      `saveSafetensors(): argument 'tensors' (position 1) must be an object of named tensors ({ weight: t } or module.stateDict()), not ${typeName(tensors)}`,
    );
  }
  options = SAVE_SAFETENSORS_OPTIONS.parse(options);
  const fileDType = options.dtype ?? 'F32';
  if (fileDType !== 'F32' && fileDType !== 'F16' && fileDType !== 'BF16') {
    throw new ValueError(`saveSafetensors: dtype must be 'F32', 'F16' or 'BF16', got ${JSON.stringify(fileDType)}`);
  }
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    const meta: Record<string, string> = {};
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new ValueError(`saveSafetensors: metadata values must be strings; "${k}" is ${typeof v}`);
      meta[k] = v;
    }
    header.__metadata__ = meta;
  }
  const names = Object.keys(tensors).sort();
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__' || name === '__proto__') throw new ValueError(`saveSafetensors: "${name}" cannot be a tensor name`);
    const t = tensors[name];
    if (!(t instanceof TensorClass)) throw new ValueError(`saveSafetensors: "${name}" is not a Tensor`);
    const { dtype, blob } = encode(t, fileDType);
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + blob.length] };
    blobs.push(blob);
    offset += blob.length;
  }
  let headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (headerBytes.length % 8)) % 8;
  if (pad > 0) {
    const padded = new Uint8Array(headerBytes.length + pad).fill(0x20);
    padded.set(headerBytes);
    headerBytes = padded;
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const b of blobs) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}
