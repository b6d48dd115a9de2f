/** Creation: both size forms, options, *Like, arange, tensor() inputs, manualSeed, rand/randn statistics. */

import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';

describe('size arguments in both PyTorch forms', () => {
  it('zeros(2, 3) and zeros([2, 3])', () => {
    for (const t of [torch.zeros(2, 3), torch.zeros([2, 3])]) {
      expect(t.shape).toEqual([2, 3]);
      expect(t.dtype).toBe('float32');
      expect(t.tolist()).toEqual([
        [0, 0, 0],
        [0, 0, 0],
      ]);
    }
  });
  it('ones, with options after either form', () => {
    const a = torch.ones(2, 3, { dtype: 'float64' });
    const b = torch.ones([2, 3], { requiresGrad: true });
    expect([a.shape, a.dtype, a.requiresGrad]).toEqual([[2, 3], 'float64', false]);
    expect([b.shape, b.dtype, b.requiresGrad]).toEqual([[2, 3], 'float32', true]);
    expect(Array.from(a.toFloat32Array())).toEqual([1, 1, 1, 1, 1, 1]);
  });
  it('zeros() is 0-d; zeros(0) is empty', () => {
    expect(torch.zeros().shape).toEqual([]);
    expect(torch.zeros(0).numel()).toBe(0);
  });
  it('reshape(2, -1) and reshape([2, -1]), view likewise', () => {
    const x = torch.arange(6);
    expect(x.reshape(2, -1).shape).toEqual([2, 3]);
    expect(x.reshape([2, -1]).shape).toEqual([2, 3]);
    expect(x.view(-1, 2).shape).toEqual([3, 2]);
    expect(x.view([3, -1]).tolist()).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
  });
  it('full, and the *Like variants keep shape and dtype unless told otherwise', () => {
    const x = torch.full([2, 2], 7, { dtype: 'float64' });
    expect(x.tolist()).toEqual([
      [7, 7],
      [7, 7],
    ]);
    for (const t of [torch.zerosLike(x), torch.onesLike(x), torch.fullLike(x, 3), torch.randLike(x), torch.randnLike(x)]) {
      expect([t.shape, t.dtype]).toEqual([[2, 2], 'float64']);
    }
    expect(torch.fullLike(x, 3).tolist()).toEqual([
      [3, 3],
      [3, 3],
    ]);
    expect(torch.zerosLike(x, { dtype: 'int32' }).dtype).toBe('int32');
    expect(x.onesLike().tolist()).toEqual([
      [1, 1],
      [1, 1],
    ]);
    expect(torch.onesLike(x, { requiresGrad: true }).requiresGrad).toBe(true);
  });
});

describe('arange', () => {
  it('integer arguments give int64, as PyTorch', () => {
    const t = torch.arange(5);
    expect([t.dtype, t.tolist()]).toEqual(['int64', [0, 1, 2, 3, 4]]);
    expect(torch.arange(5, 0, -2).tolist()).toEqual([5, 3, 1]);
    expect(torch.arange(2, 2).numel()).toBe(0);
  });
  it('fractional arguments give float32; options in any position', () => {
    const t = torch.arange(1, 2, 0.25);
    expect([t.dtype, t.tolist()]).toEqual(['float32', [1, 1.25, 1.5, 1.75]]);
    expect(torch.arange(0, 1, 0.1).numel()).toBe(10);
    expect(torch.arange(3, { dtype: 'float64' }).dtype).toBe('float64');
    expect(torch.arange(1, 3, { dtype: 'float32' }).tolist()).toEqual([1, 2]);
  });
});

describe('tensor()', () => {
  it('from nested arrays', () => {
    const t = torch.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect([t.shape, t.dtype]).toEqual([[2, 3], 'float32']);
    expect(torch.tensor(2.5).shape).toEqual([]);
    expect(torch.tensor([]).shape).toEqual([0]);
  });
  it('from a flat array or typed array with a shape; the dtype follows the typed array', () => {
    expect(torch.tensor([1, 2, 3, 4], { shape: [2, 2] }).tolist()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(torch.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [3, 2] }).shape).toEqual([3, 2]);
    expect(torch.tensor(new Int32Array([1, 2])).dtype).toBe('int32');
    expect(torch.tensor(new Float64Array([1, 2])).dtype).toBe('float64');
    expect(torch.tensor([1.7, -1.7], { dtype: 'int32' }).tolist()).toEqual([1, -1]);
  });
  it('copies its input', () => {
    const src = new Float32Array([1, 2]);
    const t = torch.tensor(src);
    src[0] = 9;
    expect(t.tolist()).toEqual([1, 2]);
  });
  it('refuses a shape that does not match the values', () => {
    expect(() => torch.tensor([1, 2, 3], { shape: [2, 2] })).toThrow(torch.ShapeError);
  });
});

describe('manualSeed and random tensors', () => {
  it('makes rand and randn reproducible', () => {
    torch.manualSeed(42);
    const a = torch.rand(5).tolist();
    const b = torch.randn(2, 3).tolist();
    torch.manualSeed(42);
    expect(torch.rand(5).tolist()).toEqual(a);
    expect(torch.randn(2, 3).tolist()).toEqual(b);
    torch.manualSeed(43);
    expect(torch.rand(5).tolist()).not.toEqual(a);
  });
  it('rand is uniform on [0, 1)', () => {
    torch.manualSeed(0);
    const v = torch.rand(20000, { dtype: 'float64' }).toFloat32Array();
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    const variance = v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length;
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThan(1);
    expect(mean).toBeCloseTo(0.5, 1);
    expect(variance).toBeCloseTo(1 / 12, 2);
  });
  it('randn is standard normal', () => {
    torch.manualSeed(0);
    const v = torch.randn([20000]).toFloat32Array();
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    const sd = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
    const within1 = v.filter((x) => Math.abs(x) < 1).length / v.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(sd).toBeCloseTo(1, 1);
    expect(within1).toBeCloseTo(0.6827, 1);
  });
  it('creates leaves that may require grad', () => {
    const t = torch.randn(3, { requiresGrad: true });
    expect([t.requiresGrad, t.isLeaf]).toEqual([true, true]);
  });
});
