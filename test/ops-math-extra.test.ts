/**
 * Reductions and maths beyond the PyTorch fixture (test/ops-math.test.ts): gradients against
 * finite differences (torch.autograd.gradcheck, float64), second derivatives where the backward is
 * built from recorded ops, and calls as plain JavaScript makes them (wrong types, no type checker).
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';

/** Deterministic float64 leaves without ties (cos of a ramp, as the fixtures' `det`). */
function det(shape: number[], seed = 0, scale = 1): torch.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, (_, i) => Math.cos(i * 0.7 + seed) * scale);
  return torch.tensor(v, { dtype: 'float64' }).reshape(shape).requiresGrad_();
}
const pos = (shape: number[], seed = 0) => det(shape, seed).detach().abs().add(0.5).requiresGrad_();

describe('gradients against finite differences', () => {
  const cases: [string, () => boolean][] = [
    ['std over dims, correction 0', () => torch.autograd.gradcheck((a) => torch.std(a, [0, 2], { correction: 0 }), [det([2, 3, 4])])],
    ['var keepdim', () => torch.autograd.gradcheck((a) => torch.var(a, 1, true, true), [det([3, 4], 1)])],
    ['norm p=3 over a dim', () => torch.autograd.gradcheck((a) => torch.norm(a, 3, 1), [det([3, 4], 2)])],
    ['norm p=0.5', () => torch.autograd.gradcheck((a) => torch.norm(a, 0.5), [det([5], 3)])],
    ['norm inf', () => torch.autograd.gradcheck((a) => torch.norm(a, Number.POSITIVE_INFINITY, 0), [det([4, 2], 4)])],
    ['logsumexp over two dims', () => torch.autograd.gradcheck((a) => torch.logsumexp(a, [0, -1]), [det([2, 3, 2], 5)])],
    ['cumsum', () => torch.autograd.gradcheck((a) => torch.cumsum(a, -1), [det([2, 5], 6)])],
    ['cumprod', () => torch.autograd.gradcheck((a) => torch.cumprod(a, 1), [det([2, 5], 7)])],
    ['prod over a dim', () => torch.autograd.gradcheck((a) => torch.prod(a, 0), [det([4, 3], 8)])],
    ['amax over dims', () => torch.autograd.gradcheck((a) => torch.amax(a, [1, 2]), [det([2, 3, 4], 9)])],
    ['topk', () => torch.autograd.gradcheck((a) => torch.topk(a, 2, 0).values, [det([4, 3], 10)])],
    ['sort descending', () => torch.autograd.gradcheck((a) => torch.sort(a, 1, true).values, [det([3, 4], 11)])],
    ['min(dim)', () => torch.autograd.gradcheck((a) => torch.min(a, 1).values, [det([3, 4], 12)])],
    ['lerp, tensor weight', () => torch.autograd.gradcheck((a, b, w) => torch.lerp(a, b, w), [det([3], 1), det([3], 2), det([3], 3)])],
    ['addcdiv', () => torch.autograd.gradcheck((a, b, c) => torch.addcdiv(a, b, c, { value: 0.3 }), [det([2, 3]), det([3], 1), pos([2, 3], 2)])],
    ['clamp with tensor bounds', () => torch.autograd.gradcheck((a, lo, hi) => torch.clamp(a, lo, hi), [det([6], 0), det([6], 1, 0.5).detach().sub(0.4).requiresGrad_(), det([6], 2, 0.3).detach().add(0.5).requiresGrad_()])],
    ['remainder', () => torch.autograd.gradcheck((a, b) => torch.remainder(a, b), [det([5], 0, 3), pos([5], 1)])],
    ['fmod', () => torch.autograd.gradcheck((a, b) => torch.fmod(a, b), [det([5], 0, 3), pos([5], 1)])],
    ['rsqrt, exp2, log2, log1p, expm1', () => torch.autograd.gradcheck((a) => torch.rsqrt(a).add(torch.exp2(a)).add(torch.log2(a)).add(torch.log1p(a)).add(torch.expm1(a)), [pos([4])])],
  ];
  for (const [name, run] of cases) it(name, () => expect(run()).toBe(true));

  it('second derivatives through std, var, norm and logsumexp (createGraph) match finite differences', () => {
    const fs = [
      (a: torch.Tensor) => torch.std(a),
      (a: torch.Tensor) => torch.var(a, 0, { correction: 0 }),
      (a: torch.Tensor) => torch.norm(a, 3),
      (a: torch.Tensor) => torch.norm(a),
      (a: torch.Tensor) => torch.logsumexp(a, 0),
      (a: torch.Tensor) => torch.amax(a).mul(a.sum()),
    ];
    for (const f of fs) {
      const x = det([4], 1);
      const [g] = torch.autograd.grad(f(x), [x], { createGraph: true });
      const [h] = torch.autograd.grad(g!.mul(g!).sum(), [x]);
      // Finite differences of the first derivative's sum.
      const eps = 1e-6;
      const num = Array.from({ length: x.numel() }, (_, i) => {
        const at = (d: number) => {
          const v = x.detach().clone();
          torch.noGrad(() => v.indexPut_([i], v.index(i).item() + d));
          const xv = v.requiresGrad_();
          const [gv] = torch.autograd.grad(f(xv), [xv]);
          return gv!.mul(gv!).sum().item();
        };
        return (at(eps) - at(-eps)) / (2 * eps);
      });
      const got = [...h!.toTypedArray()];
      for (const [i, v] of got.entries()) expect(v, `d2 at ${i}`).toBeCloseTo(num[i]!, 5);
    }
  });

  it('prod and cumprod refuse createGraph clearly (their backward is computed outside the graph)', () => {
    const x = det([3]);
    expect(() => torch.autograd.grad(torch.prod(x), [x], { createGraph: true })).toThrow(/cannot differentiate ProdBackward0 twice/);
  });
});

describe('called as plain JavaScript', () => {
  const x = torch.tensor([[1, 5, 2], [4, 0, 3]]);
  const js = torch as unknown as Record<string, (...a: unknown[]) => unknown>;
  it('a dim given as a string or a fraction is an ArgumentTypeError naming the argument', () => {
    expect(() => js.argmax!(x, '1')).toThrow("argmax(): argument 'dim' (position 2) must be int, not string");
    expect(() => js.topk!(x, 1.5)).toThrow("topk(): argument 'k' (position 2) must be int, not number");
    expect(() => js.cumsum!(x, null)).toThrow(torch.ArgumentTypeError);
    expect(() => js.amax!(x, ['0'])).toThrow(torch.ArgumentTypeError);
    expect(() => js.max!(x, 0, 'yes')).toThrow("max(): argument 'keepdim' (position 3) must be bool, not string");
  });
  it('an array where a tensor belongs gets the torch.tensor hint', () => {
    expect(() => js.argmax!([1, 2, 3])).toThrow('Hint: wrap numbers in a tensor first');
    expect(() => js.lerp!(x.float(), [1, 2, 3], 0.5)).toThrow(torch.ArgumentTypeError);
    expect(() => js.isclose!(x, 1)).toThrow("isclose(): argument 'other' (position 2) must be Tensor, not number");
  });
  it('a misspelt keyword is an OptionError naming the right one', () => {
    expect(() => js.sort!(x, { descend: true })).toThrow("torch.sort: unexpected option 'descend'; did you mean 'descending'?");
    expect(() => js.isclose!(x, x, { equal_nan: true })).toThrow("torch.isclose: unexpected option 'equal_nan'; did you mean 'equalNan'?");
    expect(() => js.var!(x.float(), 1, { Correction: 0 })).toThrow("did you mean 'correction'?");
  });
  it('results destructure as PyTorch tuples and index as r[0], r[1]', () => {
    const r = x.max(1);
    const [values, indices] = r;
    expect(values!.tolist()).toEqual([5, 4]);
    expect(r[1].tolist()).toEqual([1, 0]);
    expect(indices!.dtype).toBe('int64');
    expect(r.length).toBe(2);
    const { values: v2 } = torch.sort(x, { dim: 1, descending: true });
    expect(v2.tolist()).toEqual([
      [5, 2, 1],
      [4, 3, 0],
    ]);
  });
});

describe('scatterReduce, scatter(reduce=) and the dtype keyword beyond the fixture', () => {
  const idx = torch.tensor([[0, 2, 1], [2, 2, 0], [0, 1, 1], [1, 0, 0]], { dtype: 'int64' });
  const big = torch.tensor([[1, 0], [2, 2]], { dtype: 'int64' });
  for (const red of ['sum', 'prod', 'mean', 'amax', 'amin'] as const) {
    for (const includeSelf of [true, false]) {
      it(`${red}, includeSelf ${includeSelf}: gradients against finite differences`, () => {
        const f = (a: torch.Tensor, s: torch.Tensor) => torch.scatterReduce(a, 0, idx, s, red, { includeSelf });
        expect(torch.autograd.gradcheck(f, [det([3, 3], 1), det([4, 3], 2)])).toBe(true);
      });
    }
    it(`${red}: src larger than index (1.13's backward refuses; the gradient has src's shape)`, () => {
      const s = det([3, 4], 4);
      expect(torch.autograd.gradcheck((a, b) => torch.scatterReduce(a, 1, big, b, red), [det([2, 3], 3), s])).toBe(true);
    });
  }
  it('in place: scatterReduce_ on a non-leaf gives the out-of-place gradients; scatter_ reduce writes through a view', () => {
    const a = det([3, 3], 1);
    const s = det([4, 3], 2);
    torch.scatterReduce(a, 0, idx, s, 'prod').sum().backward();
    const [ga, gs] = [a.grad!.clone(), s.grad!.clone()];
    a.grad = null;
    s.grad = null;
    const y = a.mul(1).scatterReduce_(0, idx, s, 'prod');
    expect(y.gradFn?.name).toBe('ScatterReduceBackward0');
    y.sum().backward();
    expect(a.grad!.tolist()).toEqual(ga.tolist());
    expect(s.grad!.tolist()).toEqual(gs.tolist());
    const base = torch.zeros(2, 4);
    base.index(':', '1:').scatter_(1, torch.tensor([[0, 0, 2]], { dtype: 'int64' }), torch.tensor([[1, 2, 3]]), { reduce: 'add' });
    base.index(':', '1:').scatter_(1, torch.tensor([[2]], { dtype: 'int64' }), 4, { reduce: 'multiply' });
    expect(base.tolist()).toEqual([
      [0, 3, 0, 12],
      [0, 0, 0, 0],
    ]);
    const t = torch.ones(3);
    t.scatterAdd_(0, torch.tensor([0, 0, 2], { dtype: 'int64' }), torch.tensor([1, 2, 3]));
    expect(t.tolist()).toEqual([4, 1, 4]);
  });
  it("backward through scatter(reduce=) is PyTorch's error, naming scatterReduce", () => {
    const a = det([3, 3]);
    const y = torch.scatter(a, 0, idx.index('0:3'), det([3, 3], 1), { reduce: 'multiply' });
    expect(() => y.sum().backward()).toThrow(/^derivative for aten::scatter is not implemented.*scatterReduce/);
  });
  it('a refused scatter changes nothing; plain JavaScript calls', () => {
    const t = torch.zeros(2, 2);
    const v = t._version;
    const js = torch as unknown as Record<string, (...a: unknown[]) => torch.Tensor>;
    expect(() => t.scatter_(0, torch.tensor([[0, 1]], { dtype: 'int64' }), torch.ones(1, 2, { dtype: 'float64' }))).toThrow(
      'scatter(): Expected self.dtype to be equal to src.dtype',
    );
    expect(() => t.scatterReduce_(0, torch.tensor([[0, 2]], { dtype: 'int64' }), torch.ones(1, 2), 'amax')).toThrow('index 2 is out of bounds');
    expect(t._version).toBe(v);
    expect(t.tolist()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(() => js.scatterReduce!(t, 0, torch.tensor([[0]], { dtype: 'int64' }), torch.ones(1, 1), 'max')).toThrow(
      'reduce argument must be either sum, prod, mean, amax or amin.',
    );
    expect(js.scatterReduce!(t, 0, torch.tensor([[1]], { dtype: 'int64' }), torch.ones(1, 1), 'sum', { includeSelf: 0 }).tolist()).toEqual([
      [0, 0],
      [1, 0],
    ]);
    expect(js.sum!(torch.tensor([1.5, 2.5]), { dtype: 'torch.int32' }).tolist()).toBe(3);
    expect(() => js.sum!(torch.tensor([1]), { dtype: 'float16' })).toThrow(torch.ArgumentTypeError);
    expect(() => js.cumsum!(torch.tensor([1]), 0, { dim: 0 })).toThrow("cumsum() got multiple values for argument 'dim'");
  });
  it('PyTorch keywords a function does not take positionally are refused, not ignored', () => {
    const js = torch as unknown as Record<string, (...a: unknown[]) => torch.Tensor>;
    const x = torch.ones(2, 3);
    for (const fn of ['unsqueeze', 'squeeze', 'flatten', 'transpose']) {
      expect(() => js[fn]!(x, { dim: 0 }), fn).toThrow("argument 'dim' must be int, not object (this function takes dims positionally");
    }
    expect(() => js.unsqueeze!(x, 0.5)).toThrow(torch.ArgumentTypeError);
    expect(() => js.transpose!(x, 0, 2)).toThrow('Dimension out of range (expected to be in range of [-2, 1], but got 2)');
    expect(js.div!(torch.tensor([-7, 7], { dtype: 'int64' }), 2, { roundingMode: 'floor' }).tolist()).toEqual([-4, 3]);
    expect(() => js.div!(x, 2, { rounding_mode: 'floor' })).toThrow("did you mean 'roundingMode'?");
    expect(js.softmax!(x, 1, { dtype: 'float64' }).dtype).toBe('float64');
    expect(() => js.softmax!(x, 1, { dtyp: 'float64' })).toThrow("did you mean 'dtype'?");
  });
});
