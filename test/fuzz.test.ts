/**
 * Fuzzing every loader with mutated files: bit flips, interesting bytes, truncations,
 * insertions, deletions and splices of PyTorch-made files, a fixed seed and a fixed number of
 * cases. Each load must either succeed or throw a FormatError: never another error, a crash,
 * a hang or a huge allocation. The pickle inside a .pt file is also mutated and re-zipped with
 * a valid CRC, so the pickle reader itself is fuzzed (the zip's CRC would catch plain flips).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync, zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { concat } from './helpers/arrays.js';
import { toZip64 } from './helpers/pickles.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const read = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));

/** mulberry32: a tiny seeded generator, so every run tries the same cases. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = [0x00, 0xff, 0x7f, 0x80, 0x01, 0x2e, 0x28, 0x52, 0x63, 0x71, 0x7b, 0x7d, 0x22, 0x5d];

/** One random mutation of `src` (a copy); `donor` supplies spliced bytes. */
function mutate(src: Uint8Array, donor: Uint8Array, r: () => number): Uint8Array {
  const at = (n: number) => Math.floor(r() * n);
  const kind = at(7);
  const b = src.slice();
  switch (kind) {
    case 0: // bit flips
      for (let i = 0, n = 1 + at(8); i < n; i++) {
        const p = at(b.length);
        b[p] = b[p]! ^ (1 << at(8));
      }
      return b;
    case 1: // interesting bytes
      for (let i = 0, n = 1 + at(4); i < n; i++) b[at(b.length)] = INTERESTING[at(INTERESTING.length)]!;
      return b;
    case 2: // truncation
      return b.subarray(0, at(b.length));
    case 3: { // insertion of random bytes
      const p = at(b.length);
      const ins = Uint8Array.from({ length: 1 + at(16) }, () => at(256));
      return concat(Uint8Array, [b.subarray(0, p), ins, b.subarray(p)]);
    }
    case 4: { // deletion
      const p = at(b.length);
      return concat(Uint8Array, [b.subarray(0, p), b.subarray(Math.min(b.length, p + 1 + at(32)))]);
    }
    case 5: { // splice from the donor
      const p = at(b.length);
      const q = at(donor.length);
      const n = 1 + at(64);
      return concat(Uint8Array, [b.subarray(0, p), donor.subarray(q, q + n), b.subarray(p)]);
    }
    default: { // overwrite a 4- or 8-byte field with a large little-endian length
      if (b.length < 4) return b; // a stacked truncation left no field to overwrite
      const p = at(Math.max(1, b.length - 8));
      const v = [0xffffffff, 0x7fffffff, 0x80000000, b.length + 1, 2 ** 31][at(5)]!;
      new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(p, v >>> 0, true);
      return b;
    }
  }
}


/**
 * Cases per test: the suite's counts, times 10 with TORCHLET_FUZZ_FULL=1 (issue 18 asks for "a few
 * thousand each"; the suite runs 2,000 per loader, the full run 20,000).
 */
const SCALE = process.env.TORCHLET_FUZZ_FULL === '1' ? 10 : 1;
/** The slowest single case so far (ms), printed at the end; not asserted (no timing assertions in tests). */
let slowest = 0;
afterAll(() => console.info(`fuzz: slowest single case ${slowest.toFixed(1)} ms`));

/** Run `load`; count outcomes; fail on anything but success or a typed loader error (FormatError, or SizeError past maxBytes). */
function expectOnlyFormatErrors(cases: Iterable<Uint8Array>, load: (b: Uint8Array) => unknown): { ok: number; refused: number } {
  const tally = { ok: 0, refused: 0 };
  for (const bytes of cases) {
    const t0 = performance.now();
    try {
      load(bytes);
      tally.ok++;
    } catch (e) {
      if (!(e instanceof torch.FormatError) && !(e instanceof torch.SizeError)) {
        expect.fail(`a ${bytes.length}-byte mutated file threw ${String(e)} (not a FormatError)\n${(e as Error).stack}`);
      }
      tally.refused++;
    }
    slowest = Math.max(slowest, performance.now() - t0);
  }
  return tally;
}

function* mutations(files: Uint8Array[], n: number, seed: number): Generator<Uint8Array> {
  const r = rng(seed);
  for (let i = 0; i < n; i++) {
    const src = files[i % files.length]!;
    const donor = files[(i + 1) % files.length]!;
    let b = mutate(src, donor, r);
    if (r() < 0.3) b = mutate(b, donor, r); // sometimes stack two mutations
    yield b;
  }
}

describe('fuzz: mutated files give success or a typed error (FormatError, SizeError), nothing else', () => {
  it(`loadSafetensors (${2000 * SCALE} cases)`, () => {
    const files = ['io_lstm.safetensors', 'io_dtypes.safetensors', 'io_torchlet_gru.safetensors'].map(read);
    const t = expectOnlyFormatErrors(mutations(files, 2000 * SCALE, 1), (b) => torch.io.loadSafetensors(b));
    expect(t.refused).toBeGreaterThan(300);
  });

  it(`torch.load on whole .pt files (${2000 * SCALE} cases)`, () => {
    const files = [...['io_lstm.pt', 'io_dtypes.pt', 'io_evil.pt', 'io_checkpoint.pt', 'io_lstm_zip64.pt'].map(read), toZip64(read('io_dtypes.pt'))];
    const t = expectOnlyFormatErrors(mutations(files, 2000 * SCALE, 2), (b) => torch.load(b));
    expect(t.refused).toBeGreaterThan(300);
  });

  it(`torch.load on legacy-format files, no checksum in the way (${2000 * SCALE} cases)`, () => {
    const files = ['io_lstm_legacy.pt', 'io_dtypes_legacy.pt', 'io_evil_legacy.pt'].map(read);
    const t = expectOnlyFormatErrors(mutations(files, 2000 * SCALE, 5), (b) => torch.load(b));
    expect(t.refused).toBeGreaterThan(300);
    expect(t.ok).toBeGreaterThan(10);
  });

  it(`torch.load with the pickle mutated and re-zipped (${2000 * SCALE} cases)`, () => {
    const names = ['io_lstm.pt', 'io_dtypes.pt', 'io_evil.pt', 'io_checkpoint.pt'];
    const archives = names.map((n) => unzipSync(read(n)));
    const pickles = archives.map((a) => Object.entries(a).find(([k]) => k.endsWith('/data.pkl'))![1]);
    const r = rng(3);
    const cases = function* (): Generator<Uint8Array> {
      for (let i = 0; i < 2000 * SCALE; i++) {
        const k = i % archives.length;
        const files: Record<string, Uint8Array> = { ...archives[k]! };
        const key = Object.keys(files).find((f) => f.endsWith('/data.pkl'))!;
        let p = mutate(pickles[k]!, pickles[(k + 1) % pickles.length]!, r);
        if (r() < 0.3) p = mutate(p, pickles[k]!, r);
        files[key] = p;
        yield zipSync(files, { level: 0 });
      }
    };
    const t = expectOnlyFormatErrors(cases(), (b) => torch.load(b));
    expect(t.refused).toBeGreaterThan(500);
    expect(t.ok).toBeGreaterThan(10);
  });

  it(`safetensors headers mutated as text (${400 * SCALE} cases)`, () => {
    const src = read('io_dtypes.safetensors');
    const n = Number(new DataView(src.buffer, src.byteOffset).getBigUint64(0, true));
    const header = src.subarray(8, 8 + n);
    const data = src.subarray(8 + n);
    const r = rng(4);
    const cases = function* (): Generator<Uint8Array> {
      for (let i = 0; i < 400 * SCALE; i++) {
        const h = mutate(header, new TextEncoder().encode('{"__proto__":{"dtype":"F32","shape":[1e300,-1],"data_offsets":[0,99999999999]}}'), r);
        const out = new Uint8Array(8 + h.length + data.length);
        new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
        out.set(h, 8);
        out.set(data, 8 + h.length);
        yield out;
      }
    };
    expectOnlyFormatErrors(cases(), (b) => torch.io.loadSafetensors(b));
  });
});
