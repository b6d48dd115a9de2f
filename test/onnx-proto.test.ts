/**
 * The hand-written ONNX protobuf codec (src/onnx/proto.ts), checked three ways: against a file
 * written by PyTorch's own (C++ protobuf) serializer, which it must read and write back to the same
 * bytes (tools/fixtures/onnx.py); against ONNX Runtime, which must run a hand-built model that uses
 * the wire forms torchlet's exporter does not (float_data/int64_data, negative int64 attributes,
 * unpacked repeated fields); and against malformed input, which must throw FormatError.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { AttributeType, DataType, decodeModel, encodeModel, type ModelProto } from '../src/onnx/proto.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const utf8 = new TextEncoder();

/** Bytes from hex pairs, for hand-written wire input. */
const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((h) => Number.parseInt(h, 16)));

describe('a model written by PyTorch (torch.onnx.export, opset 17)', () => {
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'onnx_torch_lstm.onnx')));

  it('decodes to what PyTorch wrote', () => {
    const m = decodeModel(bytes);
    expect(m.irVersion).toBe(8);
    expect(m.producerName).toBe('pytorch');
    expect(m.producerVersion).toBe('1.13.0');
    expect(m.opsetImport).toEqual([{ version: 17 }]);
    const g = m.graph!;
    expect(g.node!.filter((n) => n.opType === 'LSTM')).toHaveLength(2);
    const lstm = g.node!.find((n) => n.opType === 'LSTM')!;
    expect(lstm.attribute!.map((a) => [a.name, a.type, a.type === AttributeType.STRING ? new TextDecoder().decode(a.s) : a.i])).toEqual([
      ['direction', AttributeType.STRING, 'bidirectional'],
      ['hidden_size', AttributeType.INT, 4],
    ]);
    const w = g.initializer!.find((t) => t.dims!.length === 3 && t.dims![2] === 3)!;
    expect(w.dims).toEqual([2, 16, 3]); // (D, 4H, Hin) of layer 0
    expect(w.dataType).toBe(DataType.FLOAT);
    expect(w.rawData!.length).toBe(2 * 16 * 3 * 4);
    expect(g.input).toEqual([
      { name: 'x', metadataProps: [], type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: 'time' }, { dimParam: 'batch' }, { dimValue: 3 }] } } } },
    ]);
    expect(g.output![0]!.type!.tensorType!.shape!.dim!.map((d) => d.dimParam ?? d.dimValue)).toEqual(['time', 'batch', 2]);
  });

  it('re-encodes to the same bytes (field order and packing as onnx.proto)', () => {
    expect(Buffer.from(encodeModel(decodeModel(bytes))).equals(Buffer.from(bytes))).toBe(true);
  });

  it('every truncation throws FormatError, never something else', () => {
    // Cutting the file anywhere must be reported, as a FormatError (a cut on a field boundary of
    // the top-level message is a shorter valid message, and decodes).
    let errors = 0;
    for (let n = 0; n < bytes.length; n++) {
      try {
        decodeModel(bytes.subarray(0, n));
      } catch (e) {
        expect(e).toBeInstanceOf(torch.FormatError);
        expect(String(e)).toMatch(/not a valid ONNX model: .* at byte \d+/);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(bytes.length * 0.9);
  });
});

describe("torchlet's own exports", () => {
  it('decode and re-encode to the same bytes', () => {
    for (const [m, x] of [
      [new torch.nn.LSTM(3, 4, { numLayers: 2, bidirectional: true, projSize: 2 }), torch.randn(5, 2, 3)],
      [new torch.nn.Sequential(new torch.nn.Conv1d(2, 3, 3, { padding: 1, paddingMode: 'circular' }), new torch.nn.GroupNorm(1, 3)), torch.randn(1, 2, 5)],
    ] as const) {
      const bytes = torch.onnx.export(m, x, { opsetVersion: 19 });
      expect(Buffer.from(encodeModel(decodeModel(bytes))).equals(Buffer.from(bytes))).toBe(true);
    }
  });
});

describe('wire forms checked by ONNX Runtime', () => {
  it('float_data and int64_data initializers, a negative int attribute, unpacked ints', async () => {
    // y = Reshape(Concat([x, W], axis=-1), shape=[-1]) with W in float_data and shape in int64_data.
    const model: ModelProto = {
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'g',
        node: [
          { opType: 'Concat', input: ['x', 'W'], output: ['c'], attribute: [{ name: 'axis', type: AttributeType.INT, i: -1 }] },
          { opType: 'Reshape', input: ['c', 'shape'], output: ['r'] },
          { opType: 'ReduceSum', input: ['x', 'axes'], output: ['s'], attribute: [{ name: 'keepdims', type: AttributeType.INT, i: 0 }] },
          { opType: 'Transpose', input: ['x'], output: ['t'], attribute: [{ name: 'perm', type: AttributeType.INTS, ints: [1, 0] }] },
        ],
        initializer: [
          { name: 'W', dims: [2, 1], dataType: DataType.FLOAT, floatData: [0.5, -2.25] },
          { name: 'shape', dims: [1], dataType: DataType.INT64, int64Data: [-1] },
          { name: 'axes', dims: [1], dataType: DataType.INT64, int64Data: [-2n] },
        ],
        input: [{ name: 'x', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: 2 }, { dimValue: 2 }] } } } }],
        output: ['r', 's', 't'].map((name) => ({ name, type: { tensorType: { elemType: DataType.FLOAT } } })),
      },
    };
    const bytes = encodeModel(model);
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4]), [2, 2]) });
    expect(Array.from(out.r!.data as Float32Array)).toEqual([1, 2, 0.5, 3, 4, -2.25]);
    expect(Array.from(out.s!.data as Float32Array)).toEqual([4, 6]);
    expect(Array.from(out.t!.data as Float32Array)).toEqual([1, 3, 2, 4]);
    // And the codec reads back what it wrote, int64s as numbers.
    const back = decodeModel(bytes);
    expect(back.graph!.initializer!.map((t) => t.int64Data)).toEqual([[], [-1], [-2]]);
    expect(back.graph!.node![0]!.attribute![0]!.i).toBe(-1);
  });
});

describe('values at the edges of their types', () => {
  const roundTrip = (m: ModelProto): ModelProto => decodeModel(encodeModel(m));

  it('int64 beyond 2^53 as bigint, negatives, int32 range, floats, doubles, UTF-8', () => {
    const m = roundTrip({
      irVersion: 2n ** 62n,
      modelVersion: -(2n ** 63n),
      producerName: 'tørchlet ✓',
      graph: {
        initializer: [
          {
            dims: [0, 9007199254740991, -1],
            dataType: DataType.DOUBLE,
            doubleData: [Math.PI, -0, Number.POSITIVE_INFINITY],
            int32Data: [-(2 ** 31), 2 ** 31 - 1, -1],
            uint64Data: [2n ** 64n - 1n, 5],
            floatData: [Number.NaN, -0, 1e-45],
            stringData: [utf8.encode('a'), new Uint8Array(0)],
          },
        ],
        node: [{ attribute: [{ f: 0.1, floats: [1.5, -3] }] }],
      },
    });
    expect(m.irVersion).toBe(2n ** 62n);
    expect(m.modelVersion).toBe(-(2n ** 63n));
    expect(m.producerName).toBe('tørchlet ✓');
    const t = m.graph!.initializer![0]!;
    expect(t.dims).toEqual([0, 9007199254740991, -1]);
    expect(t.doubleData).toEqual([Math.PI, -0, Number.POSITIVE_INFINITY]);
    expect(t.int32Data).toEqual([-(2 ** 31), 2 ** 31 - 1, -1]);
    expect(t.uint64Data).toEqual([2n ** 64n - 1n, 5]);
    expect(t.floatData).toEqual([Number.NaN, -0, Math.fround(1e-45)]);
    expect(t.stringData).toEqual([utf8.encode('a'), new Uint8Array(0)]);
    const a = m.graph!.node![0]!.attribute![0]!;
    expect(a.f).toBe(Math.fround(0.1));
    expect(a.floats).toEqual([1.5, -3]);
  });

  it('writes a zero that is set and leaves out what is undefined or null (proto2 presence)', () => {
    expect(encodeModel({})).toEqual(new Uint8Array(0));
    expect(encodeModel({ irVersion: 0 })).toEqual(hex('0800'));
    expect(encodeModel({ producerName: undefined, docString: null as unknown as string, opsetImport: [] })).toEqual(new Uint8Array(0));
    // Negative int64: ten bytes, two's complement.
    expect(encodeModel({ modelVersion: -1 })).toEqual(hex('28ffffffffffffffffff01'));
  });

  it('reads repeated numbers packed or not, and skips unknown fields of every wire type', () => {
    // TensorProto { dims: 2, 3 unpacked; dims: 4, 5 packed; field 99 varint; 98 fixed64; 97 bytes; 96 fixed32 }.
    const tensor = hex('08020803' + '0a020405' + '98060a' + '91060102030405060708' + '8a0602aabb' + '850601020304');
    const graph = new Uint8Array([0x2a, tensor.length, ...tensor]); // GraphProto.initializer
    const model = new Uint8Array([0x3a, graph.length, ...graph]); // ModelProto.graph
    expect(decodeModel(model).graph!.initializer![0]!.dims).toEqual([2, 3, 4, 5]);
  });

  it('refuses wrong types when encoding, with the field named', () => {
    expect(() => encodeModel({ irVersion: 1.5 })).toThrow(/ModelProto.irVersion must be an integer/);
    expect(() => encodeModel({ producerName: 3 as unknown as string })).toThrow(/ModelProto.producerName must be a string/);
    expect(() => encodeModel({ graph: { initializer: [{ rawData: [1, 2] as unknown as Uint8Array }] } })).toThrow(/TensorProto.rawData must be a Uint8Array/);
    expect(() => encodeModel({ graph: { initializer: [{ dataType: 2 ** 31 }] } })).toThrow(/TensorProto.dataType must be an int32/);
    expect(() => encodeModel({ graph: { initializer: [{ uint64Data: [-1] }] } })).toThrow(/uint64/);
    expect(() => encodeModel({ irVersion: 2n ** 64n })).toThrow(/does not fit in 64 bits/);
    expect(() => encodeModel({ irVersion: 1.5 })).toThrow(torch.ValueError);
  });

  it('refuses malformed bytes: wrong wire type, overlong varint, bad length, nesting past 100 levels', () => {
    expect(() => decodeModel(hex('0d00000000'))).toThrow(/ModelProto.irVersion has wire type 5, expected 0/);
    expect(() => decodeModel(hex('08ffffffffffffffffffff01'))).toThrow(/varint longer than 10 bytes/);
    expect(() => decodeModel(hex('3a05'))).toThrow(/length 5 past the end/);
    expect(() => decodeModel(hex('9b06'))).toThrow(/unsupported wire type 3/);
    expect(() => decodeModel([1, 2] as unknown as Uint8Array)).toThrow(torch.ValueError);
    // A graph whose node has a graph attribute whose node has ... 120 levels deep.
    let inner = new Uint8Array(0);
    for (let i = 0; i < 40; i++) {
      const attr = new Uint8Array([0x32, ...varint(inner.length), ...inner]); // AttributeProto.g
      const node = new Uint8Array([0x2a, ...varint(attr.length), ...attr]); // NodeProto.attribute
      inner = new Uint8Array([0x0a, ...varint(node.length), ...node]); // GraphProto.node
    }
    const deep = new Uint8Array([0x3a, ...varint(inner.length), ...inner]);
    expect(() => decodeModel(deep)).toThrow(/nested deeper than 100 levels/);
    expect(() => decodeModel(deep)).toThrow(torch.FormatError);
  });
});

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
