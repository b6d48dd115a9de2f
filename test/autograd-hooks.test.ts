/**
 * Tensor hooks (registerHook), retainGrad, reading .grad of a non-leaf, detach_ and
 * requiresGrad_, as PyTorch 1.13 (behaviour and messages checked against torch 1.13 by hand; the
 * numbers of hooks and retainGrad through real graphs are in autograd-golden.test.ts).
 */

import { afterEach, describe, expect, it, vi } from 'vitest';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { expectError } from './helpers/errors.js';

const list = (t: Tensor | null | undefined): unknown => t?.tolist();

afterEach(() => {
  vi.restoreAllMocks();
});

describe('registerHook', () => {
  it('a leaf hook runs once, on the summed gradient, before .grad accumulates', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const seen: unknown[] = [];
    x.registerHook((g) => {
      seen.push(g.tolist());
      return g.mul(3);
    });
    x.mul(x).add(x).sum().backward();
    expect(seen).toEqual([[3, 5, 7]]);
    expect(list(x.grad)).toEqual([9, 15, 21]);
  });

  it('a hook returning nothing leaves the gradient; remove() unregisters (twice is harmless)', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    let calls = 0;
    const h = x.registerHook(() => {
      calls++;
    });
    x.mul(2).sum().backward();
    h.remove();
    h.remove();
    x.mul(2).sum().backward();
    expect([calls, list(x.grad)]).toEqual([1, [4, 4]]);
  });

  it('on a non-leaf: the replacement flows on to the inputs', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const y = x.mul(2);
    y.registerHook((g) => g.mul(10));
    y.sum().backward();
    expect(list(x.grad)).toEqual([20, 20]);
  });

  it('autograd.grad runs no leaf hook and no hook of an input tensor (PyTorch 1.13)', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    let leafCalls = 0;
    x.registerHook((g) => {
      leafCalls++;
      return g.mul(100);
    });
    const [g] = torch.autograd.grad(x.mul(x).sum(), x);
    expect([leafCalls, list(g), x.grad]).toEqual([0, [2, 4, 6], null]);
    const y = x.mul(2);
    let yCalls = 0;
    y.registerHook((gy) => {
      yCalls++;
      return gy.mul(10);
    });
    const [gy] = torch.autograd.grad(y.mul(y).sum(), y);
    expect([yCalls, list(gy)]).toEqual([0, [4, 8, 12]]);
    // An intermediate's hook still runs when autograd.grad passes through it.
    const z = x.mul(2);
    z.registerHook((gz) => gz.mul(10));
    expect(list(torch.autograd.grad(z.mul(z).sum(), x)[0])).toEqual([80, 160, 240]);
  });

  it('errors: a tensor that does not require grad, a non-function, a hook that changes the size', () => {
    expectError(() => torch.ones(2).registerHook((g) => g), torch.RuntimeError, "cannot register a hook on a tensor that doesn't require gradient");
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    expectError(() => x.registerHook(null as never), TypeError, "registerHook(): argument 'hook' (position 1) must be a function, not null");
    const y = x.mul(2);
    y.registerHook(function resize() {
      return torch.ones(2);
    });
    expectError(() => y.sum().backward(), torch.RuntimeError, "hook 'resize' has changed the size of value");
    expect(x.grad).toBeNull();
  });
});

describe('retainGrad', () => {
  it('keeps a non-leaf gradient in .grad, accumulating; a no-op on leaves', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(2);
    y.retainGrad();
    expect([y.retainsGrad, x.retainsGrad]).toEqual([true, false]);
    const z = y.mul(y).sum();
    z.backward({ retainGraph: true });
    expect(list(y.grad)).toEqual([4, 8, 12]);
    z.backward();
    expect(list(y.grad)).toEqual([8, 16, 24]);
    x.retainGrad();
    expect(x.retainsGrad).toBe(false);
  });

  it('also during autograd.grad (PyTorch 1.13), without touching leaves', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(2);
    y.retainGrad();
    torch.autograd.grad(y.mul(y).sum(), x);
    expect([list(y.grad), x.grad]).toEqual([[4, 8, 12], null]);
  });

  it('refuses a tensor that does not require grad', () => {
    expectError(() => torch.ones(3).retainGrad(), torch.RuntimeError, "can't retain_grad on Tensor that has requires_grad=False");
  });
});

describe('.grad of a non-leaf', () => {
  it("is null with PyTorch's UserWarning (once per tensor)", () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const x = torch.ones(2, { requiresGrad: true });
    const y = x.mul(2);
    y.sum().backward();
    expect(y.grad).toBeNull();
    expect(y.grad).toBeNull();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(
      /^UserWarning: The \.grad attribute of a Tensor that is not a leaf Tensor is being accessed\. Its \.grad attribute won't be populated during autograd\.backward\(\)\./,
    );
    expect(x.grad).not.toBeNull();
    expect(warn).toHaveBeenCalledTimes(1);
  });
});

describe('detach_ and requiresGrad_', () => {
  it('detach_ turns a non-leaf into a leaf that does not require grad', () => {
    const x = torch.ones(2, { requiresGrad: true });
    const y = x.mul(2);
    expect(y.detach_()).toBe(y);
    expect([y.requiresGrad, y.gradFn, y.isLeaf]).toEqual([false, null, true]);
  });

  it('detach_ refuses views, as PyTorch', () => {
    const x = torch.ones([2, 2], { requiresGrad: true });
    const v = x.view(4);
    expectError(() => v.detach_(), torch.RuntimeError, "Can't detach views in-place. Use detach() instead.");
    expect(v.requiresGrad).toBe(true);
    expectError(() => torch.ones(3).view(3).detach_(), torch.RuntimeError, "Can't detach views in-place.");
  });

  it('requiresGrad_(false) on a non-leaf is refused; requiresGrad_() on it is a no-op', () => {
    const x = torch.ones(2, { requiresGrad: true });
    const y = x.mul(2);
    expectError(
      () => y.requiresGrad_(false),
      torch.RuntimeError,
      "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().",
    );
    expect(y.requiresGrad_().requiresGrad).toBe(true);
    expect(y.gradFn).not.toBeNull();
  });
});
