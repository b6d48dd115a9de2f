/**
 * BCELoss, HuberLoss, SmoothL1Loss, KLDivLoss, CosineEmbeddingLoss against PyTorch 1.13 (fixture:
 * tools/fixtures/more_losses.py): values and gradients in float64 (input, second input, and the
 * target where PyTorch differentiates it), every reduction, the modules as the functional forms,
 * and PyTorch's error for each bad argument.
 */
import { describe, expect, it, vi } from 'vitest';
import * as torch from '../src/index.js';
import { expectPyTorchError } from './helpers/errors.js';
import { expectClose, loadFixture, TOL } from './helpers/fixtures.js';

const F = torch.nn.functional;
type Opts = Record<string, unknown>;
interface Case {
  name: string;
  fn: 'binaryCrossEntropy' | 'huberLoss' | 'smoothL1Loss' | 'klDiv' | 'cosineEmbeddingLoss';
  options: Opts;
  x2: boolean;
  weight: boolean;
  targetGrad: boolean;
}
const fx = loadFixture<{ cases: Case[]; errors: { name: string; type: string; message: string }[] }>('more_losses');

function leaf(t: torch.Tensor, grad: boolean): torch.Tensor {
  const c = t.clone();
  if (grad) c.requiresGrad_(true);
  return c;
}

function call(c: Case, x: torch.Tensor, t: torch.Tensor, x2: torch.Tensor | null, weight: torch.Tensor | null): torch.Tensor {
  const o = { ...c.options } as never;
  switch (c.fn) {
    case 'binaryCrossEntropy':
      return F.binaryCrossEntropy(x, t, { ...(o as Opts), weight });
    case 'huberLoss':
      return F.huberLoss(x, t, o);
    case 'smoothL1Loss':
      return F.smoothL1Loss(x, t, o);
    case 'klDiv':
      return F.klDiv(x, t, o);
    case 'cosineEmbeddingLoss':
      return F.cosineEmbeddingLoss(x, x2!, t, o);
  }
}

function moduleFor(c: Case, weight: torch.Tensor | null): { forward(...a: torch.Tensor[]): torch.Tensor } {
  const o = c.options as never;
  switch (c.fn) {
    case 'binaryCrossEntropy':
      return new torch.nn.BCELoss({ ...(c.options as Opts), weight });
    case 'huberLoss':
      return new torch.nn.HuberLoss(o);
    case 'smoothL1Loss':
      return new torch.nn.SmoothL1Loss(o);
    case 'klDiv':
      return new torch.nn.KLDivLoss(o);
    case 'cosineEmbeddingLoss':
      return new torch.nn.CosineEmbeddingLoss(o);
  }
}

describe('values and gradients match PyTorch', () => {
  const quiet = vi.spyOn(console, 'warn').mockImplementation(() => {});
  for (const c of fx.cases.cases) {
    it(`${c.name}: ${c.fn}(${JSON.stringify(c.options)})`, () => {
      const x = leaf(fx.get(`${c.name}.x`), true);
      const t = leaf(fx.get(`${c.name}.t`), c.targetGrad);
      const x2 = c.x2 ? leaf(fx.get(`${c.name}.x2`), true) : null;
      const weight = c.weight ? fx.get(`${c.name}.weight`) : null;
      const out = call(c, x, t, x2, weight);
      expectClose(out, fx.get(`${c.name}.out`), TOL.f64, 'out');
      out.mul(fx.get(`${c.name}.up`)).sum().backward();
      expectClose(x.grad, fx.get(`${c.name}.grad.x`), TOL.f64, 'grad x');
      if (x2) expectClose(x2.grad, fx.get(`${c.name}.grad.x2`), TOL.f64, 'grad x2');
      if (c.targetGrad) expectClose(t.grad, fx.get(`${c.name}.grad.t`), TOL.f64, 'grad target');
      const args = c.x2 ? [x, x2!, t] : [x, t];
      expectClose(moduleFor(c, weight).forward(...args), fx.get(`${c.name}.out`), TOL.f64, 'module');
    });
  }
  it('float32 inputs give float32 losses', () => {
    const x = torch.tensor([0.2, 0.9]);
    expect(F.binaryCrossEntropy(x, torch.tensor([0, 1])).dtype).toBe('float32');
    expect(new torch.nn.HuberLoss().forward(x, torch.tensor([1, 1])).dtype).toBe('float32');
  });
  it("KLDivLoss with reduction 'mean' warns as PyTorch does", () => {
    quiet.mockClear();
    new torch.nn.KLDivLoss().forward(torch.tensor([-1, -2]), torch.tensor([0.5, 0.5]));
    expect(quiet).toHaveBeenCalledWith(expect.stringContaining("'batchmean' divides only by the batch size"));
  });
});

describe("bad arguments get PyTorch's errors", () => {
  const calls: Record<string, () => unknown> = {
    bce_range: () => F.binaryCrossEntropy(torch.tensor([1.5]), torch.tensor([1.0])),
    bce_shape: () => F.binaryCrossEntropy(torch.rand(3), torch.rand(3, 1)),
    huber_delta: () => F.huberLoss(torch.zeros(2), torch.zeros(2), { delta: 0 }),
    smoothl1_beta: () => F.smoothL1Loss(torch.zeros(2), torch.zeros(2), { beta: -1 }),
    reduction: () => F.huberLoss(torch.zeros(2), torch.zeros(2), { reduction: 'avg' as 'mean' }),
    cosemb_target2d: () => F.cosineEmbeddingLoss(torch.zeros(2, 3), torch.zeros(2, 3), torch.ones(2, 1)),
    cosemb_inputs: () => F.cosineEmbeddingLoss(torch.zeros(3), torch.zeros(3), torch.ones(3)),
    cosemb_inputs0d: () => F.cosineEmbeddingLoss(torch.zeros(2, 3), torch.zeros(2, 3), torch.tensor(1.0)),
  };
  for (const c of fx.cases.errors) {
    it(`${c.name}: ${c.message}`, () => {
      expectPyTorchError(calls[c.name], c);
    });
  }
  it('a module with a bad reduction is refused at construction', () => {
    expect(() => new torch.nn.SmoothL1Loss({ reduction: 'avg' as 'mean' })).toThrow('avg is not a valid value for reduction');
  });
});
