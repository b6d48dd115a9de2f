/**
 * safetensors: an 8-byte little-endian header length, a JSON header
 * (`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}`), then the
 * raw little-endian tensor bytes. Works on Uint8Array in any runtime.
 * Format: https://github.com/huggingface/safetensors
 *
 * Loading converts F16, BF16 and F64 to float32 (PyTorch parity: torchlet computes in float32;
 * pass `{ keepFloat64: true }` to keep F64), and I64/I32/I16/I8/U8/BOOL to int32.
 */

import { FormatError } from '../errors.js';
import type { DType } from '../tensor/dtype.js';
import { allocStorage } from '../tensor/dtype.js';
import { numel } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/** Refuse headers past this size (the reference implementation's limit is 100 MB). */
const MAX_HEADER = 100_000_000;

export interface SafetensorsFile {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Parse a safetensors byte buffer. PyTorch twin: `safetensors.torch.load(bytes)`. */
export function loadSafetensors(bytes: Uint8Array, options: { keepFloat64?: boolean } = {}): SafetensorsFile {
  if (bytes.length < 8) throw new FormatError(`safetensors: file too small (${bytes.length} bytes; the header length alone takes 8)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > MAX_HEADER || 8 + headerLen > bytes.length) {
    throw new FormatError(`safetensors: header length ${headerLen} runs past the end of the file (${bytes.length} bytes)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new FormatError(`safetensors: the header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new FormatError('safetensors: the header must be a JSON object');
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const tensors: Record<string, Tensor> = Object.create(null);
  let metadata: Record<string, string> = Object.create(null);
  const ranges: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new FormatError('safetensors: __metadata__ must be an object');
      metadata = Object.assign(Object.create(null), entry);
      continue;
    }
    if (entry === null || typeof entry !== 'object') throw new FormatError(`safetensors: entry "${name}" is not an object`);
    const { dtype, shape, data_offsets: offsets } = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) {
      throw new FormatError(`safetensors: tensor "${name}" has unknown dtype ${JSON.stringify(dtype)}`);
    }
    if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
      throw new FormatError(`safetensors: tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw new FormatError(`safetensors: tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const width = DTYPE_BYTES[dtype]!;
    const n = numel(shape as number[]);
    if (begin > end || end > dataLen) {
      throw new FormatError(`safetensors: tensor "${name}" data_offsets [${begin}, ${end}] are outside the data (${dataLen} bytes)`);
    }
    if (end - begin !== n * width) {
      throw new FormatError(`safetensors: tensor "${name}" of shape [${shape.join(', ')}] and dtype ${dtype} needs ${n * width} bytes, but data_offsets span ${end - begin}`);
    }
    ranges.push([begin, end, name]);
    tensors[name] = decode(bytes, dataStart + begin, n, dtype, shape as number[], options.keepFloat64 ?? false);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i]![0] < ranges[i - 1]![1]) {
      throw new FormatError(`safetensors: tensors "${ranges[i - 1]![2]}" and "${ranges[i]![2]}" overlap`);
    }
  }
  return { tensors, metadata };
}

function decode(bytes: Uint8Array, at: number, n: number, dtype: string, shape: number[], keep64: boolean): Tensor {
  const dv = new DataView(bytes.buffer, bytes.byteOffset + at, n * DTYPE_BYTES[dtype]!);
  const outType: DType = dtype === 'F64' && keep64 ? 'float64' : dtype.startsWith('F') || dtype === 'BF16' ? 'float32' : 'int32';
  const out = allocStorage(outType, n);
  for (let i = 0; i < n; i++) {
    switch (dtype) {
      case 'F64': out[i] = dv.getFloat64(i * 8, true); break;
      case 'F32': out[i] = dv.getFloat32(i * 4, true); break;
      case 'F16': out[i] = halfToFloat(dv.getUint16(i * 2, true)); break;
      case 'BF16': out[i] = new Float32Array(new Uint32Array([dv.getUint16(i * 2, true) << 16]).buffer)[0]!; break;
      case 'I64': out[i] = Number(dv.getBigInt64(i * 8, true)); break;
      case 'I32': out[i] = dv.getInt32(i * 4, true); break;
      case 'I16': out[i] = dv.getInt16(i * 2, true); break;
      case 'I8': out[i] = dv.getInt8(i); break;
      default: out[i] = dv.getUint8(i);
    }
  }
  return new Tensor(out, shape, outType);
}

/**
 * Serialise tensors (float32 as F32, float64 as F64, int32 as I32) with optional string
 * metadata. PyTorch twin: `safetensors.torch.save(tensors, metadata)`.
 */
export function saveSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  const blobs: Uint8Array[] = [];
  for (const name of names) {
    const t = tensors[name]!;
    const data = t.contiguousData();
    const dtype = t.dtype === 'float32' ? 'F32' : t.dtype === 'float64' ? 'F64' : 'I32';
    const copy = data.slice();
    const blob = new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + blob.length] };
    blobs.push(blob);
    offset += blob.length;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((json.length + 8) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
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
