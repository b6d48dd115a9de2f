/**
 * Flatten, Unflatten, ModuleDict, ParameterDict as PyTorch 1.13's (messages and reprs below were
 * printed by PyTorch 1.13: `nn.Unflatten(1, (2, 2))(torch.zeros(3, 5))`, `repr(nn.Flatten())`, ...).
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import type { TorchletError } from '../src/index.js';

const { nn } = torch;

describe('Flatten / Unflatten', () => {
  it('shapes, views, gradients and reprs', () => {
    const x = torch.randn(2, 3, 4, { requiresGrad: true });
    const f = new nn.Flatten();
    const y = f.forward(x);
    expect(y.shape).toEqual([2, 12]);
    expect(y.storage).toBe(x.storage);
    expect(new nn.Flatten(0, 1).forward(x).shape).toEqual([6, 4]);
    const u = new nn.Unflatten(1, [3, -1]);
    const z = u.forward(y);
    expect(z.shape).toEqual([2, 3, 4]);
    z.sum().backward();
    expect(x.grad!.shape).toEqual([2, 3, 4]);
    expect(String(f)).toBe('Flatten(start_dim=1, end_dim=-1)');
    expect(String(new nn.Unflatten(1, [2, 3]))).toBe('Unflatten(dim=1, unflattened_size=(2, 3))');
  });
  it("PyTorch's errors", () => {
    expect(() => new nn.Unflatten(1, [2, 2]).forward(torch.zeros(3, 5))).toThrow(
      "unflatten: Provided sizes [2, 2] don't multiply up to the size of dim 1 (5) in the input tensor",
    );
    expect(() => new nn.Flatten(2, 1).forward(torch.zeros(2, 3, 4))).toThrow(
      'flatten() has invalid args: start_dim cannot come after end_dim',
    );
  });
});

describe('ModuleDict / ParameterDict', () => {
  it('register children and parameters in insertion order, under their names', () => {
    const heads = new nn.ModuleDict({ cls: new nn.Linear(4, 3), reg: new nn.Linear(4, 1) });
    expect(Object.keys(heads.stateDict())).toEqual(['cls.weight', 'cls.bias', 'reg.weight', 'reg.bias']);
    expect([...heads]).toEqual(['cls', 'reg']);
    expect(heads.get('reg').forward(torch.zeros(2, 4)).shape).toEqual([2, 1]);
    heads.set('aux', new nn.Linear(4, 2));
    expect(heads.length).toBe(3);
    heads.pop('cls');
    expect(heads.keys()).toEqual(['reg', 'aux']);
    expect(heads.parameters().length).toBe(4);
    const e = (() => {
      try {
        heads.get('x');
      } catch (err) {
        return err as TorchletError;
      }
      return null;
    })();
    expect(e?.message).toBe("'x'");
    expect(e?.pytorchType).toBe('KeyError');

    const pd = new nn.ParameterDict({ a: new nn.Parameter(torch.ones(2)) });
    pd.set('b', new nn.Parameter(torch.zeros(3)));
    expect(Object.keys(pd.stateDict())).toEqual(['a', 'b']);
    const opt = new torch.optim.SGD(pd.parameters(), { lr: 0.1 });
    pd.get('a').sum().backward();
    opt.step();
    expect(pd.get('a').tolist()).toEqual([0.9, 0.9].map(Math.fround));
  });
  it('a model holding them saves and loads its state dict', () => {
    class Net extends nn.Module {
      heads = this.registerModule('heads', new nn.ModuleDict({ a: new nn.Linear(2, 2) }));
      extra = this.registerModule('extra', new nn.ParameterDict({ scale: new nn.Parameter(torch.ones(1)) }));
      forward(x: torch.Tensor): torch.Tensor {
        return this.heads.get('a').forward(x).mul(this.extra.get('scale'));
      }
    }
    const a = new Net();
    const b = new Net();
    b.loadStateDict(a.stateDict());
    const x = torch.randn(3, 2);
    expect(b.forward(x).tolist()).toEqual(a.forward(x).tolist());
    expect(Object.keys(a.stateDict())).toEqual(['heads.a.weight', 'heads.a.bias', 'extra.scale']);
  });
});
