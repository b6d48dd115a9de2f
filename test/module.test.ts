/**
 * nn.Module and nn.Parameter: registration order, traversal, stateDict / loadStateDict with
 * PyTorch's messages (checked against PyTorch 1.13's text), train/eval, zeroGrad, apply,
 * getParameter and the nested repr.
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { RuntimeError } from '../src/index.js';
import type { Tensor } from '../src/tensor/tensor.js';

const { nn } = torch;

/** A small nested model: PyTorch's `A` with `a = GRUCell(2, 3)` and `b` holding an LSTM and an RNNCell. */
class Inner extends nn.Module {
  readonly lstm = this.registerModule('0', new nn.LSTM(3, 3));
  readonly cell = this.registerModule('1', new nn.RNNCell(3, 2));
  forward(x: Tensor): Tensor {
    return x;
  }
}

class A extends nn.Module {
  readonly a = this.registerModule('a', new nn.GRUCell(2, 3));
  readonly b = this.registerModule('b', new Inner());
  readonly scale = this.registerParameter('scale', new nn.Parameter(torch.ones(1)));
  readonly running = this.registerBuffer('running', torch.zeros(2));
  readonly scratch = this.registerBuffer('scratch', torch.zeros(2), false);
  forward(x: Tensor): Tensor {
    return this.a.forward(x).mul(this.scale);
  }
}

describe('Module', () => {
  it('namedParameters: own parameters first, then children depth-first, PyTorch\'s dotted names', () => {
    expect([...new A().namedParameters()].map(([n]) => n)).toEqual([
      'scale',
      'a.weight_ih',
      'a.weight_hh',
      'a.bias_ih',
      'a.bias_hh',
      'b.0.weight_ih_l0',
      'b.0.weight_hh_l0',
      'b.0.bias_ih_l0',
      'b.0.bias_hh_l0',
      'b.1.weight_ih',
      'b.1.weight_hh',
      'b.1.bias_ih',
      'b.1.bias_hh',
    ]);
    const m = new A();
    expect(m.parameters()).toEqual([...m.namedParameters()].map(([, p]) => p));
    expect(m.parameters(false)).toEqual([m.scale]);
  });

  it('children, modules and namedModules', () => {
    const m = new A();
    expect(m.children()).toEqual([m.a, m.b]);
    expect([...m.namedModules()].map(([n]) => n)).toEqual(['', 'a', 'b', 'b.0', 'b.1']);
    expect(m.modules()).toEqual([m, m.a, m.b, m.b.lstm, m.b.cell]);
  });

  it('stateDict: parameters and persistent buffers, detached, sharing storage', () => {
    const m = new A();
    const sd = m.stateDict();
    expect(Object.keys(sd).slice(0, 3)).toEqual(['scale', 'running', 'a.weight_ih']);
    expect(Object.hasOwn(sd, 'scratch')).toBe(false);
    expect(sd.scale!.requiresGrad).toBe(false);
    expect(sd.scale!.storage).toBe(m.scale.storage);
  });

  it('loadStateDict copies values; strict errors list missing, unexpected, then size mismatches (PyTorch\'s text)', () => {
    const m = new nn.GRU(3, 4);
    const src = new nn.GRU(3, 4);
    expect(m.loadStateDict(src.stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(m.getParameter('weight_hh_l0').tolist()).toEqual(src.getParameter('weight_hh_l0').tolist());
    // Copies, not aliases.
    expect(m.getParameter('weight_hh_l0').storage).not.toBe(src.getParameter('weight_hh_l0').storage);

    const bad: Record<string, Tensor> = { ...src.stateDict(), foo: torch.zeros(1), weight_hh_l0: torch.zeros(2, 2) };
    delete bad.bias_hh_l0;
    const before = m.parameters().map((p) => p.tolist());
    expect(() => m.loadStateDict(bad)).toThrow(
      new RuntimeError(
        'Error(s) in loading state_dict for GRU:\n\tMissing key(s) in state_dict: "bias_hh_l0". \n\tUnexpected key(s) in state_dict: "foo". \n\tsize mismatch for weight_hh_l0: copying a param with shape torch.Size([2, 2]) from checkpoint, the shape in current model is torch.Size([12, 4]).',
      ),
    );
    // Not strict: size mismatches still fail, and nothing was copied by either failed call.
    expect(() => m.loadStateDict(bad, { strict: false })).toThrow(
      'Error(s) in loading state_dict for GRU:\n\tsize mismatch for weight_hh_l0: copying a param with shape torch.Size([2, 2]) from checkpoint, the shape in current model is torch.Size([12, 4]).',
    );
    expect(m.parameters().map((p) => p.tolist())).toEqual(before);
    const partial: Record<string, Tensor> = { ...src.stateDict(), foo: torch.zeros(1) };
    delete partial.bias_hh_l0;
    expect(m.loadStateDict(partial, { strict: false })).toEqual({ missingKeys: ['bias_hh_l0'], unexpectedKeys: ['foo'] });
  });

  it('loadStateDict converts the dtype to the parameter\'s', () => {
    const m = new nn.RNNCell(2, 2);
    const sd = Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.double().add(1)]));
    m.loadStateDict(sd);
    expect(m.weight_ih.dtype).toBe('float32');
    expect(m.weight_ih.tolist()).toEqual(sd.weight_ih!.float().tolist());
  });

  it('train / eval set training recursively', () => {
    const m = new A();
    expect(m.modules().every((x) => x.training)).toBe(true);
    expect(m.eval()).toBe(m);
    expect(m.modules().every((x) => !x.training)).toBe(true);
    m.train();
    expect(m.b.lstm.training).toBe(true);
  });

  it('zeroGrad sets every .grad to null', () => {
    const m = new A();
    m.forward(torch.randn(4, 2)).sum().backward();
    expect(m.a.weight_ih.grad).not.toBeNull();
    m.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('apply visits children first, then the module', () => {
    const seen: string[] = [];
    new A().apply((mod) => seen.push(mod.constructor.name));
    expect(seen).toEqual(['GRUCell', 'LSTM', 'RNNCell', 'Inner', 'A']);
  });

  it('getParameter follows dotted paths with PyTorch\'s messages', () => {
    const m = new A();
    expect(m.getParameter('b.0.weight_ih_l0')).toBe(m.b.lstm.getParameter('weight_ih_l0'));
    expect(() => m.getParameter('b.2.weight')).toThrow('Inner has no attribute `2`');
    expect(() => m.getParameter('a.weight_hr')).toThrow('GRUCell has no attribute `weight_hr`');
    expect(() => m.getParameter('running')).toThrow('`running` is not an nn.Parameter');
  });

  it('prints nested modules as PyTorch', () => {
    expect(new A().toString()).toBe(
      ['A(', '  (a): GRUCell(2, 3)', '  (b): Inner(', '    (0): LSTM(3, 3)', '    (1): RNNCell(3, 2)', '  )', ')'].join('\n'),
    );
  });
});

describe('Parameter', () => {
  it('is a leaf that requires grad, sharing the data\'s storage', () => {
    const data = torch.ones(2, 2);
    const p = new nn.Parameter(data);
    expect(p.requiresGrad).toBe(true);
    expect(p.isLeaf).toBe(true);
    expect(p.storage).toBe(data.storage);
    expect(new nn.Parameter(data, false).requiresGrad).toBe(false);
    expect(p.toString()).toBe('Parameter containing:\ntensor([[1., 1.],\n        [1., 1.]], requires_grad=True)');
  });
});
