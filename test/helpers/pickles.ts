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
