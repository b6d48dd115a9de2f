/**
 * Views taken before an in-place write to their base (issue 13): PyTorch regenerates such a
 * view's grad_fn (AsStridedBackward0 of the base's new history), so the gradient sees the write.
 * Values and gradients against PyTorch 1.13 (fixture: tools/fixtures/inplace_views.py).
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { expectClose, loadFixture, TOL } from './helpers/fixtures.js';

interface Cases {
  programs: { name: string; grads: string[]; view_fn: string | null }[];
}
const fx = loadFixture<Cases>('inplace_views');

/** The fixture's programs in torchlet: [the view taken before the write, the result]. */
const PROGRAMS: Record<string, (x: Tensor, w: Tensor, v: Tensor) => [Tensor, Tensor]> = {
  index: (x, w, v) => {
    const b = x.mul(1);
    const s = b.index(0);
    b.mul_(w);
    return [s, s.mul(v)];
  },
  transpose: (x, w, v) => {
    const b = x.mul(1);
    const t = b.t();
    b.add_(w).mul_(2);
    return [t, t.mul(v.unsqueeze(1))];
  },
  narrow: (x) => {
    const b = x.mul(1);
    const n = b.narrow(1, 1, 2);
    b.pow_(2);
    return [n, n.mul(3)];
  },
  view_of_view: (x, w) => {
    const b = x.mul(1);
    const ss = b.index(1).index('1:');
    b.mul_(w);
    return [ss, ss];
  },
  other_view: (x, w, v) => {
    const b = x.mul(1);
    const s = b.index(0);
    b.index(':', 1).mul_(v.index(':2'));
    return [s, s.mul(w.index(0))];
  },
  write_stale: (x, w) => {
    const b = x.mul(1);
    const s = b.index(0);
    b.mul_(2);
    s.add_(w.index(0));
    return [s, b];
  },
  leaf_base: (x, w) => {
    const b = torch.zeros(2, 3, { dtype: 'float64' });
    const s = b.index(0);
    b.add_(x);
    return [s, s.mul(w.index(0))];
  },
};

describe('views taken before an in-place write (PyTorch regenerates their grad_fn)', () => {
  it('covers every fixture program', () => {
    expect(fx.cases.programs.map((c) => c.name).sort()).toEqual(Object.keys(PROGRAMS).sort());
  });
  for (const c of fx.cases.programs) {
    it(`${c.name}: values, grad_fn and gradients as PyTorch`, () => {
      const x = fx.get('x').clone().requiresGrad_();
      const w = fx.get('w').clone().requiresGrad_();
      const v = fx.get('v').clone().requiresGrad_();
      const [view, y] = PROGRAMS[c.name]!(x, w, v);
      expect(view.gradFn?.name ?? null).toBe(c.view_fn);
      expect(view.requiresGrad).toBe(c.view_fn !== null);
      expectClose(y, fx.get(`${c.name}/out`), TOL.f64, 'out');
      y.backward(torch.arange(1, y.numel() + 1).double().reshape(y.shape));
      const leaves = { x, w, v };
      for (const k of ['x', 'w', 'v'] as const) {
        if (c.grads.includes(k)) expectClose(leaves[k].grad, fx.get(`${c.name}/grad/${k}`), TOL.f64, `grad ${k}`);
        else expect(leaves[k].grad, `grad ${k}`).toBeNull();
      }
    });
  }

  it('the issue example: b = x.mul(1); v = b.index(0); b.mul_(2) gives x the factor 2', () => {
    const x = torch.tensor([[1, 2], [3, 4]]).requiresGrad_();
    const b = x.mul(1);
    const v = b.index(0);
    b.mul_(2);
    v.sum().backward();
    expect(x.grad!.tolist()).toEqual([[2, 2], [0, 0]]);
  });

  it('a view used before the write keeps its old history in the graph already recorded', () => {
    const x = torch.tensor([1, 2, 3]).requiresGrad_();
    const b = x.mul(1);
    const s = b.index('1:');
    const early = s.mul(10); // recorded before the write: its gradient ignores it
    b.mul_(3);
    const late = s.mul(1); // after: sees the write
    early.add(late).sum().backward();
    expect(x.grad!.tolist()).toEqual([0, 13, 13]);
  });

  it('a write under noGrad (an optimizer step) leaves gradients through the view unchanged', () => {
    const p = torch.tensor([1, 2, 3]).requiresGrad_();
    const s = p.index('1:');
    torch.noGrad(() => p.mul_(5));
    expect(s.gradFn?.name).toBe('AsStridedBackward0');
    s.mul(s).sum().backward();
    expect(p.grad!.tolist()).toEqual([0, 20, 30]);
  });

  it('views of a base that does not require grad stay out of the graph', () => {
    const b = torch.zeros(2, 3);
    const s = b.index(0);
    b.add_(1);
    expect(s.requiresGrad).toBe(false);
    expect(s.gradFn).toBeNull();
  });
});
