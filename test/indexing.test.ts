/**
 * Indexing against PyTorch 1.13 (fixture: tools/fixtures/indexing.py): `index` as `x[...]` for
 * basic, advanced (repeated, negative, broadcast, separated) and mask specs, values and gradients
 * (upstream 1..n, so repeated indices must sum); view-or-copy as PyTorch; PyTorch's errors;
 * `indexPut_`, `gather`, `scatter`, `scatterAdd`, `maskedSelect`, `nonzero`, `select`, `unbind`.
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import type { IndexSpec } from '../src/ops/indexing.js';
import { expectClose, loadFixture, TOL } from './helpers/fixtures.js';

type JsonSpec = number | string | null | number[] | number[][] | { t: string } | { mask: string };
interface Cases {
  index: { spec: JsonSpec[]; view: boolean }[];
  errors: { spec: JsonSpec[]; type: string; message: string }[];
  put: { spec: JsonSpec[]; value: string | number; accumulate: boolean }[];
}
const fx = loadFixture<Cases>('indexing');
const conv = (s: JsonSpec): IndexSpec => {
  if (s !== null && typeof s === 'object' && !Array.isArray(s)) return fx.get('t' in s ? s.t : s.mask);
  return s;
};
const X = fx.get('x');

describe('index (x[...]) against PyTorch', () => {
  fx.cases.index.forEach((c, i) => {
    it(`x[${JSON.stringify(c.spec)}]`, () => {
      const x = X.clone().requiresGrad_();
      const y = x.index(...c.spec.map(conv));
      expectClose(y, fx.get(`index/${i}/out`), TOL.f64, 'out');
      expect(y._base !== null, 'view').toBe(c.view);
      y.backward(torch.arange(1, y.numel() + 1).double().reshape(y.shape));
      expectClose(x.grad, fx.get(`index/${i}/grad`), TOL.f64, 'grad');
    });
  });
  it('basic views share storage and writes go through', () => {
    const x = torch.zeros(2, 3);
    torch.noGrad(() => x.index(':', -1).copy_(torch.full([2], 5)));
    expect(x.tolist()).toEqual([
      [0, 0, 5],
      [0, 0, 5],
    ]);
  });
  fx.cases.errors.forEach((c) => {
    it(`error for x[${JSON.stringify(c.spec)}]: ${c.type}`, () => {
      expect(() => X.index(...c.spec.map(conv))).toThrow(c.message);
    });
  });
});

describe('indexPut_ against PyTorch', () => {
  fx.cases.put.forEach((c, i) => {
    it(`x[${JSON.stringify(c.spec)}] = ${c.value}${c.accumulate ? ' (accumulate)' : ''}`, () => {
      const x = X.clone();
      const v = typeof c.value === 'number' ? c.value : fx.get(c.value);
      const before = x._version;
      x.indexPut_(c.spec.map(conv), v, { accumulate: c.accumulate });
      expectClose(x, fx.get(`put/${i}`), TOL.f64, 'put');
      expect(x._version).toBeGreaterThan(before);
    });
  });
  it('refuses a leaf that requires grad outside noGrad, as PyTorch', () => {
    const w = torch.zeros(4).requiresGrad_();
    expect(() => w.indexPut_(['1:3'], 1)).toThrow('a leaf Variable that requires grad');
    expect(() => w.index('1:3').copy_(torch.ones(2))).toThrow('a view of a leaf Variable');
    torch.noGrad(() => w.indexPut_(['1:3'], 1));
    expect(w.tolist()).toEqual([0, 1, 1, 0]);
  });
});

describe('gather / scatter / maskedSelect / nonzero against PyTorch', () => {
  for (const [name, dim, idx] of [
    ['d0', 0, 'g/i0'],
    ['d1', 1, 'g/i1'],
    ['dm1', -1, 'g/i1'],
  ] as const) {
    it(`gather ${name}`, () => {
      const x = fx.get('g/src').clone().requiresGrad_();
      const y = x.gather(dim, fx.get(idx));
      expectClose(y, fx.get(`gather/${name}/out`), TOL.f64, 'out');
      y.backward(torch.arange(1, y.numel() + 1).double().reshape(y.shape));
      expectClose(x.grad, fx.get(`gather/${name}/grad`), TOL.f64, 'grad');
    });
  }
  for (const name of ['scatter', 'scatterAdd'] as const) {
    it(name, () => {
      const x = torch.zeros([3, 4], { dtype: 'float64' }).requiresGrad_();
      const u = fx.get('s/upd').clone().requiresGrad_();
      const y = name === 'scatter' ? x.scatter(0, fx.get('s/i'), u) : x.scatterAdd(0, fx.get('g/i0'), u);
      expectClose(y, fx.get(`${name}/out`), TOL.f64, 'out');
      y.backward(torch.arange(1, 13).double().reshape(3, 4));
      expectClose(x.grad, fx.get(`${name}/gx`), TOL.f64, 'gx');
      expectClose(u.grad, fx.get(`${name}/gsrc`), TOL.f64, 'gsrc');
    });
  }
  it('maskedSelect broadcasts the mask', () => {
    const x = X.clone().requiresGrad_();
    const y = x.maskedSelect(fx.get('m1').reshape(3, 1));
    expectClose(y, fx.get('maskedSelect/out'), TOL.f64, 'out');
    y.backward(torch.arange(1, y.numel() + 1).double());
    expectClose(x.grad, fx.get('maskedSelect/grad'), TOL.f64, 'grad');
  });
  it('nonzero counts NaN as nonzero and returns int64', () => {
    const n = fx.get('nz/src').nonzero();
    expect(n.dtype).toBe('int64');
    expect(n.tolist()).toEqual(fx.get('nonzero/out').tolist());
    expect(torch.zeros(2, 3).nonzero().shape).toEqual([0, 2]);
    const [r, c] = torch.nonzero(fx.get('nz/src'), { asTuple: true });
    expect([r!.tolist(), c!.tolist()]).toEqual([
      [0, 0, 1],
      [1, 2, 2],
    ]);
  });
});

describe('select / unbind', () => {
  it('select is index with one integer; unbind gives every select', () => {
    const x = X.clone().requiresGrad_();
    expect(x.select(1, -1).tolist()).toEqual(X.index(':', -1).tolist());
    const parts = x.unbind(1);
    expect(parts.length).toBe(3);
    parts[2]!.sum().backward();
    expect(x.grad!.index(':', 2).sum().item()).toBe(8);
    expect(x.grad!.sum().item()).toBe(8);
    expect(() => x.select(0, 2)).toThrow('select(): index 2 out of range for tensor of size [2, 3, 4] at dimension 0');
  });
});
