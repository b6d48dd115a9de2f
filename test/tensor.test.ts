/** The Tensor itself: metadata, reading back, views sharing storage, copy_, detach and clone. */

import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';

const m = () =>
  torch.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);

describe('metadata', () => {
  it('shape, size, dim, numel', () => {
    const x = m();
    expect([x.shape, x.size(), x.size(-1), x.size(0), x.dim(), x.ndim, x.numel()]).toEqual([[2, 3], [2, 3], 3, 2, 2, 2, 6]);
    expect(() => x.size(2)).toThrow(torch.IndexError);
    expect(() => torch.tensor(1).size(0)).toThrow('Dimension specified as 0 but tensor has no dimensions');
  });
});

describe('reading back', () => {
  it('toFloat32Array is a row-major copy, also of views', () => {
    const x = m();
    const a = x.toFloat32Array();
    a[0] = 99;
    expect(Array.from(x.toFloat32Array())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(x.t().toFloat32Array())).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(x.narrow(1, 1, 2).toFloat32Array())).toEqual([2, 3, 5, 6]);
  });
  it('tolist gives nested arrays (a number for 0-d)', () => {
    expect(m().t().tolist()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    expect(torch.tensor(2.5).tolist()).toBe(2.5);
    expect(torch.arange(3).tolist()).toEqual([0, 1, 2]);
  });
  it('item reads a one-element tensor of any shape', () => {
    expect(torch.tensor([[7]]).item()).toBe(7);
    expect(m().narrow(1, 2, 1).narrow(0, 1, 1).item()).toBe(6);
    expect(() => m().item()).toThrow('only one element tensors can be converted to Python scalars');
  });
});

describe('views share storage; copies do not', () => {
  it('transpose, permute, narrow, unsqueeze, expand, view are views', () => {
    const x = m();
    for (const v of [x.t(), x.permute(1, 0), x.narrow(0, 1, 1), x.unsqueeze(0), x.view(6), x.reshape(3, 2)]) {
      expect(v.storage).toBe(x.storage);
    }
    expect(x.narrow(1, 0, 1).expand(2, 4).storage).toBe(x.storage);
    expect(x.t().isContiguous()).toBe(false);
  });
  it('reshape of a non-contiguous tensor copies; view of a compatible one does not', () => {
    const x = m();
    expect(x.t().reshape(6).storage).not.toBe(x.storage);
    // (2, 3)ᵀ → (3, 2) → unsqueeze: still viewable as (3, 1, 2).
    expect(x.t().view(3, 1, 2).storage).toBe(x.storage);
  });
  it('contiguous returns the same tensor when already contiguous, clone always copies', () => {
    const x = m();
    expect(x.contiguous()).toBe(x);
    expect(x.clone().storage).not.toBe(x.storage);
    expect(x.t().contiguous().isContiguous()).toBe(true);
  });
  it('flip always copies', () => {
    const x = torch.ones(1, 3);
    expect(x.flip(0).storage).not.toBe(x.storage);
  });
  it('detach shares storage and leaves the graph', () => {
    const x = torch.ones(2, { requiresGrad: true });
    const y = x.mul(2);
    const d = y.detach();
    expect([d.requiresGrad, d.gradFn, d.storage === y.storage]).toEqual([false, null, true]);
  });
  it('copy_ writes through a view into the base', () => {
    const x = torch.zeros(2, 3);
    x.t().narrow(0, 1, 1).copy_(torch.tensor([[7, 8]]));
    expect(x.tolist()).toEqual([
      [0, 7, 0],
      [0, 8, 0],
    ]);
  });
  it('squeeze(dim) of a non-1 dim is a no-op; unsqueeze takes dims in [-ndim-1, ndim]', () => {
    const x = torch.zeros(2, 1, 3);
    expect(x.squeeze(0).shape).toEqual([2, 1, 3]);
    expect(x.squeeze(1).shape).toEqual([2, 3]);
    expect(x.squeeze().shape).toEqual([2, 3]);
    expect(x.unsqueeze(3).shape).toEqual([2, 1, 3, 1]);
    expect(x.unsqueeze(-4).shape).toEqual([1, 2, 1, 3]);
    expect(x.unsqueeze(-1).shape).toEqual([2, 1, 3, 1]);
  });
  it('cat, stack, split and chunk shapes', () => {
    const a = torch.zeros(2, 3);
    expect(torch.cat([a, a], 1).shape).toEqual([2, 6]);
    expect(torch.stack([a, a], 2).shape).toEqual([2, 3, 2]);
    expect(torch.stack([a, a], -1).shape).toEqual([2, 3, 2]);
    expect(torch.cat([a, torch.zeros(0)]).shape).toEqual([2, 3]);
    expect(torch.zeros(5).split(2).map((t) => t.shape[0])).toEqual([2, 2, 1]);
    expect(torch.zeros(6).chunk(4).map((t) => t.shape[0])).toEqual([2, 2, 2]);
    expect(torch.zeros(0).chunk(3).map((t) => t.shape[0])).toEqual([0, 0, 0]);
  });
  it('int32 matmul is exact', () => {
    const a = torch.tensor([[1, 2]], { dtype: 'int32' });
    const b = torch.tensor([[3], [4]], { dtype: 'int32' });
    const y = a.matmul(b);
    expect([y.dtype, y.tolist()]).toEqual(['int32', [[11]]]);
  });
});

describe('PyTorch details', () => {
  it('index_select does not wrap negative indices', () => {
    expect(() => torch.arange(3).indexSelect(0, [-1])).toThrow(new torch.IndexError('index out of range in self'));
  });
  it('clamping int32 to a fractional bound gives float32', () => {
    const y = torch.tensor([1, 2], { dtype: 'int32' }).clamp(0.5);
    expect([y.dtype, y.tolist()]).toEqual(['float32', [1, 2]]);
    expect(torch.tensor([1, 5], { dtype: 'int32' }).clamp(2, 3).dtype).toBe('int32');
  });
  it('where takes two numbers (two integers give int64, as PyTorch)', () => {
    const c = torch.tensor([true, false]);
    const y = torch.where(c, 1.5, 0);
    expect([y.dtype, y.tolist()]).toEqual(['float32', [1.5, 0]]);
    expect(torch.where(c, 1, 0).dtype).toBe('int64');
  });
  it('two numbers are refused by arithmetic ops', () => {
    expect(() => torch.add(2, 3)).toThrow(torch.ArgumentTypeError);
  });
});
