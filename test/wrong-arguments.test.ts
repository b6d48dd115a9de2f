/**
 * Wrong argument types outside the ops (issue 12): optimizers, schedulers, data, io, utils, module
 * helpers, autograd helpers and the functional layers, as a caller without types makes them. Each
 * gives a torchlet TypeError (`ArgumentTypeError`) with a readable message, never an internal
 * "Cannot read properties" or "is not a function", and nothing changes.
 */

import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';

const { nn, optim } = torch;
const F = nn.functional;
const D = torch.utils.data;

const param = () => new nn.Parameter(torch.tensor([1, 2]));
const sgd = (p = param()) => new optim.SGD([p], { lr: 0.1 });
const any = (v: unknown) => v as never;

/** [what, call, the message] */
const CASES: [string, () => unknown, string][] = [
  ['Sequential(5)', () => new nn.Sequential(any(5)), 'number is not a Module subclass'],
  ["optimizer.step('x')", () => sgd().step(any('x')), "step(): argument 'closure' must be a function returning the loss, not string"],
  ['optimizer.loadStateDict(5)', () => sgd().loadStateDict(any(5)), 'loadStateDict(): expected an optimizer state dict { state, param_groups } (from optimizer.stateDict()), not number'],
  ["scheduler.step('x')", () => new optim.lrScheduler.StepLR(sgd(), { stepSize: 1 }).step(any('x')), "step(): argument 'epoch' (position 1) must be int, not string"],
  ['ReduceLROnPlateau.step()', () => new optim.lrScheduler.ReduceLROnPlateau(sgd()).step(any(undefined)), "ReduceLROnPlateau.step(): argument 'metrics' (position 1) must be a number or a one-element Tensor (the validation loss), not undefined"],
  ['ChainedScheduler(5)', () => new optim.lrScheduler.ChainedScheduler(any(5)), "ChainedScheduler(): argument 'schedulers' (position 1) must be an array of schedulers, not number"],
  ['ChainedScheduler([5])', () => new optim.lrScheduler.ChainedScheduler(any([5])), "ChainedScheduler(): argument 'schedulers' (position 1) must be an array of schedulers, not number"],
  ['defaultCollate(5)', () => D.defaultCollate(any(5)), "default_collate(): argument 'batch' (position 1) must be a list of samples, not number"],
  ['Subset(ds, 5)', () => new D.Subset([1, 2], any(5)), 'Subset: indices must be an iterable of indices (an array), not number'],
  ['randomSplit(ds, 5)', () => D.randomSplit([1, 2], any(5)), "random_split(): argument 'lengths' (position 2) must be a list of lengths or fractions (numbers), not number"],
  ["packPaddedSequence(x, 'ab')", () => nn.utils.rnn.packPaddedSequence(torch.randn(2, 1, 3), any('ab')), "'lengths' argument should be a 1D CPU int64 tensor or a list of ints, but got string"],
  ['io.saveSafetensors(5)', () => torch.io.saveSafetensors(any(5)), "saveSafetensors(): argument 'tensors' (position 1) must be an object of named tensors"],
  ['module.loadStateDict(5)', () => new nn.Linear(2, 2).loadStateDict(any(5)), 'Expected state_dict to be dict-like, got number.'],
  ['module.loadStateDict({ weight: 5 })', () => new nn.Linear(2, 2).loadStateDict(any({ weight: 5, bias: torch.zeros(2) })), 'While copying the parameter named "weight", expected torch.Tensor or Tensor-like object from checkpoint but received number'],
  ["module.requiresGrad_('x')", () => new nn.Linear(2, 2).requiresGrad_(any('x')), "requires_grad_(): argument 'requires_grad' (position 1) must be bool, not string"],
  ["tensor.requiresGrad_('x')", () => torch.zeros(2).requiresGrad_(any('x')), "requires_grad_(): argument 'requires_grad' (position 1) must be bool, not string"],
  ['module.apply(5)', () => new nn.Linear(2, 2).apply(any(5)), "apply(): argument 'fn' (position 1) must be a function, not number"],
  ['noGrad(5)', () => torch.noGrad(any(5)), "noGrad(): argument 'fn' (position 1) must be a function to run"],
  ['enableGrad(5)', () => torch.enableGrad(any(5)), "enableGrad(): argument 'fn' (position 1) must be a function to run"],
  ['autograd.gradcheck(5, [])', () => torch.autograd.gradcheck(any(5), []), "gradcheck(): argument 'func' (position 1) must be a function, not number"],
  ['onnx.export(5, x)', () => torch.onnx.export(any(5), torch.randn(2)), "onnx.export(): argument 'model' (position 1) must be an nn.Module, not number"],
  ['onnx.export(m, [1, 2])', () => torch.onnx.export(new nn.Linear(2, 2), any([1, 2])), "onnx.export(): argument 'args' (position 2) must be a Tensor or an array of Tensors, not array"],
  ['F.linear(5, w)', () => F.linear(any(5), torch.zeros(2, 2)), "linear(): argument 'input' (position 1) must be Tensor, not number"],
  ["F.linear(x, w, 'b')", () => F.linear(torch.zeros(1, 2), torch.zeros(2, 2), any('b')), "linear(): argument 'bias' (position 3) must be Tensor, not string"],
  ['F.embedding([1], w)', () => F.embedding(any([1]), torch.zeros(3, 2)), "embedding(): argument 'input' (position 1) must be Tensor, not array"],
  ['F.layerNorm(null, [3])', () => F.layerNorm(any(null), [3]), "layer_norm(): argument 'input' (position 1) must be Tensor, not null"],
  ["F.groupNorm(x, '1')", () => F.groupNorm(torch.zeros(2, 2, 3), any('1')), "group_norm(): argument 'num_groups' (position 2) must be int, not string ('1')"],
  ['F.batchNorm(5, null, null)', () => F.batchNorm(any(5), null, null), "batch_norm(): argument 'input' (position 1) must be Tensor, not number"],
  ['F.conv1d(x, 5)', () => F.conv1d(torch.zeros(1, 2, 4), any(5)), "conv1d(): argument 'weight' (position 2) must be Tensor, not number"],
  ["F.elu(x, 'a')", () => F.elu(torch.zeros(2), any('a')), "elu(): argument 'alpha' (position 2) must be Number, not string"],
  ['F.gelu(5)', () => F.gelu(any(5)), "gelu(): argument 'input' (position 1) must be Tensor, not number"],
  ["F.dropout(x, 'x')", () => F.dropout(torch.zeros(2), any('x')), "dropout(): argument 'p' must be float, not string"],
  ["nn.init.uniform_(t, '0')", () => nn.init.uniform_(torch.zeros(2), any('0')), "uniform_(): argument 'a' (position 2) must be Number, not string ('0')"],
  ['nn.init.normal_(5)', () => nn.init.normal_(any(5)), "normal_(): argument 'tensor' (position 1) must be Tensor, not number"],
  ['explain(null, [2, 3])', () => torch.explain(any(null), [2, 3]), "explain(): argument 'module' (position 1) must be Module, not null"],
  ['explain(m, 5)', () => torch.explain(new nn.Linear(3, 2), any(5)), "explain(): argument 'input' (position 2) must be a Tensor, a shape such as [32, 100, 60]"],
];

describe('wrong argument types outside the ops', () => {
  for (const [what, call, msg] of CASES) {
    it(`${what}: ArgumentTypeError "${msg.slice(0, 60)}..."`, () => {
      let e: unknown;
      try {
        call();
      } catch (err) {
        e = err;
      }
      expect(e).toBeInstanceOf(torch.ArgumentTypeError);
      expect(e).toBeInstanceOf(TypeError);
      expect(e).toBeInstanceOf(torch.TorchletError);
      expect((e as Error).message.startsWith(msg), (e as Error).message).toBe(true);
    });
  }

  it('a refused call changes nothing: parameters, grads, optimizer state, learning rates, requiresGrad', () => {
    const p = param();
    p.grad = torch.tensor([0.5, 0.5]);
    const opt = sgd(p);
    const sched = new optim.lrScheduler.StepLR(opt, { stepSize: 1, gamma: 0.5 });
    const m = new nn.Linear(2, 2);
    const snap = () => [p.tolist(), p.grad!.tolist(), opt.paramGroups[0]!.lr, sched.lastEpoch, m.weight.tolist(), m.weight.requiresGrad];
    const before = snap();
    expect(() => opt.step(any('x'))).toThrow(torch.ArgumentTypeError);
    expect(() => opt.loadStateDict(any({ state: {}, param_groups: 5 }))).toThrow(torch.ArgumentTypeError);
    expect(() => sched.step(any('x'))).toThrow(torch.ArgumentTypeError);
    expect(() => m.loadStateDict(any({ weight: [[1, 2], [3, 4]], bias: torch.zeros(2) }))).toThrow(torch.ArgumentTypeError);
    expect(() => m.requiresGrad_(any(0))).toThrow(torch.ArgumentTypeError);
    expect(snap()).toEqual(before);
  });

  it('what PyTorch accepts still works: a closure, a Tensor metric, an int epoch, a lengths tensor', () => {
    const p = param();
    const opt = sgd(p);
    const loss = opt.step(() => {
      opt.zeroGrad();
      const l = p.mul(p).sum();
      l.backward();
      return l;
    }) as Tensor;
    expect(loss.item()).toBe(5);
    new optim.lrScheduler.ReduceLROnPlateau(opt).step(torch.tensor(1.5));
    new optim.lrScheduler.StepLR(opt, { stepSize: 1 }).step(3);
    const packed = nn.utils.rnn.packPaddedSequence(torch.randn(2, 2, 3), torch.tensor([2, 1], { dtype: 'int64' }));
    expect(packed.batchSizes.tolist()).toEqual([2, 1]);
  });
});
