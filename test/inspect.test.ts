/**
 * Printing in Node (issue 12): console.log / util.inspect of a Tensor, a Parameter, a Module, a
 * PackedSequence and an optimizer print PyTorch's text (the same as toString()), through
 * Symbol.for('nodejs.util.inspect.custom'); String(t) is unchanged.
 */

import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';

describe('util.inspect prints PyTorch text', () => {
  it('Tensor, also inside arrays and objects', () => {
    const t = torch.tensor([[1, 2], [3, 4]], { requiresGrad: true });
    expect(inspect(t)).toBe('tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)');
    expect(String(t)).toBe('tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)');
    expect(inspect([torch.tensor([1, 2]).mul(2)])).toBe('[ tensor([2., 4.]) ]');
    expect(inspect({ loss: torch.tensor(0.5) })).toBe('{ loss: tensor(0.5000) }');
  });
  it('Parameter, Module, PackedSequence, optimizer', () => {
    torch.manualSeed(0);
    const lin = new torch.nn.Linear(2, 1);
    expect(inspect(lin.bias)).toBe(String(lin.bias));
    expect(inspect(lin.bias).startsWith('Parameter containing:\ntensor([')).toBe(true);
    const model = new torch.nn.Sequential(new torch.nn.Linear(3, 4), new torch.nn.ReLU());
    expect(inspect(model)).toBe('Sequential(\n  (0): Linear(in_features=3, out_features=4, bias=True)\n  (1): ReLU()\n)');
    expect(inspect(new torch.nn.LSTM(3, 4, { bidirectional: 1 }))).toBe('LSTM(3, 4, bidirectional=1)');
    const packed = torch.nn.utils.rnn.packSequence([torch.tensor([1, 2]), torch.tensor([3])]);
    expect(inspect(packed)).toBe('PackedSequence(data=tensor([1., 3., 2.]), batch_sizes=tensor([2, 1]), sorted_indices=None, unsorted_indices=None)');
    const opt = new torch.optim.SGD(lin.parameters(), { lr: 0.1 });
    expect(inspect(opt)).toBe(String(opt));
    expect(inspect(opt).startsWith('SGD (\nParameter Group 0\n')).toBe(true);
  });
  it('the core imports no Node module for it', async () => {
    const { readFileSync } = await import('node:fs');
    for (const f of ['src/tensor/tensor.ts', 'src/tensor/format.ts', 'src/nn/module.ts', 'src/optim/optimizer.ts']) {
      expect(readFileSync(f, 'utf8')).not.toMatch(/from 'node:/);
    }
  });
});
