/** torch.load: PyTorch-made .pt files (state dicts, a training checkpoint, every dtype, views) and hostile files. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { thrown } from './helpers/errors.js';
import { torchletFiles } from '../tools/fixtures/io-torchlet.js';
import { expectClose, loadFixture } from './helpers/fixtures.js';
import { checkpointZip, int, pk, str, tensorPickle, toZip64 } from './helpers/pickles.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const read = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));
const expected = loadFixture<Record<string, { keys: string[] }>>('io_expected');
const f32 = (...v: number[]): Uint8Array => new Uint8Array(new Float32Array(v).buffer);

const formatError = (fn: () => unknown): torch.FormatError => thrown(fn, torch.FormatError);

describe('torch.load reads PyTorch-made checkpoints', () => {
  it.each(['lstm', 'gru', 'lstm_proj'])('torch.save(%s.state_dict()) loads as a state dict in PyTorch\'s key order', (name) => {
    const sd = torch.io.toStateDict(torch.load(read(`io_${name}.pt`)));
    expect(Object.keys(sd)).toEqual(expected.cases[name]!.keys);
    for (const [k, t] of Object.entries(sd)) expectClose(t, expected.get(`${name}.sd.${k}`), { rtol: 0, atol: 0 }, k);
  });

  it('zip variants load like the plain checkpoint: zip64 directory records, and deflated entries with zip64 local extras (Python zipfile)', () => {
    const plain = torch.io.toStateDict(torch.load(read('io_lstm.pt')));
    const z64 = toZip64(read('io_lstm.pt'));
    expect(new DataView(z64.buffer).getUint32(z64.length - 22 - 20, true)).toBe(0x07064b50); // the zip64 locator is there
    const deflated = read('io_lstm_zip64.pt');
    expect(new DataView(deflated.buffer, deflated.byteOffset).getUint16(8, true)).toBe(8); // method 8: deflate
    for (const bytes of [z64, deflated]) {
      const sd = torch.io.toStateDict(torch.load(bytes));
      expect(Object.keys(sd)).toEqual(Object.keys(plain));
      for (const [k, t] of Object.entries(sd)) expect(Array.from(t.contiguousData()), k).toEqual(Array.from(plain[k]!.contiguousData()));
    }
  });

  it('a training checkpoint comes back as plain objects, numbers, strings, arrays, bytes and tensors', () => {
    const ckpt = torch.load(read('io_checkpoint.pt'));
    expect(ckpt).toMatchObject({
      epoch: 3, name: 'gru', lr: 0.01, history: [1.5, 2.5], pair: [1, 'a'], flag: true, nothing: null,
      big: 2 ** 40, neg: -7, size: [2, 3], dtype: 'torch.float16',
    });
    const c = ckpt as torch.io.PickleDict;
    expect(Array.from(c.raw as Uint8Array)).toEqual([0x61, 0x62, 0, 0xff]);
    const opt = c.optimizer as torch.io.PickleDict;
    const state = opt.state as torch.io.PickleDict;
    // Python int dict keys come back as strings.
    expect(Object.keys(state)).toEqual(Array.from({ length: 24 }, (_, i) => String(i)));
    expectClose((state['0'] as torch.io.PickleDict).exp_avg as torch.Tensor, expected.get('ckpt.exp_avg0'), { rtol: 0, atol: 0 }, 'exp_avg');
    expect((opt.param_groups as torch.io.PickleDict[])[0]).toMatchObject({ lr: 0.01, amsgrad: false, betas: [0.9, 0.999] });
    const sd = torch.io.toStateDict(ckpt, 'model');
    for (const [k, t] of Object.entries(sd)) expectClose(t, expected.get(`ckpt.model.${k}`), { rtol: 0, atol: 0 }, k);
  });

  it('toStateDict names what is wrong', () => {
    const ckpt = torch.load(read('io_checkpoint.pt'));
    expect(() => torch.io.toStateDict(ckpt)).toThrow(/entry "model" is a dict, not a Tensor.*toStateDict\(ckpt, 'model'\)/);
    expect(() => torch.io.toStateDict(ckpt, 'state_dict')).toThrow(/has no key "state_dict" \(keys: "model", "epoch"/);
    expect(() => torch.io.toStateDict(ckpt, 'epoch')).toThrow(torch.ValueError);
  });

  it('reads every dtype: floats as float32 (float64 kept on request), int64 as int64, bool as bool, smaller integers as int32', () => {
    const v = torch.load(read('io_dtypes.pt')) as torch.io.PickleDict;
    const kept = torch.load(read('io_dtypes.pt'), { keepFloat64: true }) as torch.io.PickleDict;
    for (const k of ['f64', 'f32', 'f16', 'bf16', 'i64', 'i32', 'i16', 'i8', 'u8', 'bool']) {
      const t = v[k] as torch.Tensor;
      expect(t.dtype, k).toBe(k.startsWith('f') || k === 'bf16' ? 'float32' : k === 'i64' ? 'int64' : k === 'bool' ? 'bool' : 'int32');
      const want = Array.from(expected.get(`dtypes.${k}`).contiguousData(), (x) => (t.dtype === 'float32' ? Math.fround(x) : x));
      expect(Array.from(t.contiguousData()), k).toEqual(want);
    }
    expect((kept.f64 as torch.Tensor).dtype).toBe('float64');
    expect(Array.from((kept.f64 as torch.Tensor).contiguousData())).toEqual(Array.from(expected.get('dtypes.f64').contiguousData()));
  });

  it('the legacy (pre-1.6, non-zip) format: the LSTM state dict and every dtype', () => {
    const sd = torch.io.toStateDict(torch.load(read('io_lstm_legacy.pt')));
    expect(Object.keys(sd)).toEqual(expected.cases.lstm!.keys);
    for (const [k, t] of Object.entries(sd)) expectClose(t, expected.get(`lstm.sd.${k}`), { rtol: 0, atol: 0 }, k);
    const v = torch.load(read('io_dtypes_legacy.pt')) as torch.io.PickleDict;
    for (const k of ['f64', 'f16', 'bf16', 'i64', 'i8', 'u8', 'bool']) {
      const t = v[k] as torch.Tensor;
      expect(Array.from(t.contiguousData()), k).toEqual(Array.from(expected.get(`dtypes.${k}`).contiguousData(), (x) => (t.dtype === 'float32' ? Math.fround(x) : x)));
    }
  });

  it.each(['io_dtypes.pt', 'io_dtypes_legacy.pt'])('%s keeps saved views: non-contiguous strides, storage offsets, and shared storages', (name) => {
    const v = torch.load(read(name)) as torch.io.PickleDict;
    const [tr, st, row, whole] = ['transposed', 'strided', 'row', 'whole'].map((k) => v[k] as torch.Tensor);
    expect([tr!.shape, tr!.strides, tr!.offset]).toEqual([[4, 5], [1, 4], 0]);
    expect([st!.shape, st!.strides, st!.offset]).toEqual([[4, 2], [4, 2], 4]);
    expect(row!.offset).toBe(8);
    expect(tr!.storage).toBe(whole!.storage);
    expect(row!.storage).toBe(whole!.storage);
    expect([(v.empty as torch.Tensor).shape, (v.scalar as torch.Tensor).shape, (v.scalar as torch.Tensor).item()]).toEqual([[0, 3], [], 2.5]);
    for (const k of ['transposed', 'strided', 'row', 'whole']) {
      expect(Array.from((v[k] as torch.Tensor).contiguousData()), k).toEqual(Array.from(expected.get(`dtypes.${k}`).contiguousData(), Math.fround));
    }
  });

  it('a storage saved on a GPU loads to the CPU (map_location="cpu")', () => {
    const p = tensorPickle({ numel: 2, size: [2], stride: [1] });
    const cuda = new TextDecoder('latin1').decode(p).replace('X\x03\x00\x00\x00cpu', 'X\x06\x00\x00\x00cuda:0');
    expect(cuda).toContain('cuda:0');
    const bytes = Uint8Array.from(cuda, (c) => c.charCodeAt(0));
    expect((torch.load(checkpointZip(bytes, { '0': f32(5, 6) })) as torch.Tensor).tolist()).toEqual([5, 6]);
  });

  it('a hand-made minimal checkpoint loads (the test helpers build valid files)', () => {
    const t = torch.load(checkpointZip(tensorPickle({ numel: 3, size: [3], stride: [1] }), { '0': f32(1, 2, 3) }));
    expect((t as torch.Tensor).tolist()).toEqual([1, 2, 3]);
  });
});

describe('torch.load refuses hostile and broken files with a FormatError naming the problem', () => {
  it.each(['io_evil.pt', 'io_evil_legacy.pt'])('%s: a PyTorch-made pickle that calls os.system is refused before anything runs', (name) => {
    const e = formatError(() => torch.load(read(name)));
    expect(e.message).toMatch(/Unsupported global: posix\.system\. torchlet's torch\.load only loads tensors and plain containers \(like PyTorch's weights_only=True\)/);
  });

  it.each<[string, () => Uint8Array, RegExp]>([
    ['os.system by GLOBAL', () => checkpointZip(pk(0x80, 2, 'cos\nsystem\n', str('ls'), 0x85, 0x52, 0x2e)), /Unsupported global: os\.system/],
    ['a whole model pickled by torch.save(model)', () => checkpointZip(pk(0x80, 2, 'ctorch.nn.modules.linear\nLinear\n', 0x29, 0x81, 0x2e)), /Unsupported global: torch\.nn\.modules\.linear\.Linear\..*save its weights instead: torch\.save\(model\.state_dict\(\), f\)/],
    ['a NumPy scalar', () => checkpointZip(pk(0x80, 2, 'cnumpy.core.multiarray\nscalar\n', 0x29, 0x52, 0x2e)), /Unsupported global: numpy\.core\.multiarray\.scalar\..*holds NumPy values/],
    ['a user class from __main__', () => checkpointZip(pk(0x80, 2, 'c__main__\nNet\n', 0x29, 0x81, 0x2e)), /Unsupported global: __main__\.Net\..*torch\.save\(model\)/],
    ['builtins.eval by STACK_GLOBAL', () => checkpointZip(pk(0x80, 4, 0x8c, 8, 'builtins', 0x8c, 4, 'eval', 0x93, str('1'), 0x85, 0x52, 0x2e)), /Unsupported global: builtins\.eval/],
    ['the INST opcode', () => checkpointZip(pk(0x28, 'ios\nsystem\n', 0x2e)), /opcode INST .* is refused/],
    ['an unknown opcode', () => checkpointZip(pk(0x80, 2, 0xff, 0x2e)), /unknown opcode 0xff/],
    ['a pickle with no STOP', () => checkpointZip(pk(0x80, 2, 0x4e)), /truncated/],
    ['a huge memo index read before written', () => checkpointZip(pk(0x80, 2, 0x6a, 0xff, 0xff, 0xff, 0xff, 0x2e)), /memo entry 4294967295 is read before it is written/],
    ['a 2 GB string length', () => checkpointZip(pk(0x80, 2, 0x58, 0xff, 0xff, 0xff, 0x7f, 'ab', 0x2e)), /BINUNICODE needs 2147483647 bytes/],
    ['a 2^64 bytes length', () => checkpointZip(pk(0x80, 4, 0x8e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x2e)), /past the end of the pickle/],
    ['REDUCE on a plain value', () => checkpointZip(pk(0x80, 2, 0x4e, 0x29, 0x52, 0x2e)), /not an allowed global/],
    ['a storage class left as data', () => checkpointZip(pk(0x80, 2, 'ctorch\nFloatStorage\n', 0x2e)), /contains the storage class torch\.FloatStorage/],
    ['a storage size past the data', () => checkpointZip(tensorPickle({ numel: 1000, size: [3], stride: [1] }), { '0': f32(1, 2, 3) }), /declares 1000 elements of FloatStorage \(4000 bytes\), but archive\/data\/0 holds 12 bytes/],
    ['a view past its storage', () => checkpointZip(tensorPickle({ numel: 3, offset: 1, size: [3], stride: [1] }), { '0': f32(1, 2, 3) }), /reaches past its storage of 3 elements/],
    ['a missing storage entry', () => checkpointZip(tensorPickle({ numel: 3, size: [3], stride: [1] })), /no "archive\/data\/0" in the archive/],
    ['a storage key with a path in it', () => checkpointZip(tensorPickle({ key: '../0', numel: 3, size: [3], stride: [1] }), { '0': f32(1, 2, 3) }), /storage key "..\/0" is invalid/],
    ['an unknown storage class', () => checkpointZip(tensorPickle({ storage: 'ComplexFloatStorage', numel: 3, size: [3], stride: [1] }), { '0': f32(1, 2, 3) }), /Unsupported global: torch\.ComplexFloatStorage/],
    ['a zip entry path outside the archive', () => checkpointZip(pk(0x80, 2, 0x4e, 0x2e), {}, { '../x': new Uint8Array(1) }), /entry name "..\/x" points outside the archive/],
    ['a zip with no data.pkl', () => zipSync({ 'archive/model.pkl': pk(0x80, 2, 0x4e, 0x2e) }, { level: 0 }), /expected one "<name>\/data\.pkl" in the archive, found 0/],
    ['a zip with two data.pkl', () => zipSync({ 'a/data.pkl': pk(0x80, 2, 0x4e, 0x2e), 'b/data.pkl': pk(0x80, 2, 0x4e, 0x2e) }, { level: 0 }), /found 2/],
    ['a deflated entry that does not inflate', () => {
      const z = zipSync({ 'archive/data.pkl': pk(0x80, 2, new Uint8Array(4000).fill(0x4e), 0x2e) }, { level: 9 });
      z[30 + 16 + 2] = z[30 + 16 + 2]! ^ 0xff; // inside the compressed data, after the 30-byte header and the name
      return z;
    }, /does not inflate|CRC-32/],
    ['a file of a few bytes', () => new Uint8Array([0x50, 0x4b, 3]), /not a PyTorch checkpoint/],
    ['a TorchScript archive', () => read('io_torchscript.pt'), /TorchScript archive \(torch\.jit\.save\).*torch\.save\(torch\.jit\.load\(f\)\.state_dict\(\), f2\)/],
    ['a bare pickle that is not a legacy checkpoint', () => pk(0x80, 2, 0x4e, 0x2e), /a pickle without the legacy magic number/],
    ['a legacy file cut after its header', () => read('io_lstm_legacy.pt').subarray(0, 137), /truncated/],
    ['a legacy file cut inside its storages', () => { const b = read('io_lstm_legacy.pt'); return b.subarray(0, b.length - 5); }, /runs past the end of the file \(truncated\?\)/],
    ['a legacy file with bytes appended', () => { const b = read('io_lstm_legacy.pt'); return new Uint8Array([...b, 0]); }, /1 unexpected bytes after the last legacy storage/],
    ['random bytes', () => new TextEncoder().encode('hello world, not a checkpoint'), /not a PyTorch checkpoint/],
  ])('%s', (_label, make, pattern) => {
    expect(formatError(() => torch.load(make())).message).toMatch(pattern);
  });

  it('a truncated checkpoint', () => {
    const bytes = read('io_lstm.pt');
    for (const n of [10, 100, bytes.length / 2, bytes.length - 10]) {
      expect(formatError(() => torch.load(bytes.subarray(0, Math.floor(n)))).message).toMatch(/torch\.load/);
    }
  });

  it('a flipped byte in tensor data fails the CRC check', () => {
    const bytes = read('io_lstm.pt').slice();
    const w = expected.get('lstm.sd.weight_hh_l1').contiguousData();
    const needle = new Uint8Array(new Float32Array(w.subarray(0, 4)).buffer);
    const at = Buffer.from(bytes).indexOf(Buffer.from(needle));
    expect(at).toBeGreaterThan(0);
    bytes[at + 1] = bytes[at + 1]! ^ 0x10;
    expect(formatError(() => torch.load(bytes)).message).toMatch(/entry "archive\/data\/\d+" fails its CRC-32 check/);
  });

  it('deep nesting (50k lists) loads without overflowing the stack', () => {
    const depth = 50_000;
    const parts: number[] = [0x80, 2];
    for (let i = 0; i < depth; i++) parts.push(0x5d, 0x28);
    for (let i = 0; i < depth; i++) parts.push(0x65);
    parts.push(0x2e);
    const v = torch.load(checkpointZip(new Uint8Array(parts)));
    expect(Array.isArray(v)).toBe(true);
  });

  it('a self-containing list and a __proto__ key load as inert data', () => {
    // l = []; l.append(l); {'__proto__': l}
    const v = torch.load(checkpointZip(pk(0x80, 2, 0x7d, str('__proto__'), 0x5d, 0x71, 0, 0x68, 0, 0x61, 0x73, 0x2e))) as torch.io.PickleDict;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.hasOwn(v, '__proto__')).toBe(true);
    const l = Object.getOwnPropertyDescriptor(v, '__proto__')!.value as unknown[];
    expect(l[0]).toBe(l);
  });

  it('int keys, bigints, protocol-0 text opcodes and sets', () => {
    const v = torch.load(
      checkpointZip(pk(0x80, 2, 0x7d, int(3), 'I01\n', 0x73, str('x'), 'L123456789012345678901234567890L\n', 0x73, str('s'), 0x8f, 0x28, int(1), int(2), 0x90, 0x73, 0x2e)),
    );
    expect(v).toEqual({ '3': true, x: 123456789012345678901234567890n, s: [1, 2] });
    const f = torch.load(checkpointZip(pk(0x80, 2, 0x28, 'F1.5\n', 'F-inf\n', 'Fnan\n', 0x6c, 0x2e))) as number[];
    expect(f).toEqual([1.5, -Infinity, Number.NaN]);
  });

  it('an int64 value outside int32 is refused, not wrapped', () => {
    const data = new Uint8Array(new BigInt64Array([1n, 2n ** 33n]).buffer);
    const e = formatError(() => torch.load(checkpointZip(tensorPickle({ storage: 'LongStorage', numel: 2, size: [2], stride: [1] }), { '0': data })));
    expect(e.message).toMatch(/int64 value 8589934592 at element 1 does not fit in torchlet's int64, which is stored in 32 bits/);
  });
});

describe('torch.save writes checkpoints PyTorch reads', () => {
  it('writes exactly the bytes tools/fixtures/io.py loaded in PyTorch (strict GRU load, outputs, values, shared views)', () => {
    for (const [name, bytes] of Object.entries(torchletFiles())) {
      expect(Buffer.from(bytes).equals(Buffer.from(read(name))), name).toBe(true);
    }
  });

  it('round-trips through torch.load: values, dtypes, views sharing one storage', () => {
    const base = torch.arange(12).reshape(3, 4);
    const obj = { a: base, t: base.t(), n: [1, 2.5, -3, 2 ** 40], s: 'ü', b: true, z: null, big: -(2n ** 80n), raw: new Uint8Array([7]), d: torch.tensor([0.1], { dtype: 'float64' }) };
    const back = torch.load(torch.save(obj), { keepFloat64: true }) as torch.io.PickleDict;
    expect(back).toMatchObject({ n: [1, 2.5, -3, 2 ** 40], s: 'ü', b: true, z: null, big: -(2n ** 80n) });
    expect(Array.from(back.raw as Uint8Array)).toEqual([7]);
    const [a, t] = [back.a as torch.Tensor, back.t as torch.Tensor];
    expect(t.storage).toBe(a.storage);
    expect(t.strides).toEqual([1, 4]);
    expect(t.tolist()).toEqual(base.t().tolist());
    expect((back.d as torch.Tensor).dtype).toBe('float64');
  });

  it("writes cycles as PyTorch's pickler does (memo), and they load back as cycles", () => {
    const l: torch.io.PickleValue[] = [];
    l.push(l);
    const back = torch.load(torch.save(l)) as torch.io.PickleValue[];
    expect(back[0]).toBe(back);
  });
});
