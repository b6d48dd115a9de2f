/**
 * Issue 18, files: the loaders refuse overlapping zip entries and stay within a memory budget
 * (`maxBytes`); pickle text decodes as Python's does; the pickle writer memoises shared and
 * cyclic structure; atomic writes take any legal name, clean up after killed writers and report
 * file-system errors as typed errors.
 *
 * The kill -9 test kills 3 writers here; TORCHLET_RELIABILITY_FULL=1 kills 24 (the 23 and one).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { thrown } from './helpers/errors.js';
import { crc32 } from '../src/io/zip.js';
import { loadFile, loadSafetensorsFile, saveFile, saveSafetensorsFile, writeFileAtomic } from '../src/node.js';
import { concat } from './helpers/arrays.js';
import { int, pk, str } from './helpers/pickles.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const read = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));
const dir = mkdtempSync(join(tmpdir(), 'torchlet-reliability-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FULL = process.env.TORCHLET_RELIABILITY_FULL === '1';

/** A pickle of a list of `n` float tensors, tensor i on storage key `i` of `numel` elements. */
function tensorListPickle(n: number, numel: number): Uint8Array {
  const parts: (number | string | Uint8Array)[] = [0x80, 2, 0x5d, 0x28];
  for (let i = 0; i < n; i++) {
    parts.push(
      'ctorch._utils\n_rebuild_tensor_v2\n', 0x28,
      0x28, str('storage'), 'ctorch\nFloatStorage\n', str(String(i)), str('cpu'), int(numel), 0x74, 0x51,
      int(0), 0x28, int(numel), 0x74, 0x28, int(1), 0x74, 0x89, 'ccollections\nOrderedDict\n', 0x29, 0x52,
      0x74, 0x52,
    );
  }
  parts.push(0x65, 0x2e);
  return pk(...parts);
}

interface RawEntry {
  name: string;
  method: 0 | 8;
  data: Uint8Array;
  size: number;
  crc: number;
}

/**
 * A zip written by hand: one local header per distinct blob, and a central directory whose
 * entries may point several names at one local header (`at[i]`: the blob entry i uses).
 */
function rawZip(blobs: RawEntry[], central: { name: string; blob: number }[]): Uint8Array {
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  const offsets: number[] = [];
  let at = 0;
  for (const b of blobs) {
    const name = enc.encode(b.name);
    const h = new DataView(new ArrayBuffer(30));
    h.setUint32(0, 0x04034b50, true);
    h.setUint16(4, 20, true);
    h.setUint16(8, b.method, true);
    h.setUint32(14, b.crc, true);
    h.setUint32(18, b.data.length, true);
    h.setUint32(22, b.size, true);
    h.setUint16(26, name.length, true);
    offsets.push(at);
    chunks.push(new Uint8Array(h.buffer), name, b.data);
    at += 30 + name.length + b.data.length;
  }
  const cdStart = at;
  for (const c of central) {
    const b = blobs[c.blob]!;
    const name = enc.encode(c.name);
    const h = new DataView(new ArrayBuffer(46));
    h.setUint32(0, 0x02014b50, true);
    h.setUint16(4, 20, true);
    h.setUint16(6, 20, true);
    h.setUint16(10, b.method, true);
    h.setUint32(16, b.crc, true);
    h.setUint32(20, b.data.length, true);
    h.setUint32(24, b.size, true);
    h.setUint16(28, name.length, true);
    h.setUint32(42, offsets[c.blob]!, true);
    chunks.push(new Uint8Array(h.buffer), name);
    at += 46 + name.length;
  }
  const e = new DataView(new ArrayBuffer(22));
  e.setUint32(0, 0x06054b50, true);
  e.setUint16(8, central.length, true);
  e.setUint16(10, central.length, true);
  e.setUint32(12, at - cdStart, true);
  e.setUint32(16, cdStart, true);
  chunks.push(new Uint8Array(e.buffer));
  return concat(Uint8Array, chunks);
}

const stored = (name: string, data: Uint8Array): RawEntry => ({ name, method: 0, data, size: data.length, crc: crc32(data) });

/** 8 MiB of zeros, deflated (about 8 KB: deflate's ~1000:1 limit, so the per-entry ratio check passes). */
const ZEROS = 8 * 1024 * 1024;
const zerosDeflated = deflateSync(new Uint8Array(ZEROS), { level: 9 });
const zerosCrc = crc32(new Uint8Array(ZEROS));
const zerosEntry = (name: string): RawEntry => ({ name, method: 8, data: zerosDeflated, size: ZEROS, crc: zerosCrc });

const sizeError = (fn: () => unknown): torch.SizeError => thrown(fn, torch.SizeError);

describe('loaders: zip bombs and the memory budget', () => {
  it("the issue's overlapping-entry bomb (1,000 storages on one deflated stream) is refused before inflating anything", () => {
    const n = 1000;
    const pkl = tensorListPickle(n, ZEROS / 4);
    const file = rawZip(
      [stored('archive/data.pkl', pkl), stored('archive/version', new TextEncoder().encode('3\n')), zerosEntry('archive/data/0')],
      [
        { name: 'archive/data.pkl', blob: 0 },
        { name: 'archive/version', blob: 1 },
        ...Array.from({ length: n }, (_, i) => ({ name: `archive/data/${i}`, blob: 2 })),
      ],
    );
    expect(file.length).toBeLessThan(300_000); // a small file that claimed 8 GiB
    expect(() => torch.load(file)).toThrow(torch.FormatError);
    expect(() => torch.load(file)).toThrow(/overlap/);
  });

  it('distinct entries that decode past the budget: a SizeError before allocating, saying how to raise maxBytes', () => {
    // 160 storages of 8 MiB each (1.25 GiB) from a ~1.3 MB file: past the default max(1 GiB, 20 x size).
    const n = 160;
    const blobs = [stored('archive/data.pkl', tensorListPickle(n, ZEROS / 4)), stored('archive/version', new TextEncoder().encode('3\n'))];
    for (let i = 0; i < n; i++) blobs.push(zerosEntry(`archive/data/${i}`));
    const file = rawZip(blobs, blobs.map((b, i) => ({ name: b.name, blob: i })));
    const e = sizeError(() => torch.load(file));
    expect(e.message).toMatch(/can't allocate memory: you tried to allocate/);
    expect(e.message).toMatch(/maxBytes = 1073741824 bytes \(1\.0 GiB\)/);
    expect(e.message).toMatch(/torch\.load\(bytes, \{ maxBytes: \d+ \}\)/);
    // Charged before inflating anything: the deflated entries' total.
    expect(e.bytes).toBe(n * ZEROS);
    expect(e.message).toMatch(/for inflating the deflated entries/);
    // Stored entries are charged storage by storage, each before it is decoded.
    const pt = read('io_lstm.pt');
    const lowered = sizeError(() => torch.load(pt, { maxBytes: 1000 }));
    expect(lowered.message).toMatch(/for storage \d+ \(\d+ elements of FloatStorage\)/);
  });

  it('maxBytes on every loader: too small refuses, large enough loads; its value is checked', () => {
    const pt = read('io_lstm.pt');
    const legacy = read('io_lstm_legacy.pt');
    const st = read('io_lstm.safetensors');
    for (const [name, load] of [
      ['zip', (o?: { maxBytes?: number }) => torch.load(pt, o)],
      ['legacy', (o?: { maxBytes?: number }) => torch.load(legacy, o)],
      ['safetensors', (o?: { maxBytes?: number }) => torch.io.loadSafetensors(st, o)],
    ] as const) {
      expect(sizeError(() => load({ maxBytes: 100 })).message, name).toMatch(/maxBytes = 100 bytes/);
      expect(() => load({ maxBytes: 10_000_000 }), name).not.toThrow();
      expect(() => load({ maxBytes: -1 }), name).toThrow(torch.ValueError);
      expect(() => load({ maxBytes: '1e9' as unknown as number }), name).toThrow(TypeError);
    }
    // The file helpers pass it on.
    const p = join(dir, 'budget.safetensors');
    writeFileSync(p, st);
    expect(() => loadSafetensorsFile(p, { maxBytes: 100 })).toThrow(torch.SizeError);
    const q = join(dir, 'budget.pt');
    writeFileSync(q, pt);
    expect(() => loadFile(q, { maxBytes: 100 })).toThrow(torch.SizeError);
  });
});

describe('pickle text as Python decodes it', () => {
  const pickleOf = (utf8: number[]): Uint8Array => {
    const b = new Uint8Array(utf8);
    const n = new Uint8Array(4);
    new DataView(n.buffer).setUint32(0, b.length, true);
    return pk(0x80, 2, 0x58, n, b, 0x2e);
  };

  it('invalid UTF-8 is refused with Python\'s message; encoded surrogates load as lone surrogates (surrogatepass)', () => {
    // Through a zip checkpoint whose data.pkl is the pickle.
    const zipOf = (p: Uint8Array) => rawZip([stored('archive/data.pkl', p), stored('archive/version', new TextEncoder().encode('3\n'))], [{ name: 'archive/data.pkl', blob: 0 }, { name: 'archive/version', blob: 1 }]);
    expect(() => torch.load(zipOf(pickleOf([0x61, 0xff])))).toThrow(/can't decode byte 0xff in position 1: invalid start byte/);
    expect(() => torch.load(zipOf(pickleOf([0xe2, 0x28, 0xa1])))).toThrow(/invalid continuation byte/);
    expect(() => torch.load(zipOf(pickleOf([0xc3])))).toThrow(/unexpected end of data/);
    expect(torch.load(zipOf(pickleOf([0x61, 0xed, 0xa0, 0x80, 0x62])))).toBe('a\ud800b');
    expect(torch.load(zipOf(pickleOf([0xf0, 0x9f, 0x98, 0x80])))).toBe('😀');
  });

  it('strings with lone surrogates are written as Python writes them and load back unchanged', () => {
    const s = 'x\udc00y\ud83d\ude00\ud800';
    expect(torch.load(torch.save({ [s]: s }))).toEqual({ [s]: s });
  });
});

describe('the pickle writer memoises shared and cyclic structure', () => {
  /** The pickle: l(0) = [], l(i+1) = (l(i), l(i)), `levels` deep (426 bytes at 60). */
  const doubling = (levels: number): Uint8Array => {
    const ops: number[] = [0x80, 2, 0x5d, 0x71, 0];
    for (let i = 0; i < levels; i++) ops.push(0x68, i, 0x68, i, 0x86, 0x71, i + 1);
    ops.push(0x2e);
    return new Uint8Array(ops);
  };
  const zipOf = (p: Uint8Array) => rawZip([stored('archive/data.pkl', p), stored('archive/version', new TextEncoder().encode('3\n'))], [{ name: 'archive/data.pkl', blob: 0 }, { name: 'archive/version', blob: 1 }]);

  it('60 levels of (l, l) load and save in linear size (2^60 leaves if written out), sharing intact', () => {
    const v = torch.load(zipOf(doubling(60))) as torch.io.PickleValue[];
    expect(v[0]).toBe(v[1]);
    const bytes = torch.save(v);
    expect(bytes.length).toBeLessThan(2000);
    const back = torch.load(bytes) as torch.io.PickleValue[];
    let a: torch.io.PickleValue = back;
    for (let i = 0; i < 60; i++) {
      const l = a as torch.io.PickleValue[];
      expect(l[0]).toBe(l[1]);
      a = l[0]!;
    }
    expect(a).toEqual([]);
  });

  it('cycles through lists and dicts, and one tensor saved twice, come back as one object (as PyTorch loads them)', () => {
    const l: torch.io.PickleValue[] = [1];
    l.push(l);
    const d: torch.io.PickleDict = { l };
    d.self = d;
    const t = torch.randn(3);
    const back = torch.load(torch.save({ d, a: t, b: [t], raw: new Uint8Array([1]) })) as torch.io.PickleDict;
    const bd = back.d as torch.io.PickleDict;
    expect(bd.self).toBe(bd);
    const bl = bd.l as torch.io.PickleValue[];
    expect(bl[1]).toBe(bl);
    expect((back.b as torch.io.PickleValue[])[0]).toBe(back.a);
    expect((back.a as torch.Tensor).tolist()).toEqual(t.tolist());
  });
});

describe('atomic writes', () => {
  const temps = (d: string): string[] => readdirSync(d).filter((f) => f.startsWith('.torchlet-') && f.endsWith('.tmp'));

  it('a 240-character name (and a 255-character one, the usual maximum) saves: the temporary name is short and fixed-length', () => {
    for (const n of [240, 255]) {
      const p = join(dir, `${'n'.repeat(n - 3)}.pt`);
      saveFile(p, { w: torch.ones(2) });
      expect((loadFile(p) as { w: torch.Tensor }).w.tolist()).toEqual([1, 1]);
      saveSafetensorsFile(p, { w: torch.ones(3) });
      expect(loadSafetensorsFile(p).tensors.w!.shape).toEqual([3]);
    }
    expect(temps(dir)).toEqual([]);
  });

  it('file-system errors are a RuntimeError with the path and the cause; nothing is left behind', () => {
    const missing = join(dir, 'no-such-folder', 'x.pt');
    try {
      saveFile(missing, { a: 1 });
      expect.fail('saved into a missing folder');
    } catch (e) {
      expect(e).toBeInstanceOf(torch.RuntimeError);
      expect((e as Error).message).toBe(`saveFile: Parent directory ${dirname(missing)} does not exist.`);
      expect(e).toMatchObject({ path: missing, code: 'ENOENT' });
      expect((e as Error).cause).toMatchObject({ code: 'ENOENT' });
    }
    // Renaming over a directory fails after the temporary file was written: it is removed.
    const target = join(dir, 'a-directory');
    mkdirSync(target);
    expect(() => writeFileAtomic(target, new Uint8Array([1, 2, 3]))).toThrow(torch.RuntimeError);
    expect(() => writeFileAtomic(target, new Uint8Array([1]))).toThrow(target);
    expect(temps(dir)).toEqual([]);
    // Reading a missing file: Python's wording, typed.
    expect(() => loadFile(join(dir, 'nope.pt'))).toThrow(/No such file or directory: '.*nope\.pt'/);
    expect(() => loadFile(join(dir, 'nope.pt'))).toThrow(torch.RuntimeError);
  });

  // Three writers at a time (their start-up, seconds under tsx, is paid once per round), killed together.
  const ROUNDS = FULL ? 8 : 1;
  it(`kill -9 mid-write (${ROUNDS * 3} writers killed, 3 at a time), then one save: the file is whole, the killed writers' temporary files are gone`, async () => {
    const sub = mkdtempSync(join(dir, 'kill-'));
    const target = join(sub, 'big.safetensors');
    const child = join(dirname(fileURLToPath(import.meta.url)), 'reliability-writer.child.ts');
    const tsx = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs');
    let left = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const writers = Array.from({ length: 3 }, () => spawn(process.execPath, ['--import', tsx, child, target], { stdio: ['ignore', 'pipe', 'inherit'] }));
      // Each has completed a write (so the target exists) and is busy with the next ones.
      await Promise.all(
        writers.map(
          (p) =>
            new Promise<void>((resolve, reject) => {
              p.stdout!.once('data', () => resolve());
              p.once('exit', (code) => reject(new Error(`writer exited early (${code})`)));
            }),
        ),
      );
      // Killed together (a survivor would clean up after the others at its next save), at a
      // moment that varies; a write of 16 MiB takes most of each writer's loop.
      await new Promise((r) => setTimeout(r, 5 + ((round * 37) % 40)));
      const exited = writers.map((p) => new Promise((r) => p.once('exit', r)));
      for (const p of writers) p.kill('SIGKILL');
      await Promise.all(exited);
      left = Math.max(left, temps(sub).length);
      // Whatever moment the kills hit, the target is a whole file from some completed write.
      expect(loadSafetensorsFile(target).tensors.w!.shape).toEqual([4 * 1024 * 1024]);
    }
    expect(left, 'the kills left temporary files to clean up').toBeGreaterThan(0);
    saveSafetensorsFile(target, { w: torch.ones(5) });
    expect(loadSafetensorsFile(target).tensors.w!.tolist()).toEqual([1, 1, 1, 1, 1]);
    expect(temps(sub)).toEqual([]);
  }, 300_000);
});
