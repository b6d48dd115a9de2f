/** Hand-made pickles and checkpoint zips for the hostile-input tests of torch.load. */
import { zipSync } from 'fflate';

/** Concatenate opcodes: numbers are bytes, strings are latin1 text, arrays are raw bytes. */
export function pk(...parts: (number | string | Uint8Array)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else if (typeof p === 'string') for (let i = 0; i < p.length; i++) out.push(p.charCodeAt(i));
    else out.push(...p);
  }
  return new Uint8Array(out);
}

/** BINUNICODE of an ASCII string. */
export function str(s: string): Uint8Array {
  const b = new Uint8Array(5 + s.length);
  b[0] = 0x58;
  new DataView(b.buffer).setUint32(1, s.length, true);
  for (let i = 0; i < s.length; i++) b[5 + i] = s.charCodeAt(i);
  return b;
}

/** BININT (4 bytes) */
export function int(n: number): Uint8Array {
  const b = new Uint8Array(5);
  b[0] = 0x4a;
  new DataView(b.buffer).setInt32(1, n, true);
  return b;
}

/** A torch.save-shaped zip: archive/data.pkl, archive/data/<key> entries, archive/version. */
export function checkpointZip(pickle: Uint8Array, data: Record<string, Uint8Array> = {}, extra: Record<string, Uint8Array> = {}): Uint8Array {
  const files: Record<string, Uint8Array> = { 'archive/data.pkl': pickle };
  for (const [k, v] of Object.entries(data)) files[`archive/data/${k}`] = v;
  files['archive/version'] = new TextEncoder().encode('3\n');
  Object.assign(files, extra);
  return zipSync(files, { level: 0 });
}

/**
 * A pickle of one float tensor `_rebuild_tensor_v2(('storage', FloatStorage, key, 'cpu', numel),
 * offset, size, stride, False, OrderedDict())`.
 */
export function tensorPickle(opts: { key?: string; numel: number; offset?: number; size: number[]; stride: number[]; storage?: string }): Uint8Array {
  const tuple = (xs: number[]): (number | Uint8Array)[] => [0x28, ...xs.map(int), 0x74];
  return pk(
    0x80, 2,
    'ctorch._utils\n_rebuild_tensor_v2\n',
    0x28,
    0x28, str('storage'), `ctorch\n${opts.storage ?? 'FloatStorage'}\n`, str(opts.key ?? '0'), str('cpu'), int(opts.numel), 0x74,
    0x51,
    int(opts.offset ?? 0),
    ...tuple(opts.size),
    ...tuple(opts.stride),
    0x89,
    'ccollections\nOrderedDict\n', 0x29, 0x52,
    0x74,
    0x52,
    0x2e,
  );
}

/**
 * Rewrite a zip so that every entry's sizes and offset live in zip64 extra fields (the 32-bit
 * fields saturated at 0xFFFFFFFF) and the directory is found through a zip64 end record, as
 * zip writers do for files past 4 GB.
 */
export function toZip64(zip: Uint8Array): Uint8Array {
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = zip.length - 22;
  while (dv.getUint32(eocd, true) !== 0x06054b50) eocd--;
  const count = dv.getUint16(eocd + 10, true);
  const cdOffset = dv.getUint32(eocd + 16, true);
  const parts: number[] = [];
  const u16 = (v: number) => parts.push(v & 0xff, (v >>> 8) & 0xff);
  const u32 = (v: number) => parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  const u64 = (v: number) => {
    u32(v % 2 ** 32);
    u32(Math.floor(v / 2 ** 32));
  };
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    const nameLen = dv.getUint16(at + 28, true);
    const extraLen = dv.getUint16(at + 30, true);
    const commentLen = dv.getUint16(at + 32, true);
    const csize = dv.getUint32(at + 20, true);
    const usize = dv.getUint32(at + 24, true);
    const offset = dv.getUint32(at + 42, true);
    parts.push(...zip.subarray(at, at + 20)); // signature .. crc
    u32(0xffffffff);
    u32(0xffffffff);
    u16(nameLen);
    u16(extraLen + 28);
    parts.push(...zip.subarray(at + 32, at + 42)); // comment length .. external attributes
    u32(0xffffffff);
    parts.push(...zip.subarray(at + 46, at + 46 + nameLen + extraLen));
    u16(1);
    u16(24);
    u64(usize);
    u64(csize);
    u64(offset);
    parts.push(...zip.subarray(at + 46 + nameLen + extraLen, at + 46 + nameLen + extraLen + commentLen));
    at += 46 + nameLen + extraLen + commentLen;
  }
  const cdSize = parts.length;
  const eocd64 = cdOffset + cdSize;
  u32(0x06064b50);
  u64(44);
  u16(45);
  u16(45);
  u32(0);
  u32(0);
  u64(count);
  u64(count);
  u64(cdSize);
  u64(cdOffset);
  u32(0x07064b50);
  u32(0);
  u64(eocd64);
  u32(1);
  u32(0x06054b50);
  u16(0);
  u16(0);
  u16(0xffff);
  u16(0xffff);
  u32(0xffffffff);
  u32(0xffffffff);
  u16(0);
  const out = new Uint8Array(cdOffset + parts.length);
  out.set(zip.subarray(0, cdOffset));
  out.set(parts, cdOffset);
  return out;
}
