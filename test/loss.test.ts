/**
 * Losses against PyTorch (fixtures from tools/fixtures/losses.py): each loss in functional and
 * module form over its options and reductions, value and gradients (input, and float targets
 * where PyTorch computes them). Then PyTorch's errors and warnings for bad targets.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { expectClose, loadFixture, TOL } from './helpers/fixtures.js';

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
  const o = { ...c.options, weight, posWeight };
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
