/**
 * Losses against PyTorch (fixtures from tools/fixtures/losses.py): each loss in functional and
 * module form over its options and reductions, value and gradients (input, and float targets
 * where PyTorch computes them). Then PyTorch's errors and warnings for bad targets.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { expectClose, loadFixture, TOL } from './helpers/fixtures.js';
import { expectError } from './helpers/errors.js';

const { nn } = torch;
const F = nn.functional;

type Fn = 'mseLoss' | 'l1Loss' | 'nllLoss' | 'crossEntropy' | 'binaryCrossEntropyWithLogits';
interface LossCase {
  name: string;
  fn: Fn;
  options: { reduction?: 'mean' | 'sum' | 'none'; ignoreIndex?: number; labelSmoothing?: number };
  weight: boolean;
  posWeight: boolean;
  targetGrad: boolean;
}

const fx = loadFixture<LossCase[]>('losses');

function lossFn(c: LossCase, form: 'functional' | 'module'): (x: Tensor, t: Tensor) => Tensor {
  const weight = c.weight ? fx.get(`${c.name}.weight`) : null;
  const posWeight = c.posWeight ? fx.get(`${c.name}.pos_weight`) : null;
  // Only the options this loss takes: a key it does not know is refused (strict options).
  const o = { ...c.options, ...(weight ? { weight } : {}), ...(posWeight ? { posWeight } : {}) };
  if (form === 'functional') {
    switch (c.fn) {
      case 'mseLoss':
        return (x, t) => F.mseLoss(x, t, o);
      case 'l1Loss':
        return (x, t) => F.l1Loss(x, t, o);
      case 'nllLoss':
        return (x, t) => F.nllLoss(x, t, o);
      case 'crossEntropy':
        return (x, t) => F.crossEntropy(x, t, o);
      case 'binaryCrossEntropyWithLogits':
        return (x, t) => F.binaryCrossEntropyWithLogits(x, t, o);
    }
  }
  const m = {
    mseLoss: () => new nn.MSELoss(o),
    l1Loss: () => new nn.L1Loss(o),
    nllLoss: () => new nn.NLLLoss(o),
    crossEntropy: () => new nn.CrossEntropyLoss(o),
    binaryCrossEntropyWithLogits: () => new nn.BCEWithLogitsLoss(o),
  }[c.fn]();
  return (x, t) => m.forward(x, t);
}

describe('losses match PyTorch (value and gradients)', () => {
  const warnSpy = vi.spyOn(console, 'warn').mockImplementation(() => {});
  afterEach(() => warnSpy.mockClear());
  for (const c of fx.cases) {
    for (const form of ['functional', 'module'] as const) {
      it(`${c.name} (${form}): ${c.fn} ${JSON.stringify(c.options)}`, () => {
        const x = fx.get(`${c.name}.input`).clone().requiresGrad_(true);
        const t = fx.get(`${c.name}.target`).clone();
        if (c.targetGrad) t.requiresGrad_(true);
        const out = lossFn(c, form)(x, t);
        expectClose(out, fx.get(`${c.name}.out`), TOL.f32, `${c.name} out`);
        out.mul(fx.get(`${c.name}.up`)).sum().backward();
        expectClose(x.grad, fx.get(`${c.name}.grad.input`), TOL.f32, `${c.name} grad input`);
        if (c.targetGrad) expectClose(t.grad, fx.get(`${c.name}.grad.target`), TOL.f32, `${c.name} grad target`);
      });
    }
  }
});

const int = (v: number[] | number[][]) => torch.tensor(v, { dtype: 'int32' });

describe('loss errors use PyTorch wording and typed errors', () => {
  const logits = torch.zeros(2, 4);
  it('class-index target of the wrong shape', () => {
    expectError(() => F.crossEntropy(torch.zeros(2, 4, 5), int([[0, 1, 2], [0, 1, 2]])), torch.ShapeError, 'Expected target size [2, 5], got [2, 3]');
    expectError(() => F.nllLoss(torch.zeros(2, 3, 2, 2), int([[0, 1], [1, 0]])), torch.ShapeError, 'Expected target size [2, 2, 2], got [2, 2]');
    expectError(() => F.crossEntropy(torch.zeros(2, 4, 5), torch.zeros([3, 5], { dtype: 'int32' })), torch.ValueError, 'Expected input batch_size (2) to match target batch_size (3).', 'ValueError');
    expectError(() => F.crossEntropy(logits, int([0, 1, 2])), torch.ValueError, 'Expected input batch_size (2) to match target batch_size (3).');
    expectError(() => F.crossEntropy(logits, int([[0], [1]])), torch.ShapeError, '0D or 1D target tensor expected, multi-target not supported');
    expectError(() => F.crossEntropy(torch.zeros(4), int([1])), torch.ShapeError, 'size mismatch (got input: [4], target: [1])');
  });
  it('float class-index targets (int64 or int32 here, Long in PyTorch)', () => {
    expectError(() => F.crossEntropy(logits, torch.tensor([1, 0])), torch.DTypeError, 'expected scalar type Long but found Float');
    expectError(() => F.nllLoss(logits, torch.tensor([1, 0], { dtype: 'float64' })), torch.DTypeError, 'expected scalar type Long but found Double');
    expectError(() => F.nllLoss(logits, torch.tensor([true, false])), torch.DTypeError, 'expected scalar type Long but found Bool');
    expectError(() => F.crossEntropy(logits, torch.zeros([2, 4], { dtype: 'int32' })), torch.DTypeError, 'Expected floating point type for target with class probabilities, got Int');
  });
  it('class index out of range', () => {
    expectError(() => F.crossEntropy(logits, int([7, 0])), torch.IndexError, 'Target 7 is out of bounds.', 'IndexError');
    expectError(() => F.nllLoss(logits, int([-1, 0])), torch.IndexError, 'Target -1 is out of bounds.');
    // an ignored target is never range-checked
    expect(F.crossEntropy(logits, int([-100, 0]), { reduction: 'sum' }).item()).toBeCloseTo(Math.log(4), 5);
  });
  it('bad options', () => {
    expectError(() => F.crossEntropy(logits, int([1, 0]), { weight: torch.ones(3) }), torch.ShapeError, 'cross_entropy: weight tensor should be defined either for all 4 classes or no classes but got weight tensor of shape: [3]');
    expectError(() => F.nllLoss(logits, int([1, 0]), { weight: torch.ones(3) }), torch.ShapeError, 'weight tensor should be defined either for all 4 classes or no classes but got weight tensor of shape: [3]');
    expectError(() => F.crossEntropy(logits, int([1, 0]), { labelSmoothing: 1.5 }), torch.RuntimeError, 'label_smoothing must be between 0.0 and 1.0. Got: 1.5');
    expectError(() => F.crossEntropy(logits, torch.zeros(2, 4), { ignoreIndex: 1 }), torch.RuntimeError, 'ignore_index is not supported for floating point target');
    const bad = 'foo' as 'mean';
    for (const f of [
      () => F.mseLoss(logits, logits, { reduction: bad }),
      () => F.l1Loss(logits, logits, { reduction: bad }),
      () => F.nllLoss(logits, int([1, 0]), { reduction: bad }),
      () => F.crossEntropy(logits, int([1, 0]), { reduction: bad }),
      () => F.binaryCrossEntropyWithLogits(logits, logits, { reduction: bad }),
      () => new nn.MSELoss({ reduction: bad }).forward(logits, logits),
    ]) {
      expectError(f, torch.ValueError, 'foo is not a valid value for reduction', 'ValueError');
    }
  });
  it('BCEWithLogits needs the same shape and constant weights', () => {
    expectError(() => F.binaryCrossEntropyWithLogits(torch.zeros(2, 1), torch.zeros(2)), torch.ValueError, 'Target size (torch.Size([2])) must be the same as input size (torch.Size([2, 1]))');
    expectError(() => F.binaryCrossEntropyWithLogits(torch.zeros(2, 3), torch.zeros(2, 3), { posWeight: torch.ones(2) }), torch.ShapeError, 'The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 1');
    expectError(() => F.binaryCrossEntropyWithLogits(torch.zeros(2, 3), torch.zeros(2, 3), { weight: torch.ones(3, { requiresGrad: true }) }), torch.RuntimeError, "The function 'binary_cross_entropy_with_logits' is not differentiable with respect to argument 'weight'. This input cannot have requires_grad True.");
  });
  it('MSE and L1 warn (not throw) when the target broadcasts, and throw when it cannot', () => {
    const spy = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const loss = F.mseLoss(torch.zeros(2, 1), torch.ones(2));
    expect(loss.item()).toBe(1);
    expect(spy).toHaveBeenCalledWith(
      'UserWarning: Using a target size (torch.Size([2])) that is different to the input size (torch.Size([2, 1])). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.',
    );
    spy.mockClear();
    F.l1Loss(torch.zeros(2, 3), torch.ones(2, 3));
    expect(spy).not.toHaveBeenCalled();
    expectError(() => F.mseLoss(torch.zeros(2, 3), torch.zeros(2)), torch.ShapeError, 'The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1');
    spy.mockRestore();
  });
  it('loss modules keep weights as PyTorch-named buffers and print as PyTorch', () => {
    const ce = new nn.CrossEntropyLoss({ weight: torch.ones(3) });
    expect(Object.keys(ce.stateDict())).toEqual(['weight']);
    expect(Object.keys(new nn.BCEWithLogitsLoss({ posWeight: torch.ones(3) }).stateDict())).toEqual(['pos_weight']);
    expect(Object.keys(new nn.CrossEntropyLoss().stateDict())).toEqual([]);
    expect(ce.toString()).toBe('CrossEntropyLoss()');
    expect(new nn.MSELoss().toString()).toBe('MSELoss()');
  });
});
