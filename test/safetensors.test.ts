/** safetensors: PyTorch-made files, every dtype, round trips, the torchlet golden bytes, hostile headers. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { expectClose, loadFixture } from './helpers/fixtures.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const read = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));
const expected = loadFixture<{ dtypes: string[] }>('io_expected');

/** A safetensors file from a header object and a data section. */
function build(header: unknown, data: Uint8Array = new Uint8Array(0), headerLen?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLen ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function expectFormatError(fn: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a FormatError').toBeInstanceOf(torch.FormatError);
  expect((caught as Error).message).toMatch(pattern);
}

describe('loadSafetensors on PyTorch-made files', () => {
  it.each(['lstm', 'gru', 'lstm_proj'])('reads the %s state dict with every value and the metadata', (name) => {
    const { tensors, metadata } = torch.io.loadSafetensors(read(`io_${name}.safetensors`));
    expect(metadata.format).toBe('pt');
    const keys = Object.keys(expected.tensors).filter((k) => k.startsWith(`${name}.sd.`));
    expect(Object.keys(tensors).sort()).toEqual(keys.map((k) => k.slice(`${name}.sd.`.length)).sort());
    for (const k of keys) {
      const t = tensors[k.slice(`${name}.sd.`.length)]!;
      expect(t.dtype).toBe('float32');
      expectClose(t, expected.get(k), { rtol: 0, atol: 0 }, k);
    }
  });

  it('widens F16 and BF16 exactly, rounds F64 to float32 (or keeps it), reads I64 as int64, BOOL as bool, smaller integers as int32', () => {
    const file = torch.io.loadSafetensors(read('io_dtypes.safetensors'));
    const kept = torch.io.loadSafetensors(read('io_dtypes.safetensors'), { keepFloat64: true });
    for (const k of ['f64', 'f32', 'f16', 'bf16', 'i64', 'i32', 'i16', 'i8', 'u8', 'bool']) {
      const want = expected.get(`dtypes.${k}`);
      const got = file.tensors[k]!;
      expect(got.dtype, k).toBe(k.startsWith('f') || k === 'bf16' ? 'float32' : k === 'i64' ? 'int64' : k === 'bool' ? 'bool' : 'int32');
      expect(Array.from(got.contiguousData()), k).toEqual(Array.from(want.contiguousData(), (v) => (got.dtype === 'float32' ? Math.fround(v) : v)));
    }
    expect(kept.tensors.f64!.dtype).toBe('float64');
    expect(Array.from(kept.tensors.f64!.contiguousData())).toEqual(Array.from(expected.get('dtypes.f64').contiguousData()));
    expect(file.metadata.note).toBe('every dtype');
  });
});

describe('saveSafetensors', () => {
  it('writes the bytes PyTorch was checked to load with load_state_dict(strict=True) (io_torchlet_gru.safetensors)', () => {
    const ckpt = torch.io.load(read('io_checkpoint.pt'));
    const bytes = torch.io.saveSafetensors(torch.io.toStateDict(ckpt, 'model'), { written_by: 'torchlet' });
    expect(Buffer.from(bytes).equals(Buffer.from(read('io_torchlet_gru.safetensors')))).toBe(true);
  });

  it('round-trips float32, float64, int32, 0-d, empty and non-contiguous tensors with metadata', () => {
    const a = torch.arange(12).reshape(3, 4);
    const tensors = {
      'w.t': a.t(),
      d: torch.tensor([1.5, -2.25], { dtype: 'float64' }),
      i: torch.tensor([1, -2, 3], { dtype: 'int32' }),
      s: torch.tensor(7),
      e: torch.zeros(0, 3),
      __weird__: torch.ones(1),
    };
    const bytes = torch.io.saveSafetensors(tensors, { epoch: '3' });
    expect((8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))) % 8).toBe(0);
    const back = torch.io.loadSafetensors(bytes, { keepFloat64: true });
    expect(back.metadata).toEqual(Object.assign(Object.create(null), { epoch: '3' }));
    for (const [k, t] of Object.entries(tensors)) {
      expect(back.tensors[k]!.dtype, k).toBe(t.dtype);
      expect([...back.tensors[k]!.shape], k).toEqual([...t.shape]);
      expect(Array.from(back.tensors[k]!.contiguousData()), k).toEqual(Array.from(t.contiguousData()));
    }
  });

  it('reads a Node Buffer that is a view into shared pool memory', () => {
    const bytes = torch.io.saveSafetensors({ a: torch.tensor([1, 2, 3]), b: torch.tensor([4, 5], { dtype: 'int32' }) });
    Buffer.from(new Uint8Array(13)); // move the pool offset
    const buf = Buffer.from(bytes);
    expect(buf.byteOffset).toBeGreaterThan(0);
    const { tensors } = torch.io.loadSafetensors(buf);
    expect([tensors.a!.tolist(), tensors.b!.tolist()]).toEqual([[1, 2, 3], [4, 5]]);
    expect(tensors.a!.storage.length).toBe(3);
  });

  it.each(['F16', 'BF16'] as const)('writes %s rounded exactly as PyTorch rounds (ties to even, subnormals, overflow, NaN)', (dtype) => {
    const src = expected.get('round.src');
    const bytes = torch.io.saveSafetensors({ x: src }, undefined, { dtype });
    expect(bytes.length).toBe(8 + Number(new DataView(bytes.buffer).getBigUint64(0, true)) + 2 * src.numel());
    const back = torch.io.loadSafetensors(bytes).tensors.x!;
    expectClose(back, expected.get(dtype === 'F16' ? 'round.f16' : 'round.bf16'), { rtol: 0, atol: 0 }, dtype);
    // int32 tensors stay I32.
    const ints = torch.io.loadSafetensors(torch.io.saveSafetensors({ i: torch.tensor([1, 2], { dtype: 'int32' }) }, undefined, { dtype })).tensors.i!;
    expect(ints.dtype).toBe('int32');
  });

  it('refuses non-string metadata and reserved names with a ValueError', () => {
    expect(() => torch.io.saveSafetensors({ a: torch.ones(1) }, { n: 3 as unknown as string })).toThrow(torch.ValueError);
    expect(() => torch.io.saveSafetensors({ __metadata__: torch.ones(1) })).toThrow(/cannot be a tensor name/);
    expect(() => torch.io.saveSafetensors({ a: torch.ones(1) }, undefined, { dtype: 'F8' as 'F16' })).toThrow(/dtype must be 'F32', 'F16' or 'BF16'/);
  });

});

describe('loadSafetensors refuses bad files with a FormatError naming the problem', () => {
  const f32 = (n: number): Uint8Array => new Uint8Array(new Float32Array(n).fill(1).buffer);
  const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  it('accepts the well-formed base case', () => {
    expect(torch.io.loadSafetensors(build(ok, f32(2))).tensors.a!.tolist()).toEqual([1, 1]);
  });
  it.each<[string, () => Uint8Array, RegExp]>([
    ['a file of a few bytes', () => new Uint8Array([1, 2, 3]), /file too small \(3 bytes/],
    ['a header length past the end', () => build(ok, f32(2), 5000n), /header length 5000 runs past the end/],
    ['a 2 GB length field', () => build(ok, f32(2), 2n ** 31n), /exceeds the 100000000-byte limit/],
    ['a 2^64-1 length field', () => build(ok, f32(2), 2n ** 64n - 1n), /exceeds/],
    ['a header that is not JSON', () => build('{"a": ', f32(2)), /not valid UTF-8 JSON/],
    ['a header that is not an object', () => build([1, 2], f32(2)), /must be a JSON object/],
    ['an unknown dtype', () => build({ a: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2)), /dtype "F8_E4M3", which torchlet does not read/],
    ['a __proto__ tensor key', () => build('{"__proto__": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}', f32(2)), /"__proto__" key/],
    ['a __proto__ metadata key', () => build('{"__metadata__": {"__proto__": "x"}, "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}', f32(2)), /__metadata__ has a "__proto__"/],
    ['non-string metadata', () => build({ __metadata__: { n: 1 }, ...ok }, f32(2)), /must be a string/],
    ['offsets past the data', () => build({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32(2)), /run past the end of the data/],
    ['overlapping tensors', () => build({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32(3)), /"b" overlaps/],
    ['a gap between tensors', () => build({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(2)), /unused bytes before tensor "a"/],
    ['trailing bytes', () => build(ok, f32(3)), /4 bytes after the last tensor/],
    ['a shape that does not match the offsets', () => build({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32(2)), /needs 12 bytes, but its data_offsets \[0, 8\] span 8/],
    ['a huge shape', () => build({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, f32(2)), /needs .* bytes/],
    ['negative offsets', () => build({ a: { dtype: 'F32', shape: [2], data_offsets: [-8, 0] } }, f32(2)), /invalid data_offsets/],
    ['reversed offsets', () => build({ a: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } }, f32(2)), /end before they begin/],
    ['fractional shape', () => build({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 8] } }, f32(2)), /invalid shape/],
    ['an entry that is not an object', () => build({ a: 3 }, f32(2)), /entry "a" is not an object/],
    ['an int64 value outside int32', () => build({ a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(new BigInt64Array([2n ** 40n]).buffer)), /does not fit in torchlet's int64/],
  ])('%s', (_label, make, pattern) => {
    expectFormatError(() => torch.io.loadSafetensors(make()), pattern);
  });
});
