/**
 * Autograd's rules as PyTorch 1.13's (messages checked against torch 1.13 by hand, see
 * tools/fixtures/autograd.py for the numbers): backward frees the graph, retainGraph keeps it,
 * backward's arguments, and torch.autograd.grad / torch.autograd.backward. Every error case also
 * checks that no .grad changed.
 */

import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { expectError } from './helpers/errors.js';

const list = (t: Tensor | null | undefined): unknown => t?.tolist();
const whh = (m: torch.nn.Module): Tensor => new Map(m.namedParameters()).get('weight_hh_l0')!;
const TWICE =
  'Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.';

describe('backward frees the graph (PyTorch: retain_graph=False)', () => {
  it('a second backward through an op that saved tensors raises, and leaves .grad as it was', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(x).sum();
    y.backward();
    expect(list(x.grad)).toEqual([2, 4, 6]);
    const e = expectError(() => y.backward(), torch.RuntimeError, TWICE, 'RuntimeError');
    expect(e.message).toContain('retainGraph: true');
    expect(list(x.grad)).toEqual([2, 4, 6]);
  });

  it('ops that saved no tensor may run again, as in PyTorch (add, sum, views)', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const y = x.add(1).reshape(3, 1).sum();
    y.backward();
    y.backward();
    expect(list(x.grad)).toEqual([2, 2, 2]);
  });

  it('any part of a freed graph raises: a new loss built on a freed intermediate', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const w = torch.tensor([1, 1, 1], { requiresGrad: true });
    const p = x.mul(w);
    p.sum().backward();
    const z = p.mul(1).sum().add(x.mul(x).sum());
    expectError(() => z.backward(), torch.RuntimeError, TWICE);
    // PyTorch 1.13 gives the same: x.grad [1, 1, 1], w.grad [1, 2, 3] (from the first backward).
    expect([list(x.grad), list(w.grad)]).toEqual([
      [1, 1, 1],
      [1, 2, 3],
    ]);
  });

  it('retainGraph keeps it: two backwards accumulate, the third (after one without) raises', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const z = x.mul(x).sum();
    z.backward({ retainGraph: true });
    z.backward();
    expect(list(x.grad)).toEqual([4, 8, 12]);
    expectError(() => z.backward(), torch.RuntimeError, TWICE);
    expect(list(x.grad)).toEqual([4, 8, 12]);
  });

  it('backward(gradient, { retainGraph }) in PyTorch order', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const y = x.mul(x);
    y.backward(torch.tensor([1, 10]), { retainGraph: true });
    y.backward(torch.tensor([1, 0]));
    expect(list(x.grad)).toEqual([4, 40]);
  });

  it('autograd.grad frees the graph too', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const z = x.mul(x).sum();
    torch.autograd.grad(z, x);
    expectError(() => z.backward(), torch.RuntimeError, TWICE);
    expect(x.grad).toBeNull();
  });

  it('through an LSTM: twice with retainGraph works and accumulates; without, the second raises', () => {
    torch.manualSeed(0);
    const lstm = new torch.nn.LSTM(3, 4);
    const x = torch.randn(5, 2, 3, { requiresGrad: true });
    const [out] = lstm.forward(x);
    const loss = out.sum();
    loss.backward({ retainGraph: true });
    const once = [...whh(lstm).grad!.toFloat32Array()];
    const gx = [...x.grad!.toFloat32Array()];
    loss.backward();
    const twice = [...whh(lstm).grad!.toFloat32Array()];
    expect(twice.map((v, i) => Math.abs(v - 2 * once[i]!)).every((d) => d < 1e-5)).toBe(true);
    expect([...x.grad!.toFloat32Array()].map((v, i) => Math.abs(v - 2 * gx[i]!)).every((d) => d < 1e-5)).toBe(true);
    const before = whh(lstm).grad!.tolist();
    expectError(() => loss.backward(), torch.RuntimeError, TWICE);
    expect(whh(lstm).grad!.tolist()).toEqual(before);
  });
});

describe('backward arguments', () => {
  it('a non-scalar output needs a gradient', () => {
    const x = torch.ones([2, 2], { requiresGrad: true });
    expectError(() => x.mul(2).backward(), torch.RuntimeError, 'grad can be implicitly created only for scalar outputs');
    expectError(() => x.mul(2).backward({ retainGraph: true }), torch.RuntimeError, 'grad can be implicitly created only for scalar outputs');
    expect(x.grad).toBeNull();
  });

  it('a gradient of the wrong shape', () => {
    const x = torch.ones([3, 4], { requiresGrad: true });
    expectError(
      () => x.mul(2).backward(torch.ones(2)),
      torch.ShapeError,
      'Mismatch in shape: grad_output[0] has a shape of torch.Size([2]) and output[0] has a shape of torch.Size([3, 4]).',
    );
    expect(x.grad).toBeNull();
  });

  it('a tensor that does not require grad', () => {
    expectError(() => torch.ones([3, 4]).sum().backward(), torch.RuntimeError, 'element 0 of tensors does not require grad and does not have a grad_fn');
  });

  it('options are checked: a snake_case key, a wrong type, a non-object', () => {
    const x = torch.ones(2, { requiresGrad: true });
    const y = x.mul(x).sum();
    expectError(() => y.backward({ retain_graph: true } as never), torch.OptionError, "Tensor.backward: unexpected option 'retain_graph'; did you mean 'retainGraph'?");
    expectError(() => y.backward(null, { retainGraph: 'yes' } as never), torch.OptionError, "Tensor.backward: option 'retainGraph' must be boolean (true/false or 0/1), not string ('yes')");
    expectError(() => y.backward(5 as never), TypeError, "backward(): argument 'gradient' (position 1) must be Tensor, not number");
    expectError(() => y.backward([1] as never), torch.ArgumentTypeError, "backward(): argument 'gradient' (position 1) must be Tensor, not array");
    expect(x.grad).toBeNull();
    y.backward(null, { retainGraph: 1 as never });
    y.backward();
    expect(list(x.grad)).toEqual([4, 4]);
  });
});

describe('torch.autograd.grad', () => {
  it('returns the gradients without touching .grad', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const w = torch.tensor([2, 2, 2], { requiresGrad: true });
    const [gx, gw] = torch.autograd.grad(x.mul(w).sum(), [x, w]);
    expect([list(gx), list(gw)]).toEqual([
      [2, 2, 2],
      [1, 2, 3],
    ]);
    expect([x.grad, w.grad]).toEqual([null, null]);
    expect(gx!.requiresGrad).toBe(false);
  });

  it('takes gradOutputs for non-scalar outputs, one per output', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const a = x.mul(2);
    const b = x.mul(x);
    const [g] = torch.autograd.grad([a, b], [x], { gradOutputs: [torch.ones(3), torch.tensor([1, 0, 2])] });
    expect(list(g)).toEqual([4, 2, 14]);
    const [g1] = torch.autograd.grad(x.mul(2), x, { gradOutputs: torch.ones(3) });
    expect(list(g1)).toEqual([2, 2, 2]);
  });

  it('an intermediate as input: its gradient, computed no further', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(2);
    const [g] = torch.autograd.grad(y.mul(y).sum(), y);
    expect(list(g)).toEqual([4, 8, 12]);
    // y's own node did not run (PyTorch runs only what leads to the inputs): x's graph is intact.
    y.sum().backward();
    expect(list(x.grad)).toEqual([2, 2, 2]);
  });

  it('retainGraph lets it run twice', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const z = x.mul(x).sum();
    torch.autograd.grad(z, x, { retainGraph: true });
    expect(list(torch.autograd.grad(z, x)[0])).toEqual([2, 4, 6]);
  });

  it('PyTorch errors: unused input, input not requiring grad, count mismatch, non-scalar', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const other = torch.ones(1, { requiresGrad: true });
    expectError(
      () => torch.autograd.grad(x.mul(2).sum(), [x, other]),
      torch.RuntimeError,
      'One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.',
    );
    expectError(() => torch.autograd.grad(x.mul(2).sum(), [x, torch.ones(2)]), torch.RuntimeError, 'One of the differentiated Tensors does not require grad');
    expectError(() => torch.autograd.grad([x.mul(2), x.mul(3)], [x], { gradOutputs: [torch.ones(3)] }), torch.RuntimeError, 'got 2 tensors and 1 gradients');
    expectError(() => torch.autograd.grad(x.mul(2), [x]), torch.RuntimeError, 'grad can be implicitly created only for scalar outputs');
    expectError(() => torch.autograd.grad(x.mul(2).sum(), [x], { allow_unused: true } as never), torch.OptionError, "autograd.grad: unexpected option 'allow_unused'; did you mean 'allowUnused'?");
    expectError(() => torch.autograd.grad(x.mul(2).sum(), [1] as never), torch.ArgumentTypeError, "autograd.grad(): argument 'inputs' must be a Tensor or a list of Tensors, not number at index 0");
    expect([x.grad, other.grad]).toEqual([null, null]);
  });

  it('allowUnused gives null for an unused input', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const other = torch.ones(1, { requiresGrad: true });
    const [gx, go] = torch.autograd.grad(x.mul(2).sum(), [x, other], { allowUnused: true });
    expect([list(gx), go]).toEqual([[2, 2, 2], null]);
  });

  it('createGraph: the gradient can be differentiated again (d²/dx² x³ = 6x)', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const [gx] = torch.autograd.grad(x.mul(x).mul(x).sum(), x, { createGraph: true });
    expect(list(gx)).toEqual([3, 12, 27]);
    expect(gx!.requiresGrad).toBe(true);
    gx!.sum().backward();
    expect(list(x.grad)).toEqual([6, 12, 18]);
  });

  it('createGraph through an op whose backward is not recorded raises instead of cutting the graph', () => {
    const lin = new torch.nn.Linear(3, 2);
    const x = torch.ones([1, 3], { requiresGrad: true });
    expectError(
      () => torch.autograd.grad(lin.forward(x).sum(), x, { createGraph: true }),
      torch.RuntimeError,
      "torchlet cannot differentiate AddmmBackward0 twice: its backward is computed outside the graph, so createGraph (PyTorch's create_graph=True) through it is not supported.",
    );
    const lstm = new torch.nn.LSTM(3, 2);
    const [out] = lstm.forward(torch.ones([2, 1, 3]));
    expectError(() => out.sum().backward({ createGraph: true }), torch.RuntimeError, 'torchlet cannot differentiate LstmLayerBackward0 twice');
    for (const p of lstm.parameters()) expect(p.grad).toBeNull();
    // A linear-in-gradient op (index_select) is fine while the incoming gradient has no history.
    const w = torch.tensor([1, 2, 3], { requiresGrad: true });
    const [g] = torch.autograd.grad(w.indexSelect(0, [0, 0, 2]).sum(), w, { createGraph: true });
    expect(list(g)).toEqual([2, 0, 1]);
  });

  it('torch.autograd.backward sums several roots', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    torch.autograd.backward([x.mul(2).sum(), x.mul(x)], [null, torch.tensor([1, 1])]);
    expect(list(x.grad)).toEqual([4, 6]);
  });
});
