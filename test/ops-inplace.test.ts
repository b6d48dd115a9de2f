/**
 * In-place ops: values and gradients of short in-place programs against PyTorch 1.13 (fixture:
 * tools/fixtures/ops_shape.py, `inplace`), through non-leaves and views (CopySlices), and the
 * rules: writes go through views to the base, `_version` counts writes, a tensor autograd saved
 * and changed since fails backward with PyTorch's error, a leaf that requires grad is refused
 * outside noGrad, and a refused op changes nothing.
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { expectClose, loadFixture, TOL } from './helpers/fixtures.js';

interface Cases {
  inplace: { name: string; grads: string[]; grad_fn: string | null }[];
}
const fx = loadFixture<Cases>('ops_shape');
const ip = (k: string) => fx.get(`ip/${k}`);

/** The fixture's programs, spelled in torchlet (see tools/fixtures/ops_shape.py). */
const PROGRAMS: Record<string, (x: Tensor, w: Tensor, v: Tensor) => Tensor> = {
  arith: (x, w, v) => x.mul(1).add_(w, { alpha: 2 }).mul_(w).sub_(v, { alpha: 0.5 }).div_(w.add(3)).pow_(2),
  clamp: (x) => x.mul(3).clamp_(-0.7, 0.9).add_(1),
  view: (x, w, v) => {
    const b = x.mul(1);
    b.index(':', 1).mul_(v.index(':2'));
    b.index(0).add_(w.index(1), { alpha: 3 });
    return b;
  },
  view_leaf_base: (x, _w, v) => {
    const b = torch.zeros(2, 3, { dtype: 'float64' });
    b.index(1, '1:').add_(v.index('1:').mul(2));
    return b.mul_(x);
  },
  fill: (x, w) => {
    const a = x.mul(2);
    a.index(0).fill_(5);
    a.index(1, ':2').zero_();
    return a.mul(w);
  },
  masked: (x, w) => x.add(w).maskedFill_(ip('mask'), -2),
  scatter: (x, _w, v) => x.mul(1).scatter_(0, ip('sidx'), v.reshape(1, 3)),
  index_put: (x, w, v) => {
    const a = x.mul(1);
    a.indexPut_([torch.tensor([0, 1, 1], { dtype: 'int64' }), torch.tensor([2, 0, 0], { dtype: 'int64' })], v, { accumulate: true });
    return a.indexPut_([1], w.index(0));
  },
  index_put_leaf: (x, _w, v) => torch.zeros(4, 3, { dtype: 'float64' }).indexPut_([ip('pidx')], x.index(0).mul(v)),
  fill_tensor: (x, _w, v) => {
    const a = x.mul(1);
    a.index(1).fill_(v.index(2).mul(2));
    return a;
  },
  copy_view: (x, w, v) => {
    const b = x.mul(1);
    b.index(':', 0).copy_(w.index(':', 1).mul(2));
    b.index(1, '1:').copy_(v.index(0));
    return b;
  },
  div_modes: (x, w) => {
    const a = x.mul(10).div_(w.add(2), { roundingMode: 'floor' });
    const b = x.mul(10).div_(3, { roundingMode: 'trunc' });
    return torch.cat([a, b]);
  },
};

describe('in-place programs against PyTorch (values and gradients)', () => {
  for (const c of fx.cases.inplace) {
    it(`${c.name}${c.grad_fn ? ` (${c.grad_fn})` : ''}`, () => {
      const leaves = { x: ip('x').clone().requiresGrad_(), w: ip('w').clone().requiresGrad_(), v: ip('v').clone().requiresGrad_() };
      const y = PROGRAMS[c.name]!(leaves.x, leaves.w, leaves.v);
      expectClose(y, fx.get(`inplace/${c.name}/out`), TOL.f64, 'out');
      if (c.name === 'view' || c.name === 'copy_view') expect(y.gradFn?.name).toBe('CopySlices');
      if (c.grads.length === 0) return;
      y.backward(torch.arange(1, y.numel() + 1).double().reshape(y.shape));
      for (const k of ['x', 'w', 'v'] as const) {
        if (c.grads.includes(k)) expectClose(leaves[k].grad, fx.get(`inplace/${c.name}/grad/${k}`), TOL.f64, `grad ${k}`);
        else expect(leaves[k].grad, `grad ${k}`).toBeNull();
      }
    });
  }
});

describe('in-place rules', () => {
  it('writes through a view into its base, and counts the write in the shared _version', () => {
    const base = torch.zeros(2, 3);
    const col = base.index(':', 1);
    const before = base._version;
    col.add_(2).mul_(3);
    base.index(0).fill_(1);
    expect(base.tolist()).toEqual([
      [1, 1, 1],
      [0, 6, 0],
    ]);
    expect(base._version).toBe(before + 3);
    expect(col._version).toBe(base._version);
  });

  it('every op returns the tensor itself, so calls chain', () => {
    const t = torch.ones(3);
    expect(t.add_(1)).toBe(t);
    for (const r of [t.sub_(1), t.mul_(2), t.div_(2), t.pow_(2), t.clamp_(0, 5), t.clip_(0, 5), t.fill_(1), t.zero_(), t.uniform_(), t.normal_(), t.zero_(), t.maskedFill_(torch.tensor([true, false, true]), 3), t.scatter_(0, torch.tensor([0], { dtype: 'int64' }), 4)]) {
      expect(r).toBe(t);
    }
    expect(t.tolist()).toEqual([4, 0, 3]);
  });

  it('a value autograd saved and changed since makes backward fail with PyTorch\'s error', () => {
    const w = torch.randn(3, { requiresGrad: true });
    const a = w.mul(2);
    const y = a.mul(a); // saves a
    a.add_(1);
    expect(() => y.sum().backward()).toThrow('one of the variables needed for gradient computation has been modified by an inplace operation');
    const b = w.mul(2);
    const e = b.exp(); // saves its output
    e.mul_(2);
    expect(() => e.sum().backward()).toThrow('is at version 1; expected version 0 instead');
  });

  it('a leaf that requires grad (or a view of one) is refused outside noGrad, and changes nothing', () => {
    const w = torch.tensor([1, 2, 3], { requiresGrad: true });
    const calls: [string, () => unknown][] = [
      ['add_', () => w.add_(1)],
      ['fill_', () => w.fill_(0)],
      ['zero_', () => w.zero_()],
      ['uniform_', () => w.uniform_()],
      ['normal_', () => w.normal_()],
      ['maskedFill_', () => w.maskedFill_(torch.tensor([true, true, true]), 0)],
      ['indexPut_', () => w.indexPut_([0], 9)],
    ];
    for (const [name, call] of calls) {
      expect(call, name).toThrow('a leaf Variable that requires grad is being used in an in-place operation');
    }
    expect(() => w.index('1:').fill_(0)).toThrow('a view of a leaf Variable that requires grad');
    expect(w.tolist()).toEqual([1, 2, 3]);
    expect(w._version).toBe(0);
    // The issue's recipe: a forget-gate bias of 1 under noGrad.
    const lstm = new torch.nn.LSTM(2, 3);
    torch.noGrad(() => lstm.bias_ih_l0.index('3:6').fill_(1));
    expect(lstm.bias_ih_l0.index('3:6').tolist()).toEqual([1, 1, 1]);
  });

  it('a refused op (shape, dtype, bad argument) leaves values and _version alone', () => {
    const t = torch.tensor([1, 2, 3]);
    const i = torch.tensor([1, 2, 3], { dtype: 'int64' });
    expect(() => t.add_(torch.ones(2, 3))).toThrow("output with shape [3] doesn't match the broadcast shape [2, 3]");
    expect(() => i.div_(2)).toThrow("result type Float can't be cast to the desired output type Long");
    expect(() => i.mul_(1.5)).toThrow("result type Float can't be cast");
    expect(() => t.scatter_(0, torch.tensor([5], { dtype: 'int64' }), 1)).toThrow();
    expect(() => t.indexPut_([[0, 7]], 1)).toThrow('index 7 is out of bounds for dimension 0 with size 3');
    expect(() => t.uniform_(1, 0)).toThrow('uniform_ expects');
    expect(t.tolist()).toEqual([1, 2, 3]);
    expect(i.tolist()).toEqual([1, 2, 3]);
    expect(t._version).toBe(0);
    expect(i._version).toBe(0);
  });

  it('integer tensors: rounding division and integer operands stay exact', () => {
    const i = torch.tensor([7, -7, 9], { dtype: 'int64' });
    i.div_(2, { roundingMode: 'floor' });
    expect([i.dtype, i.tolist()]).toEqual(['int64', [3, -4, 4]]);
    i.div_(2, { roundingMode: 'trunc' }).add_(5).mul_(3);
    expect(i.tolist()).toEqual([18, 9, 21]);
  });

  it('uniform_ and normal_ take a generator and are reproducible with it', () => {
    const g = () => new torch.Generator().manualSeed(7);
    const a = torch.zeros(5).uniform_(-1, 1, { generator: g() });
    const b = torch.zeros(5).uniform_(-1, 1, { generator: g() });
    expect(a.tolist()).toEqual(b.tolist());
    const c = torch.zeros(5, { dtype: 'float64' }).normal_(3, 2, { generator: g() });
    const d = torch.zeros(5, { dtype: 'float64' }).normal_({ generator: g() });
    expect(c.tolist()).toEqual((d.tolist() as number[]).map((v) => 3 + 2 * v));
    expect(() => torch.zeros(2, { dtype: 'int64' }).uniform_()).toThrow(`"check_uniform_bounds" not implemented for 'Long'`);
  });

  it('fill_/zero_ on a non-leaf cut the gradient to the old values (FillBackward2/ZeroBackward0)', () => {
    const w = torch.ones(2, { requiresGrad: true });
    const a = w.mul(2).fill_(3);
    expect(a.gradFn?.name).toBe('FillBackward2');
    a.sum().backward();
    expect(w.grad!.tolist()).toEqual([0, 0]);
    expect(w.mul(2).zero_().gradFn?.name).toBe('ZeroBackward0');
  });

  it('an operand that requires grad makes a plain tensor part of the graph, as PyTorch', () => {
    const w = torch.tensor([1, 2], { requiresGrad: true });
    const t = torch.zeros(2);
    t.add_(w, { alpha: 3 });
    expect(t.isLeaf).toBe(false);
    t.sum().backward();
    expect(w.grad!.tolist()).toEqual([3, 3]);
  });

  it('indexPut_ is differentiable through the value, with createGraph too', () => {
    const v = torch.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const f = (val: Tensor) => torch.zeros(3, { dtype: 'float64' }).indexPut_([[2, 0]], val.mul(val));
    const [g] = torch.autograd.grad(f(v).sum(), [v], { createGraph: true });
    expect(g!.tolist()).toEqual([2, 4]);
  });
});

describe('graphs recorded before an in-place op keep their edges (PyTorch binds next_edges at record time)', () => {
  it('an op that used the tensor before the write still sends its gradient into the old history', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const a = x.mul(2);
    const y = a.add(1); // AddBackward0 saves nothing, so the write below does not invalidate it
    a.mul_(3);
    y.sum().backward({ retainGraph: true });
    expect(x.grad!.tolist()).toEqual([2, 2]); // PyTorch: 2 (not 6)
    x.grad = null;
    a.sum().backward();
    expect(x.grad!.tolist()).toEqual([6, 6]);
  });
  it('an input that did not require grad when used gets no gradient later', () => {
    const t = torch.ones(2);
    const w = torch.ones(2, { requiresGrad: true });
    const y = t.mul(w);
    t.requiresGrad_();
    y.sum().backward();
    expect(t.grad).toBeNull();
    expect(w.grad!.tolist()).toEqual([1, 1]);
  });
});
