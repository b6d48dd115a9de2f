/**
 * One error convention (issue 12): every class is the library's own, `instanceof TorchletError`,
 * and `instanceof` the JS built-in matching PyTorch's exception (the table in docs/errors.md).
 */

import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';

const TABLE: [string, () => Error, ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor, string][] = [
  ['TorchletError', () => new torch.TorchletError('m'), Error, 'RuntimeError'],
  ['RuntimeError', () => new torch.RuntimeError('m'), Error, 'RuntimeError'],
  ['ShapeError', () => new torch.ShapeError('m'), Error, 'RuntimeError'],
  ['DTypeError', () => new torch.DTypeError('m', 'ValueError'), Error, 'ValueError'],
  ['ValueError', () => new torch.ValueError('m'), Error, 'ValueError'],
  ['FormatError', () => new torch.FormatError('m'), Error, 'RuntimeError'],
  ['ArgumentTypeError', () => new torch.ArgumentTypeError('m'), TypeError, 'TypeError'],
  ['OptionError', () => new torch.OptionError('m', 'k'), TypeError, 'TypeError'],
  ['IndexError', () => new torch.IndexError('m'), RangeError, 'IndexError'],
  ['SizeError', () => new torch.SizeError('m', { elements: 3, bytes: 12 }), RangeError, 'RuntimeError'],
];

describe('error classes', () => {
  for (const [name, make, builtin, py] of TABLE) {
    it(`${name}: instanceof ${builtin.name}, Error and TorchletError; name and pytorchType`, () => {
      const e = make();
      expect(e).toBeInstanceOf(builtin);
      expect(e).toBeInstanceOf(Error);
      expect(e).toBeInstanceOf(torch.TorchletError);
      expect(e.name).toBe(name);
      expect((e as torch.TorchletError).pytorchType).toBe(py);
      expect(e.message).toBe('m');
      expect(String(e.stack)).toContain(name);
    });
  }

  it('subclasses keep the ordinary instanceof; foreign errors are not TorchletErrors', () => {
    expect(new torch.ShapeError('m')).not.toBeInstanceOf(torch.ValueError);
    expect(new torch.ArgumentTypeError('m')).not.toBeInstanceOf(torch.OptionError);
    expect(new torch.OptionError('m')).toBeInstanceOf(torch.ArgumentTypeError);
    expect(new torch.SizeError('m')).not.toBeInstanceOf(torch.IndexError);
    expect(new torch.IndexError('m')).not.toBeInstanceOf(TypeError);
    expect(new TypeError('m')).not.toBeInstanceOf(torch.TorchletError);
    expect(new RangeError('m')).not.toBeInstanceOf(torch.TorchletError);
    expect({ name: 'ShapeError', pytorchType: 'RuntimeError' }).not.toBeInstanceOf(torch.TorchletError);
    expect(null).not.toBeInstanceOf(torch.TorchletError);
  });

  it('SizeError keeps its constructor and carries what was asked for', () => {
    const e = new torch.SizeError('too big', { elements: 10, bytes: 40 });
    expect([e.elements, e.bytes]).toEqual([10, 40]);
    expect(new torch.SizeError('x').elements).toBeUndefined();
  });

  it('sizes beyond the engine are a SizeError before anything is allocated', () => {
    let e: unknown;
    try {
      new torch.nn.LSTM(1e6, 1e6);
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(torch.SizeError);
    expect(e).toBeInstanceOf(RangeError);
    const s = e as torch.SizeError;
    expect(s.message).toBe(
      "can't allocate memory: you tried to allocate 16000000000000 bytes (14.6 TiB) for LSTM parameter weight_ih_l0 (4000000, 1000000) of 4000000000000 elements; the engine's limit is 4294967296 elements per tensor (and the machine's memory). Use smaller sizes.",
    );
    expect([s.elements, s.bytes]).toEqual([4e12, 16e12]);
    expect(() => torch.zeros(1e10)).toThrow(
      "can't allocate memory: you tried to allocate 40000000000 bytes (37.3 GiB) for a float32 tensor of 10000000000 elements",
    );
    expect(() => torch.zeros(1e10)).toThrow(torch.SizeError);
    expect(() => torch.ones([1e5, 1e5], { dtype: 'float64' })).toThrow('80000000000 bytes (74.5 GiB) for a float64 tensor');
  });

  it('errors thrown by the library are typed: a sample across the API', () => {
    const t = torch.randn(2, 3);
    const cases: [() => unknown, new (...a: never[]) => Error][] = [
      [() => t.reshape(5), torch.ShapeError],
      [() => t.size(7), torch.IndexError],
      [() => t.mul('2' as never), torch.ArgumentTypeError],
      [() => new torch.nn.LSTM(3, 4, { batch_first: true } as never), torch.OptionError],
      [() => torch.randn(2, 3).item(), torch.ValueError],
    ];
    for (const [f, cls] of cases) {
      let e: unknown;
      try {
        f();
      } catch (err) {
        e = err;
      }
      expect(e).toBeInstanceOf(cls);
      expect(e).toBeInstanceOf(torch.TorchletError);
    }
  });
});
