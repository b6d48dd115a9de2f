/**
 * Module methods of issue 12: zeroGrad({ setToNone }), requiresGrad_, to(dtype | 'cpu' | options),
 * float/double/cpu/cuda, getSubmodule, train's check; children/modules/apply/extraRepr keep
 * working. Error texts are PyTorch 1.13's (tools/fixtures/modules.py).
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { nn, TorchletError } from '../src/index.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { expectError } from './helpers/errors.js';
import { loadFixture } from './helpers/fixtures.js';

const fx = loadFixture<{ errors: Record<string, { type: string; message: string }> }>('modules');
const pyMessage = (name: string): string => fx.cases.errors[name]!.message;

class Model extends nn.Module {
  lstm = new nn.LSTM(3, 4);
  norm = new nn.BatchNorm1d(4);
  head = new nn.Linear(4, 2);
  forward(x: Tensor): Tensor {
    const [out] = this.lstm.forward(x);
    return this.head.forward(this.norm.forward(out.squeeze(1)));
  }
}

function trained(): Model {
  torch.manualSeed(0);
  const m = new Model();
  m.forward(torch.randn(5, 1, 3)).sum().backward();
  return m;
}

/** Values, dtypes and grads of everything, to check that a refused call changed nothing. */
function snapshot(m: torch.nn.Module): unknown {
  const state: unknown[] = Object.entries(m.stateDict()).map(([k, t]) => [k, t.dtype, [...t.contiguousData()]]);
  return state.concat(m.parameters().map((p) => [p.requiresGrad, p.grad === null ? null : [...p.grad.contiguousData()]]));
}

describe('Module methods', () => {
  it("zeroGrad(): gradients become null (PyTorch 2's default set_to_none=True)", () => {
    const m = trained();
    expect(m.parameters().every((p) => p.grad !== null)).toBe(true);
    m.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('zeroGrad({ setToNone: false }): the same gradient tensors, filled with zeros', () => {
    const m = trained();
    const grads = m.parameters().map((p) => p.grad);
    m.zeroGrad({ setToNone: false });
    m.parameters().forEach((p, i) => {
      expect(p.grad).toBe(grads[i]);
      expect([...p.grad!.contiguousData()].every((v) => v === 0)).toBe(true);
    });
    // Accumulates from zero afterwards, into the same tensors (PyTorch's AccumulateGrad adds in place).
    m.forward(torch.randn(5, 1, 3)).sum().backward();
    expect(m.head.bias!.grad!.tolist()).toEqual([5, 5]);
    expect(m.parameters().every((p, i) => p.grad === grads[i])).toBe(true);
    m.forward(torch.randn(5, 1, 3)).sum().backward();
    expect(m.head.bias!.grad!.tolist()).toEqual([10, 10]);
    expect(m.parameters().every((p, i) => p.grad === grads[i])).toBe(true);
  });

  it('optimizer.zeroGrad(false) and zeroGrad({ setToNone: false }) zero in place; backward accumulates into those tensors', () => {
    const m = trained();
    const opt = new torch.optim.SGD(m.parameters(), { lr: 0.1 });
    const grads = m.parameters().map((p) => p.grad);
    for (const arg of [false, { setToNone: false }] as const) {
      opt.zeroGrad(arg);
      expect(m.parameters().every((p, i) => p.grad === grads[i])).toBe(true);
      expect(m.head.bias!.grad!.tolist()).toEqual([0, 0]);
      m.forward(torch.randn(5, 1, 3)).sum().backward();
      expect(m.head.bias!.grad!.tolist()).toEqual([5, 5]);
      expect(m.parameters().every((p, i) => p.grad === grads[i])).toBe(true);
    }
    opt.zeroGrad({ setToNone: true });
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
    const before = snapshot(m);
    expectError(() => opt.zeroGrad({ set_to_none: false } as never), TypeError, "optim.Optimizer.zeroGrad: unexpected option 'set_to_none'; did you mean 'setToNone'?");
    expectError(() => opt.zeroGrad('no' as never), TypeError, "optim.Optimizer.zeroGrad: options must be an object like { setToNone: ... }, not string ('no')");
    expect(snapshot(m)).toEqual(before);
  });

  it('zeroGrad refuses a wrong option and changes nothing', () => {
    const m = trained();
    const before = snapshot(m);
    expectError(() => m.zeroGrad({ set_to_none: true } as never), TypeError, "Module.zeroGrad: unexpected option 'set_to_none'; did you mean 'setToNone'?");
    expectError(() => m.zeroGrad({ setToNone: 'yes' } as never), TorchletError, "Module.zeroGrad: option 'setToNone' must be boolean");
    expect(snapshot(m)).toEqual(before);
  });

  it('requiresGrad_(false) freezes every parameter, requiresGrad_() unfreezes; returns the module', () => {
    const m = new Model();
    expect(m.requiresGrad_(false)).toBe(m);
    expect(m.parameters().every((p) => !p.requiresGrad)).toBe(true);
    const y = m.forward(torch.randn(5, 1, 3));
    expect(y.requiresGrad).toBe(false);
    m.head.requiresGrad_();
    expect(m.head.parameters().every((p) => p.requiresGrad)).toBe(true);
    expect(m.lstm.parameters().every((p) => !p.requiresGrad)).toBe(true);
  });

  it('to(float64) / double() / float(): same Parameter objects, converted values and grads; integer buffers kept; an optimizer made before still steps them', () => {
    const m = trained();
    const params = m.parameters();
    const values = params.map((p) => [...p.contiguousData()]);
    const grads = params.map((p) => [...p.grad!.contiguousData()]);
    const opt = new torch.optim.SGD(m.parameters(), { lr: 0.5 });
    expect(m.to('float64')).toBe(m);
    expect(m.parameters()).toEqual(params);
    params.forEach((p, i) => {
      expect(p).toBe(params[i]);
      expect(p.dtype).toBe('float64');
      expect([...p.contiguousData()]).toEqual(values[i]);
      expect(p.grad!.dtype).toBe('float64');
      expect([...p.grad!.contiguousData()]).toEqual(grads[i]);
      expect(p.requiresGrad).toBe(true);
    });
    const sd = m.stateDict();
    expect(sd['norm.running_mean']!.dtype).toBe('float64');
    expect(sd['norm.num_batches_tracked']!.dtype).not.toMatch(/float/);
    expect(m.norm.runningMean!.dtype).toBe('float64'); // the property and the registry hold one buffer object
    opt.step();
    expect(m.head.bias!.contiguousData()[0]).toBeCloseTo(values[values.length - 1]![0]! - 0.5 * grads[grads.length - 1]![0]!, 12);
    expect(m.forward(torch.randn(5, 1, 3, { dtype: 'float64' })).dtype).toBe('float64');
    m.float();
    expect(m.parameters().every((p) => p.dtype === 'float32')).toBe(true);
    m.double();
    expect(m.parameters().every((p) => p.dtype === 'float64')).toBe(true);
    expect(m.to({ dtype: 'float' }).head.weight.dtype).toBe('float32');
    expect(m.to('cpu', 'double').head.weight.dtype).toBe('float64');
  });

  it("to('cpu') and cpu() do nothing; 'cuda', cuda(), an integer dtype are refused with clear errors and change nothing", () => {
    const m = trained();
    const before = snapshot(m);
    expect(m.to('cpu')).toBe(m);
    expect(m.to({ device: 'cpu' })).toBe(m);
    expect(m.cpu()).toBe(m);
    expect(snapshot(m)).toEqual(before);
    for (const f of [() => m.to('cuda'), () => m.to('cuda:0'), () => m.to('mps'), () => m.cuda()]) {
      expect(f).toThrow(/torchlet runs on the CPU/);
      expect(snapshot(m)).toEqual(before);
    }
    expectError(() => m.to('int64'), TypeError, pyMessage('to_int'));
    expectError(() => m.to('bool'), TypeError, 'nn.Module.to only accepts floating point or complex dtypes, but got desired dtype=torch.bool');
    expectError(() => m.to(5 as never), TypeError, 'Module.to(): expected a dtype, a device, a tensor or { dtype, device }, got');
    expect(snapshot(m)).toEqual(before);
  });

  it("getSubmodule('a.b') and PyTorch's AttributeError texts (a RuntimeError here)", () => {
    const seq = new nn.Sequential(new nn.Linear(2, 2), new nn.Sequential(new nn.Tanh(), new nn.Linear(2, 1)));
    class Outer extends nn.Module {
      body = seq;
      lstm = new nn.LSTM(3, 5);
      head = new nn.Linear(5, 2);
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const o = new Outer();
    expect(o.getSubmodule('')).toBe(o);
    expect(o.getSubmodule('body.1.1')).toBe(seq.get(1).getSubmodule('1'));
    expect(o.getSubmodule('lstm')).toBe(o.lstm);
    expectError(() => o.getSubmodule('lstm.nope'), TorchletError, pyMessage('get_submodule_missing'));
    expectError(() => o.getSubmodule('head.weight'), TorchletError, pyMessage('get_submodule_not_module'));
    expectError(() => o.getSubmodule('head.inFeatures'), TorchletError, '`inFeatures` is not an nn.Module');
    expectError(() => o.getSubmodule(3 as never), TypeError, "getSubmodule(): argument 'target' must be str, not number");
  });

  it("train(mode) refuses a non-boolean with PyTorch's ValueError and changes nothing", () => {
    const m = new Model();
    expectError(() => m.train('yes' as never), TorchletError, pyMessage('train_not_bool'), 'ValueError');
    expect(m.modules().every((x) => x.training)).toBe(true);
    m.eval();
    expect(m.modules().every((x) => !x.training)).toBe(true);
  });

  it('children, modules, apply and extraRepr keep working on assigned children', () => {
    const m = new Model();
    expect(m.children()).toEqual([m.lstm, m.norm, m.head]);
    expect(m.modules()).toEqual([m, m.lstm, m.norm, m.head]);
    const seen: string[] = [];
    m.apply((x) => void seen.push(x.constructor.name));
    expect(seen).toEqual(['LSTM', 'BatchNorm1d', 'Linear', 'Model']);
    class Extra extends nn.Module {
      fc = new nn.Linear(1, 1);
      override extraRepr(): string {
        return 'scale=2';
      }
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(new Extra().toString()).toBe('Extra(\n  scale=2\n  (fc): Linear(in_features=1, out_features=1, bias=True)\n)');
  });

  it('ModuleList and ParameterList have no forward (NotImplementedError, as PyTorch)', () => {
    expectError(() => new nn.ModuleList().forward(), TorchletError, 'Module [ModuleList] is missing the required "forward" function', 'NotImplementedError');
    expectError(() => new nn.ParameterList().forward(), TorchletError, 'Module [ParameterList] is missing the required "forward" function', 'NotImplementedError');
    const pl = new nn.ParameterList([torch.ones(2)]);
    expect(pl.get(0)).toBeInstanceOf(nn.Parameter);
    expect(pl.get(0).requiresGrad).toBe(true);
    pl.append(new nn.Parameter(torch.zeros(3))).extend([torch.zeros(1)]);
    expect(pl.length).toBe(3);
    expect([...pl].map((p) => p.shape[0])).toEqual([2, 3, 1]);
    const before = Object.keys(pl.stateDict());
    expectError(() => pl.append([1, 2] as never), TypeError, 'ParameterList: entry 3 must be a Parameter or a Tensor, not Array');
    expectError(() => pl.get(5), TorchletError, 'index 5 is out of range');
    expect(Object.keys(pl.stateDict())).toEqual(before);
  });
});
