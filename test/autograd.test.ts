/**
 * Autograd: accumulation, noGrad, detach, explicit output gradients, views and reused tensors,
 * gradient dtypes, and gradcheck catching a wrong derivative.
 */

import { describe, expect, it } from 'vitest';
import { record } from '../src/autograd/node.js';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';

const list = (t: Tensor | null): unknown => t?.tolist();

describe('backward', () => {
  it('accumulates into .grad across two backward calls, until reset', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    x.mul(x).sum().backward();
    expect(list(x.grad)).toEqual([2, 4, 6]);
    x.mul(x).sum().backward();
    expect(list(x.grad)).toEqual([4, 8, 12]);
    x.grad = null;
    x.mul(3).sum().backward();
    expect(list(x.grad)).toEqual([3, 3, 3]);
  });
  it('takes an explicit gradient for a non-scalar output', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    x.mul(2).backward(torch.tensor([1, 0.5, 2]));
    expect(list(x.grad)).toEqual([2, 1, 4]);
  });
  it("refuses a non-scalar output without one, with PyTorch's message", () => {
    const y = torch.ones(3, { requiresGrad: true }).mul(2);
    expect(() => y.backward()).toThrow(torch.RuntimeError);
    expect(() => y.backward()).toThrow(/^grad can be implicitly created only for scalar outputs\n.*y\.sum\(\)\.backward\(\)/);
  });
  it('a leaf can be the root', () => {
    const x = torch.ones(2, { requiresGrad: true });
    x.backward(torch.tensor([3, 4]));
    expect(list(x.grad)).toEqual([3, 4]);
  });
  it('fills .grad of leaves only, detached and owning its storage', () => {
    const a = torch.tensor([1, 2], { requiresGrad: true });
    const b = torch.tensor([3, 4], { requiresGrad: true });
    const h = a.add(b);
    h.sum().backward();
    expect(h.grad).toBeNull();
    expect([a.grad!.requiresGrad, a.grad!.gradFn]).toEqual([false, null]);
    expect(a.grad!.storage).not.toBe(b.grad!.storage);
  });
  it('does not reach tensors that do not require grad, nor through detach', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const c = torch.tensor([5, 6]);
    x.detach().mul(c).add(x).sum().backward();
    expect([list(x.grad), c.grad]).toEqual([[1, 1], null]);
  });
  it('runs twice over the same graph with retainGraph, accumulating (PyTorch: retain_graph=True)', () => {
    const x = torch.tensor([2], { requiresGrad: true });
    const y = x.mul(x).sum();
    y.backward({ retainGraph: true });
    y.backward();
    expect(list(x.grad)).toEqual([8]);
  });
});

describe('gradients through views and reused tensors', () => {
  it('sums the paths of a tensor used several times', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    x.mul(x).mul(x).sum().backward(); // d x³ = 3x²
    expect(list(x.grad)).toEqual([3, 12, 27]);
  });
  it('a diamond: h = tanh(x) feeds two branches', () => {
    const x = torch.tensor([0.5, -1], { requiresGrad: true, dtype: 'float64' });
    const h = x.tanh();
    h.mul(h).add(h).sum().backward();
    const want = [0.5, -1].map((v) => (2 * Math.tanh(v) + 1) * (1 - Math.tanh(v) ** 2));
    x.grad!.toFloat32Array().forEach((g, i) => {
      expect(g).toBeCloseTo(want[i]!, 6);
    });
  });
  it('views of one tensor: transpose, reshape, narrow, unsqueeze, expand', () => {
    const x = torch.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true },
    );
    const loss = x
      .t()
      .sum()
      .mul(2)
      .add(x.reshape(-1).mul(x.reshape(4)).sum())
      .add(x.narrow(0, 0, 1).mul(x.narrow(0, 1, 1)).sum())
      .add(x.unsqueeze(0).expand(3, 2, 2).sum());
    loss.backward();
    // 2 + 2x + (other row) + 3
    expect(list(x.grad)).toEqual([
      [2 + 2 + 3 + 3, 2 + 4 + 4 + 3],
      [2 + 6 + 1 + 3, 2 + 8 + 2 + 3],
    ]);
  });
  it('split pieces share one node; unused pieces get zeros', () => {
    const x = torch.tensor([1, 2, 3, 4, 5], { requiresGrad: true });
    const [a, , c] = x.split(2);
    a!.sum().add(c!.mul(3).sum()).backward();
    expect(list(x.grad)).toEqual([1, 1, 0, 0, 3]);
  });
});

describe('noGrad, enableGrad, detach', () => {
  it('noGrad records nothing and restores the mode, even when fn throws', () => {
    const x = torch.ones(2, { requiresGrad: true });
    const y = torch.noGrad(() => {
      expect(torch.isGradEnabled()).toBe(false);
      return x.mul(2).tanh();
    });
    expect([y.requiresGrad, y.gradFn]).toEqual([false, null]);
    const d = torch.detach(x.mul(2));
    expect([d.requiresGrad, d.gradFn, d.tolist()]).toEqual([false, null, [2, 2]]);
    expect(() =>
      torch.noGrad(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(torch.isGradEnabled()).toBe(true);
  });
  it('enableGrad records inside noGrad', () => {
    const x = torch.ones(2, { requiresGrad: true });
    const y = torch.noGrad(() => torch.enableGrad(() => x.mul(2)));
    expect(y.gradFn?.name).toBe('MulBackward0');
  });
});

describe('dtypes', () => {
  it('a gradient has its input dtype', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const s = torch.tensor(3, { dtype: 'float64', requiresGrad: true });
    const y = x.mul(s);
    expect(y.dtype).toBe('float32');
    y.sum().backward();
    expect([x.grad!.dtype, s.grad!.dtype, list(x.grad), list(s.grad)]).toEqual(['float32', 'float64', [3, 3], 3]);
  });
});

describe('gradcheck', () => {
  it('passes a correct op and catches a wrong derivative', () => {
    const x = torch.tensor([0.3, -0.7, 1.1], { dtype: 'float64', requiresGrad: true });
    expect(torch.autograd.gradcheck((t) => t.tanh().mul(t), [x])).toBe(true);
    // y = 2x, but the recorded backward claims 3g.
    const wrong = (t: Tensor): Tensor => record('WrongBackward', [t], torch.noGrad(() => t.mul(2)), ([g]) => [g!.mul(3)]);
    expect(torch.autograd.gradcheck(wrong, [x], { raiseException: false })).toBe(false);
    expect(() => torch.autograd.gradcheck(wrong, [x])).toThrow(torch.RuntimeError);
  });
});
