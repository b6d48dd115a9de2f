/** Runs in about a second: the package loads, tensors compute, gradients flow. */
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';

describe('smoke', () => {
  it('computes a gradient through matmul and tanh', () => {
    const a = torch.tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const b = torch.tensor([[0.5], [-0.25]]);
    const y = a.matmul(b).tanh().sum();
    y.backward();
    // d/da sum(tanh(a b)) = (1 - tanh²(a b)) bᵀ
    const ab = [0, 0.5];
    const expected = ab.flatMap((v) => [(1 - Math.tanh(v) ** 2) * 0.5, (1 - Math.tanh(v) ** 2) * -0.25]);
    expect(Array.from(a.grad!.toFloat32Array())).toEqual(expected.map((v) => Math.fround(v)));
  });
  it('prints like PyTorch', () => {
    expect(torch.tensor([[1, 2], [3, 4]], { requiresGrad: true }).toString()).toBe(
      'tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)',
    );
  });
});
