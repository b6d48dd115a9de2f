/**
 * A strict, read-only zip reader for PyTorch checkpoints (torch.save writes a zip since 1.6).
 *
 * The central directory is parsed and checked here (entry count against the directory size,
 * every offset and length against the file, entry names, CRC-32); decompression of deflated
 * entries is done by `fflate`. PyTorch writes its entries stored (uncompressed), so reading
 * a checkpoint copies nothing but the pickle. Checking first matters: a general-purpose unzip
 * trusts the directory's counts and sizes, so a hostile file could make it loop over billions
 * of phantom entries or allocate gigabytes.
 */

import { inflateSync } from 'fflate';
import { FormatError } from '../errors.js';

/** Refuse archives with more entries than this (a state dict of 10^5 tensors is plenty). */
const MAX_ENTRIES = 200_000;
/** Refuse a single decompressed entry past this size. */
const MAX_ENTRY_BYTES = 2 ** 31 - 1;

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;

interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  dataStart: number;
  /** Where the entry's local header starts (its bytes are [localOffset, dataStart + compressedSize)). */
  localOffset: number;
}

/** A zip archive's entries by name; `read(name)` checks and returns the entry's bytes. */
export class ZipArchive {
  private readonly entries = new Map<string, ZipEntry>();
  private readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array, what = 'zip') {
    this.bytes = bytes;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const len = bytes.length;
    const u16 = (at: number): number => dv.getUint16(at, true);
    const u32 = (at: number): number => dv.getUint32(at, true);
    const u64 = (at: number, field: string): number => {
      const v = dv.getBigUint64(at, true);
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError(`${what}: zip64 ${field} ${v} is past any file size`);
      return Number(v);
    };

    // End of central directory: the last signature within the final 22 + 65535 bytes.
    let eocd = -1;
    for (let at = len - 22; at >= 0 && at >= len - 22 - 0xffff; at--) {
      if (u32(at) === SIG_EOCD) {
        eocd = at;
        break;
      }
    }
    if (eocd < 0) throw new FormatError(`${what}: not a zip archive (no end-of-central-directory record; truncated?)`);
    let count = u16(eocd + 10);
    let cdSize = u32(eocd + 12);
    let cdOffset = u32(eocd + 16);
    const zip64 = eocd >= 20 && u32(eocd - 20) === SIG_EOCD64_LOCATOR;
    if (zip64) {
      const at = u64(eocd - 20 + 8, 'directory offset');
      if (at + 56 > len || u32(at) !== SIG_EOCD64) throw new FormatError(`${what}: zip64 end-of-directory record is missing or out of range`);
      count = u64(at + 32, 'entry count');
      cdSize = u64(at + 40, 'directory size');
      cdOffset = u64(at + 48, 'directory offset');
    }
    if (count > MAX_ENTRIES) throw new FormatError(`${what}: ${count} entries is more than the ${MAX_ENTRIES} allowed`);
    if (cdOffset + cdSize > len || count * 46 > cdSize) {
      throw new FormatError(`${what}: central directory (${count} entries, ${cdSize} bytes at ${cdOffset}) does not fit in the ${len}-byte file`);
    }

    let at = cdOffset;
    const end = cdOffset + cdSize;
    for (let i = 0; i < count; i++) {
      if (at + 46 > end || u32(at) !== SIG_CENTRAL) throw new FormatError(`${what}: central directory entry ${i} is corrupt`);
      const method = u16(at + 10);
      const crc = u32(at + 16);
      let compressedSize = u32(at + 20);
      let size = u32(at + 24);
      const nameLen = u16(at + 28);
      const extraLen = u16(at + 30);
      const commentLen = u16(at + 32);
      let localOffset = u32(at + 42);
      const next = at + 46 + nameLen + extraLen + commentLen;
      if (next > end) throw new FormatError(`${what}: central directory entry ${i} runs past the directory`);
      const name = new TextDecoder('utf-8').decode(bytes.subarray(at + 46, at + 46 + nameLen));
      // zip64 extra field (id 1): the 64-bit values of the fields saturated at 0xFFFFFFFF, in order.
      const extraEnd = at + 46 + nameLen + extraLen;
      for (let x = at + 46 + nameLen; x + 4 <= extraEnd; ) {
        const id = u16(x);
        const xlen = u16(x + 2);
        if (id === 1) {
          let f = x + 4;
          const take = (): number => {
            if (f + 8 > Math.min(x + 4 + xlen, extraEnd)) throw new FormatError(`${what}: entry "${name}" has a short zip64 extra field`);
            const v = u64(f, 'size');
            f += 8;
            return v;
          };
          if (size === 0xffffffff) size = take();
          if (compressedSize === 0xffffffff) compressedSize = take();
          if (localOffset === 0xffffffff) localOffset = take();
        }
        x += 4 + xlen;
      }
      checkName(name, what);
      if (this.entries.has(name)) throw new FormatError(`${what}: entry "${name}" appears twice`);
      if (localOffset + 30 > len || u32(localOffset) !== SIG_LOCAL) {
        throw new FormatError(`${what}: entry "${name}" points at a missing local header (offset ${localOffset})`);
      }
      const dataStart = localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28);
      if (dataStart + compressedSize > len) {
        throw new FormatError(`${what}: entry "${name}" (${compressedSize} bytes at ${dataStart}) runs past the end of the file (truncated?)`);
      }
      if (method !== 0 && method !== 8) throw new FormatError(`${what}: entry "${name}" uses compression method ${method}; only stored and deflate are read`);
      if (method === 0 && size !== compressedSize) throw new FormatError(`${what}: stored entry "${name}" has differing sizes`);
      // Deflate cannot expand more than ~1032:1; a larger claim is a lie.
      if (size > MAX_ENTRY_BYTES || (method === 8 && size > compressedSize * 1032 + 64)) {
        throw new FormatError(`${what}: entry "${name}" claims ${size} uncompressed bytes, which is refused`);
      }
      this.entries.set(name, { name, method, crc, compressedSize, size, dataStart, localOffset });
      at = next;
    }
    // Entries must not share bytes: a directory that points many entries at one compressed
    // stream (an overlapping-entry zip bomb) would make each inflate it again.
    const ranges = [...this.entries.values()].sort((a, b) => a.localOffset - b.localOffset);
    for (let i = 1; i < ranges.length; i++) {
      const prev = ranges[i - 1];
      const e = ranges[i];
      if (e.localOffset < prev.dataStart + prev.compressedSize) {
        throw new FormatError(`${what}: entries "${prev.name}" and "${e.name}" overlap in the file (an overlapping-entry zip bomb?), which is refused`);
      }
    }
    const first = ranges[0];
    const last = ranges[ranges.length - 1];
    if (last && first && cdOffset < last.dataStart + last.compressedSize && cdOffset + cdSize > first.localOffset) {
      throw new FormatError(`${what}: the central directory overlaps the entries' data, which is refused`);
    }
  }

  /** Entry names in directory order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Bytes that inflating every deflated entry allocates (what a loader charges its budget up front). */
  inflatedBytes(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.method === 8) n += e.size;
    return n;
  }

  /** The uncompressed size the directory gives for entry `name` (checked against the data when read). */
  size(name: string): number {
    return this.entries.get(name)?.size ?? 0;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The bytes of entry `name` (a view into the archive for stored entries); CRC-checked. */
  read(name: string, what = 'zip'): Uint8Array {
    const e = this.entries.get(name);
    if (e === undefined) throw new FormatError(`${what}: the archive has no entry "${name}"`);
    const raw = this.bytes.subarray(e.dataStart, e.dataStart + e.compressedSize);
    let out: Uint8Array;
    if (e.method === 0) {
      out = raw;
    } else {
      try {
        out = inflateSync(raw, { out: new Uint8Array(e.size) });
      } catch (err) {
        throw new FormatError(`${what}: entry "${name}" does not inflate (${(err as Error).message})`);
      }
      if (out.length !== e.size) throw new FormatError(`${what}: entry "${name}" inflates to ${out.length} bytes, not ${e.size}`);
    }
    if (crc32(out) !== e.crc) throw new FormatError(`${what}: entry "${name}" fails its CRC-32 check (the file is corrupt)`);
    return out;
  }
}

/** Entry names are only looked up, never written to disk, but a name that would escape a directory marks a hostile file. */
function checkName(name: string, what: string): void {
  const parts = name.split('/');
  if (name.length === 0 || name.startsWith('/') || name.includes('\\') || name.includes('\0') || /^[A-Za-z]:/.test(name) || parts.includes('..')) {
    throw new FormatError(`${what}: entry name ${JSON.stringify(name)} points outside the archive, which is refused`);
  }
}

let CRC_TABLE: Uint32Array | null = null;

/** CRC-32 (IEEE 802.3), as zip stores it. */
export function crc32(data: Uint8Array): number {
  if (CRC_TABLE === null) {
    CRC_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c >>> 0;
    }
  }
  const table = CRC_TABLE;
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
