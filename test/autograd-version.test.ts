/**
 * Version counters (PyTorch's `Tensor._version`) and the in-place rules: every in-place write
 * counts, views share the counter, backward refuses saved tensors changed since they were saved,
 * and a leaf that requires grad may be written only under noGrad. Messages as torch 1.13's.
 */

import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { beginInplace } from '../src/tensor/tensor.js';
import { expectError } from './helpers/errors.js';

const list = (t: Tensor | null | undefined): unknown => t?.tolist();
const whh = (m: torch.nn.Module): Tensor => new Map(m.namedParameters()).get('weight_hh_l0')!;
const MODIFIED = 'one of the variables needed for gradient computation has been modified by an inplace operation: ';
const HINT = 'Hint: enable anomaly detection to find the operation that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True).';

describe('_version', () => {
  it('starts at 0, counts copy_ and is shared by views and detach()', () => {
    const t = torch.zeros(2, 3);
    const v = t.view(6);
    const d = t.detach();
    expect(t._version).toBe(0);
    v.copy_(torch.ones(6));
    expect([t._version, v._version, d._version]).toEqual([1, 1, 1]);
    expect(torch.zeros(2)._version).toBe(0);
    expect(t.clone()._version).toBe(0);
  });

  it('views know their base (PyTorch _base)', () => {
    const t = torch.zeros(2, 3);
    expect(t.view(6)._base).toBe(t);
    expect(t.view(6).transpose(0, 0)._base).toBe(t);
    expect(t.detach()._base).toBeNull();
  });

  it('an optimizer step bumps the parameters', () => {
    const lin = new torch.nn.Linear(2, 2);
    const opt = new torch.optim.SGD(lin.parameters(), { lr: 0.1 });
    const v0 = lin.weight._version;
    lin.forward(torch.ones(1, 2)).sum().backward();
    opt.step();
    expect(lin.weight._version).toBe(v0 + 1);
  });

  it('requiresGrad_ does not count', () => {
    const t = torch.zeros(2);
    t.requiresGrad_();
    expect(t._version).toBe(0);
  });
});

describe('saved tensors changed in place', () => {
  it('an intermediate overwritten after it was saved (PyTorch: "which is output 0 of ...")', () => {
    const a = torch.ones([3, 4], { requiresGrad: true });
    const b = a.mul(2);
    const c = b.mul(b);
    b.copy_(torch.zeros(3, 4));
    expect(b.gradFn?.name).toBe('CopyBackwards');
    expectError(
      () => c.sum().backward(),
      torch.RuntimeError,
      `${MODIFIED}[torch.FloatTensor [3, 4]], which is output 0 of torch::autograd::CopyBackwards, is at version 1; expected version 0 instead. ${HINT}`,
    );
    expect(a.grad).toBeNull();
  });

  it("an op's own saved output overwritten (exp saves its result)", () => {
    const l = torch.ones([3, 4], { requiresGrad: true });
    const d = l.mul(1).exp();
    torch.noGrad(() => d.copy_(torch.zeros(3, 4)));
    expectError(
      () => d.sum().backward(),
      torch.RuntimeError,
      `${MODIFIED}[torch.FloatTensor [3, 4]], which is output 0 of ExpBackward0, is at version 1; expected version 0 instead. ${HINT}`,
    );
    expect(l.grad).toBeNull();
  });

  it('a leaf changed under noGrad after use: no "which is output" part', () => {
    const w = torch.ones([3, 4], { requiresGrad: true });
    const z = w.mul(w).sum();
    torch.noGrad(() => w.copy_(torch.full([3, 4], 2)));
    expect(w._version).toBe(1);
    expectError(() => z.backward(), torch.RuntimeError, `${MODIFIED}[torch.FloatTensor [3, 4]] is at version 1; expected version 0 instead. ${HINT}`);
    expect(w.grad).toBeNull();
  });

  it('only what the op saves counts: add saves nothing, so its inputs may change', () => {
    const w = torch.ones(3, { requiresGrad: true });
    const z = w.add(1).sum();
    torch.noGrad(() => w.copy_(torch.zeros(3)));
    z.backward();
    expect(list(w.grad)).toEqual([1, 1, 1]);
  });

  it('a retained graph after an optimizer step refuses the stale weights', () => {
    const lin = new torch.nn.Linear(4, 2);
    const x = torch.ones([3, 4], { requiresGrad: true });
    const opt = new torch.optim.SGD(lin.parameters(), { lr: 0.1 });
    const out = lin.forward(x).sum();
    out.backward({ retainGraph: true });
    opt.step();
    const gx = x.grad!.tolist();
    expectError(() => out.backward(), torch.RuntimeError, `${MODIFIED}[torch.FloatTensor [2, 4]] is at version`);
    expect(x.grad!.tolist()).toEqual(gx);
  });

  it('through an LSTM: a weight changed after forward is refused', () => {
    const lstm = new torch.nn.LSTM(3, 4);
    const x = torch.randn(5, 2, 3);
    const [out] = lstm.forward(x);
    torch.noGrad(() => whh(lstm).copy_(torch.zeros(16, 4)));
    expectError(() => out.sum().backward(), torch.RuntimeError, `${MODIFIED}[torch.FloatTensor [16, 4]] is at version 1; expected version 0 instead.`);
    expect(whh(lstm).grad).toBeNull();
  });
});

describe('in-place on a leaf that requires grad', () => {
  it('raises outside noGrad and changes nothing; works under noGrad', () => {
    const w = torch.tensor([1, 2, 3], { requiresGrad: true });
    expectError(() => w.copy_(torch.zeros(3)), torch.RuntimeError, 'a leaf Variable that requires grad is being used in an in-place operation.');
    expect([list(w), w._version]).toEqual([[1, 2, 3], 0]);
    expectError(() => w.view(3).copy_(torch.zeros(3)), torch.RuntimeError, 'a view of a leaf Variable that requires grad is being used in an in-place operation.');
    expect([list(w), w._version]).toEqual([[1, 2, 3], 0]);
    torch.noGrad(() => w.copy_(torch.zeros(3)));
    expect([list(w), w._version]).toEqual([[0, 0, 0], 1]);
  });

  it('beginInplace is the one call for in-place ops: rules, then the count', () => {
    const w = torch.ones(2, { requiresGrad: true });
    expectError(() => beginInplace(w), torch.RuntimeError, 'a leaf Variable that requires grad is being used in an in-place operation.');
    expect(w._version).toBe(0);
    const t = torch.ones(2);
    beginInplace(t);
    expect(t._version).toBe(1);
  });

  it('copy_ into a non-leaf is recorded: the gradient goes to the source, not the old values', () => {
    const x = torch.ones(3, { requiresGrad: true });
    const src = torch.tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(2);
    y.copy_(src);
    y.mul(torch.tensor([1, 10, 100])).sum().backward();
    expect([list(x.grad), list(src.grad)]).toEqual([
      [0, 0, 0],
      [1, 10, 100],
    ]);
    const z = torch.zeros(3);
    z.copy_(src);
    expect([z.requiresGrad, z.isLeaf, z.gradFn?.name]).toEqual([true, false, 'CopyBackwards']);
  });
});
