/**
 * Writing PyTorch checkpoints: the zip format of `torch.save` (PyTorch ≥ 1.6 reads it, with
 * `weights_only=True` too). PyTorch twin: `torch.save(obj, f)`.
 *
 * Layout: `archive/data.pkl` (a protocol-2 pickle), `archive/data/<n>` (one entry per
 * distinct storage, raw little-endian), `archive/version` ("3"). Tensors are written as
 * `torch._utils._rebuild_tensor_v2` calls on persistent-id storages, keeping each tensor's
 * offset and strides, so views of one storage stay views of one storage when PyTorch loads them.
 * float32 → FloatStorage, float64 → DoubleStorage, int64 → LongStorage (8 bytes per element),
 * int32 → IntStorage, bool → BoolStorage.
 */

import { zipSync } from 'fflate';
import { ValueError } from '../errors.js';
import type { DType, Storage } from '../tensor/dtype.js';
import { encodeStorage } from './dtypes.js';
import { Tensor } from '../tensor/tensor.js';
import type { PickleValue } from './pickle.js';

const STORAGE_CLASS = { float32: 'FloatStorage', float64: 'DoubleStorage', int32: 'IntStorage', int64: 'LongStorage', bool: 'BoolStorage' } as const;
const MAX_DEPTH = 1000;

/**
 * A string's UTF-8 bytes as Python's pickler writes them (`s.encode('utf-8', 'surrogatepass')`):
 * a lone surrogate is kept as its 3-byte form instead of becoming U+FFFD, so it loads back as
 * the same string.
 */
export function encodeUtf8Pickle(s: string): Uint8Array {
  if (!/[\uD800-\uDFFF]/.test(s)) return new TextEncoder().encode(s);
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Uint8Array.from(out);
}
/** A fixed timestamp, in local time as zip stores it, so the same object always gives the same bytes. */
const MTIME = new Date(2000, 0, 1);

class PickleWriter {
  private readonly out: number[] = [];
  readonly storages = new Map<Storage, { key: string; dtype: DType }>();

  byte(...b: number[]): void {
    for (const x of b) this.out.push(x);
  }
  text(s: string): void {
    for (let i = 0; i < s.length; i++) this.out.push(s.charCodeAt(i));
  }
  u32(n: number): void {
    this.byte(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }
  str(s: string): void {
    const b = encodeUtf8Pickle(s);
    this.byte(0x58); // BINUNICODE
    this.u32(b.length);
    for (const x of b) this.out.push(x);
  }
  int(n: number | bigint): void {
    if (typeof n === 'number' && n >= 0 && n < 256) this.byte(0x4b, n); // BININT1
    else if (typeof n === 'number' && n >= -(2 ** 31) && n < 2 ** 31) {
      this.byte(0x4a); // BININT
      this.u32(n | 0);
    } else {
      // LONG1: little-endian two's complement, as few bytes as carry the sign.
      let v = BigInt(n);
      const bytes: number[] = [];
      for (;;) {
        const b = Number(v & 0xffn);
        bytes.push(b);
        v >>= 8n;
        if ((v === 0n && !(b & 0x80)) || (v === -1n && b & 0x80)) break;
      }
      this.byte(0x8a, bytes.length, ...bytes);
    }
  }
  tuple(items: readonly number[]): void {
    this.byte(0x28); // MARK
    for (const x of items) this.int(x);
    this.byte(0x74); // TUPLE
  }
  global(module: string, name: string): void {
    this.text(`c${module}\n${name}\n`);
  }

  /** Memo slots of the containers and tensors written so far (Python's pickler memo: shared objects are written once). */
  private readonly memo = new Map<object, number>();

  /** PUT the object just built into the next memo slot. */
  private put(v: object): void {
    const i = this.memo.size;
    this.memo.set(v, i);
    if (i < 256) this.byte(0x71, i); // BINPUT
    else {
      this.byte(0x72); // LONG_BINPUT
      this.u32(i);
    }
  }

  /** GET `v` from the memo if it was written before; true if it was. */
  private get(v: object): boolean {
    const i = this.memo.get(v);
    if (i === undefined) return false;
    if (i < 256) this.byte(0x68, i); // BINGET
    else {
      this.byte(0x6a); // LONG_BINGET
      this.u32(i);
    }
    return true;
  }

  value(v: PickleValue, depth: number): void {
    if (depth > MAX_DEPTH) throw new ValueError(`torch.save: nesting deeper than ${MAX_DEPTH} levels`);
    if (v === null) this.byte(0x4e); // NONE
    else if (v === true) this.byte(0x88); // NEWTRUE
    else if (v === false) this.byte(0x89); // NEWFALSE
    else if (typeof v === 'bigint') this.int(v);
    else if (typeof v === 'number') {
      // PyTorch parity: a JavaScript number that is an integer is written as a Python int.
      if (Number.isSafeInteger(v)) this.int(v);
      else {
        const b = new Uint8Array(8);
        new DataView(b.buffer).setFloat64(0, v, false);
        this.byte(0x47, ...b); // BINFLOAT, big-endian
      }
    } else if (typeof v === 'string') this.str(v);
    else if (typeof v === 'object' && this.get(v)) {
      // written before: a reference to the same object (shared structure and cycles survive)
    } else if (v instanceof Tensor) {
      this.tensor(v);
      this.put(v);
    } else if (v instanceof Uint8Array) {
      // Protocol 2 writes bytes as _codecs.encode(latin1 text, 'latin1').
      this.global('_codecs', 'encode');
      let s = '';
      for (const x of v) s += String.fromCharCode(x);
      this.str(s);
      this.str('latin1');
      this.byte(0x86, 0x52); // TUPLE2, REDUCE
      this.put(v);
    } else if (Array.isArray(v)) {
      // Memoised before its items, as Python's pickler does, so an item may refer back to it (a cycle).
      this.byte(0x5d); // EMPTY_LIST
      this.put(v);
      this.byte(0x28); // MARK
      for (const x of v) this.value(x, depth + 1);
      this.byte(0x65); // APPENDS
    } else {
      this.byte(0x7d); // EMPTY_DICT
      this.put(v);
      this.byte(0x28); // MARK
      for (const [k, x] of Object.entries(v)) {
        this.str(k);
        this.value(x, depth + 1);
      }
      this.byte(0x75); // SETITEMS
    }
  }

  tensor(t: Tensor): void {
    let entry = this.storages.get(t.storage);
    if (entry === undefined) {
      entry = { key: String(this.storages.size), dtype: t.dtype };
      this.storages.set(t.storage, entry);
    }
    const key = entry.key;
    this.global('torch._utils', '_rebuild_tensor_v2');
    this.byte(0x28); // MARK (the argument tuple)
    this.byte(0x28); // MARK (the persistent id)
    this.str('storage');
    this.global('torch', STORAGE_CLASS[t.dtype]);
    this.str(key);
    this.str('cpu');
    this.int(t.storage.length);
    this.byte(0x74, 0x51); // TUPLE, BINPERSID
    this.int(t.offset);
    this.tuple(t.shape);
    this.tuple(t.strides);
    this.byte(0x89); // requires_grad False
    this.global('collections', 'OrderedDict');
    this.byte(0x29, 0x52); // EMPTY_TUPLE, REDUCE: backward_hooks
    this.byte(0x74, 0x52); // TUPLE, REDUCE
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

/**
 * Serialise a state dict (or any object of tensors, numbers, strings, booleans, null, arrays,
 * bytes and plain objects) as a PyTorch checkpoint; returns the file's bytes. PyTorch twin:
 * `torch.save(obj, f)`. Python reads it with `torch.load(f)` (also with `weights_only=True`),
 * and torchlet with `torch.load(bytes)`.
 *
 *   writeFileSync('model.pt', torch.save(model.stateDict()));
 *
 * PyTorch parity: plain objects are written as dicts (`torch.save(model.state_dict())` writes
 * an OrderedDict; `load_state_dict` takes either), integer-valued numbers as Python ints.
 */
export function save(obj: PickleValue): Uint8Array {
  const w = new PickleWriter();
  w.byte(0x80, 2); // PROTO 2
  w.value(obj, 0);
  w.byte(0x2e); // STOP
  const files: Record<string, Uint8Array> = { 'archive/data.pkl': w.bytes() };
  for (const [storage, { key, dtype }] of w.storages) files[`archive/data/${key}`] = encodeStorage(storage, dtype);
  files['archive/version'] = new TextEncoder().encode('3\n');
  return zipSync(files, { level: 0, mtime: MTIME });
}
