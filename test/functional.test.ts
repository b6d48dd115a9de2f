/**
 * nn.functional: float64 finite-difference checks of every hand-written backward (conv1d over
 * its options and padding modes, linear, embedding, the norms, the pointwise activations, the
 * fused NLL), a differential test of the im2col convolution against a direct loop, and the
 * functional-only behaviour (erf accuracy, implicit softmax dim warning, dropout's one mask).
 */
import { describe, expect, it, vi } from 'vitest';
import * as torch from '../src/index.js';
import { backend, refBackend, setBackend } from '../src/kernels/backend.js';
import { gradcheck } from '../src/autograd/gradcheck.js';
import { conv1d as conv1dOp } from '../src/ops/conv.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { expectClose, TOL } from './helpers/fixtures.js';

const F = torch.nn.functional;

/** Deterministic float64 values that need grad (cos of a ramp, as the fixtures' det()). */
function det(shape: number[], seed = 0, scale = 1, grad = true): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Float64Array.from({ length: n }, (_, i) => Math.cos(i * 0.7 + seed) * scale);
  return torch.tensor(v, { shape, dtype: 'float64', requiresGrad: grad });
}

/** The convolution written as its definition (the oracle for the im2col kernel). */
function directConv1d(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  o: { stride: number; padLeft: number; lout: number; dilation: number; groups: number; mode: string },
): number[] {
  const [n, cin, l] = x.shape as [number, number, number];
  const [cout, cg, k] = w.shape as [number, number, number];
  const og = cout / o.groups;
  const xd = x.contiguousData();
  const wd = w.contiguousData();
  const out: number[] = [];
  const src = (p: number): number => {
    if (p >= 0 && p < l) return p;
    if (o.mode === 'reflect') return p < 0 ? -p : 2 * (l - 1) - p;
    if (o.mode === 'replicate') return p < 0 ? 0 : l - 1;
    if (o.mode === 'circular') return ((p % l) + l) % l;
    return -1;
  };
  for (let bi = 0; bi < n; bi++) {
    for (let co = 0; co < cout; co++) {
      const g = Math.floor(co / og);
      for (let t = 0; t < o.lout; t++) {
        let acc = b === null ? 0 : b.contiguousData()[co]!;
        for (let c = 0; c < cg; c++) {
          for (let kk = 0; kk < k; kk++) {
            const p = src(t * o.stride - o.padLeft + kk * o.dilation);
            if (p >= 0) acc += wd[(co * cg + c) * k + kk]! * xd[(bi * cin + g * cg + c) * l + p]!;
          }
        }
        out.push(acc);
      }
    }
  }
  return out;
}

describe('conv1d', () => {
  const configs = [
    { name: 'plain', cin: 3, cout: 2, k: 3, l: 7, opts: {}, padLeft: 0 },
    { name: 'stride 2, padding 1', cin: 2, cout: 3, k: 3, l: 8, opts: { stride: 2, padding: 1 }, padLeft: 1 },
    { name: 'same, even kernel, dilation 2', cin: 2, cout: 2, k: 4, l: 7, opts: { padding: 'same' as const, dilation: 2 }, padLeft: 3 },
    { name: 'groups 2', cin: 4, cout: 6, k: 2, l: 5, opts: { groups: 2, padding: 1 }, padLeft: 1 },
    { name: '1x1', cin: 3, cout: 4, k: 1, l: 5, opts: {}, padLeft: 0 },
    { name: 'reflect', cin: 2, cout: 2, k: 3, l: 5, opts: { padding: 2, paddingMode: 'reflect' as const }, padLeft: 2 },
    { name: 'replicate', cin: 2, cout: 2, k: 3, l: 5, opts: { padding: 2, paddingMode: 'replicate' as const }, padLeft: 2 },
    { name: 'circular', cin: 2, cout: 2, k: 3, l: 4, opts: { padding: 3, paddingMode: 'circular' as const, stride: 2 }, padLeft: 3 },
  ];
  for (const c of configs) {
    for (const bias of [true, false]) {
      it(`${c.name}, bias ${bias}: matches the direct loop and finite differences`, () => {
        const groups = (c.opts as { groups?: number }).groups ?? 1;
        const x = det([2, c.cin, c.l], 0.1);
        const w = det([c.cout, c.cin / groups, c.k], 0.5, 0.7);
        const b = bias ? det([c.cout], 0.9) : null;
        const conv = (...t: Tensor[]) => conv1dOp(t[0]!, t[1]!, bias ? t[2]! : null, c.opts);
        const y = conv(x, w, ...(b ? [b] : []));
        const o = {
          stride: (c.opts as { stride?: number }).stride ?? 1,
          padLeft: c.padLeft,
          lout: y.shape[2]!,
          dilation: (c.opts as { dilation?: number }).dilation ?? 1,
          groups,
          mode: (c.opts as { paddingMode?: string }).paddingMode ?? 'zeros',
        };
        const expected = directConv1d(x, w, b, o);
        expectClose(y, torch.tensor(Float64Array.from(expected), { shape: y.shape, dtype: 'float64' }), TOL.f64, 'direct');
        expect(gradcheck(conv, b ? [x, w, b] : [x, w])).toBe(true);
      });
    }
  }
  it('unbatched (Cin, L) input gives (Cout, Lout)', () => {
    const x = det([3, 6]);
    const w = det([2, 3, 3], 1);
    const y = F.conv1d(x, w, null, { padding: 1 });
    expect(y.shape).toEqual([2, 6]);
    expectClose(y, F.conv1d(x.unsqueeze(0), w, null, { padding: 1 }).squeeze(0), TOL.f64, 'unbatched');
    expect(gradcheck((a, b) => F.conv1d(a!, b!, null, { padding: 1 }), [x, w])).toBe(true);
  });
  it('float32 im2col agrees with float64 within float32 round-off', () => {
    const x = det([2, 4, 9], 0.3, 1, false);
    const w = det([6, 2, 3], 0.4, 1, false);
    const y64 = F.conv1d(x, w, null, { groups: 2, stride: 2 });
    const y32 = F.conv1d(x.float(), w.float(), null, { groups: 2, stride: 2 });
    expectClose(y32, y64.float(), TOL.f32, 'f32');
  });
});

describe('hand-written backwards pass finite differences (float64)', () => {
  it('linear, with and without bias, 1-D to 3-D input', () => {
    const w = det([4, 3], 0.2);
    const b = det([4], 0.3);
    for (const shape of [[3], [2, 3], [2, 2, 3]]) {
      const x = det(shape, 0.1);
      expect(gradcheck((a, ww, bb) => F.linear(a!, ww!, bb!), [x, w, b])).toBe(true);
      expect(gradcheck((a, ww) => F.linear(a!, ww!), [x, w])).toBe(true);
    }
  });
  it('embedding: repeated indices accumulate, the padding row gets nothing', () => {
    const w = det([5, 3], 0.2);
    const idx = torch.tensor([[1, 0, 1], [4, 0, 2]], { dtype: 'int32' });
    expect(gradcheck((ww) => F.embedding(idx, ww!), [w])).toBe(true);
    w.grad = null;
    F.embedding(idx, w, 0).sum().backward();
    expect(w.grad!.tolist()).toEqual([[0, 0, 0], [2, 2, 2], [1, 1, 1], [0, 0, 0], [1, 1, 1]]);
  });
  it('layerNorm, groupNorm, batchNorm (training) with and without affine', () => {
    const x = det([3, 4, 2], 0.1, 2);
    const g = det([4], 0.4, 0.5);
    const b = det([4], 0.6, 0.5);
    const ln = det([2], 0.7);
    expect(gradcheck((a) => F.layerNorm(a!, [4, 2]), [x])).toBe(true);
    expect(gradcheck((a, ww, bb) => F.layerNorm(a!, 2, ww!, bb!), [x, ln, det([2], 0.8)])).toBe(true);
    expect(gradcheck((a, ww, bb) => F.groupNorm(a!, 2, ww!, bb!), [x, g, b])).toBe(true);
    expect(gradcheck((a) => F.groupNorm(a!, 1), [x])).toBe(true);
    expect(gradcheck((a, ww, bb) => F.batchNorm(a!, null, null, { weight: ww!, bias: bb!, training: true }), [x, g, b])).toBe(true);
    const rm = det([4], 0.1, 1, false);
    const rv = det([4], 0.2, 0.3, false).abs().add(0.5);
    expect(gradcheck((a, ww, bb) => F.batchNorm(a!, rm, rv, { weight: ww!, bias: bb! }), [x, g, b])).toBe(true);
  });
  it('pointwise activations, away from their kinks', () => {
    const x = det([2, 7], 0.35, 3);
    expect(gradcheck((a) => F.gelu(a!), [x])).toBe(true);
    expect(gradcheck((a) => F.gelu(a!, 'tanh'), [x])).toBe(true);
    expect(gradcheck((a) => F.leakyRelu(a!, 0.2), [x])).toBe(true);
    expect(gradcheck((a) => F.elu(a!, 0.7), [x])).toBe(true);
  });
  it('losses: nll (weights, ignored targets, (N, C, L)), cross entropy with smoothing, BCE with posWeight', () => {
    const x = det([3, 4, 2], 0.5, 2);
    const t = torch.tensor([[0, 3], [1, -100], [2, 2]], { dtype: 'int32' });
    const w = torch.tensor([1, 0.5, 2, 1.5], { dtype: 'float64' });
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      expect(gradcheck((a) => F.nllLoss(a!, t, { weight: w, reduction }), [x])).toBe(true);
      expect(gradcheck((a) => F.crossEntropy(a!, t, { weight: w, labelSmoothing: 0.2, reduction }), [x])).toBe(true);
    }
    const y = det([3, 4], 0.9, 0.5, false).abs();
    const pw = torch.tensor([1, 2, 0.5, 3], { dtype: 'float64' });
    expect(gradcheck((a) => F.binaryCrossEntropyWithLogits(a!, y, { posWeight: pw }), [det([3, 4], 0.2, 4)])).toBe(true);
  });
});

describe('functional details', () => {
  it('erf is accurate to float64 round-off at known values', () => {
    const known: [number, number][] = [
      [0, 0],
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [2.5, 0.999593047982555],
      [3, 0.9999779095030014],
      [4, 0.9999999845827421],
      [-1.5, -0.9661051464753108],
    ];
    for (const [x, e] of known) expect(Math.abs(F.erf(x) - e)).toBeLessThan(1e-15);
  });
  it('softmax without a dim warns as PyTorch and picks dim 1 for 2-D input', () => {
    const spy = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const x = det([2, 3], 0, 1, false);
    expectClose(F.softmax(x), F.softmax(x, 1), TOL.f64, 'implicit dim');
    expect(spy).toHaveBeenCalledWith(
      'UserWarning: Implicit dimension choice for softmax has been deprecated. Change the call to include dim=X as an argument.',
    );
    spy.mockRestore();
  });
  it('nn.Dropout and F.dropout draw the same mask from the same seed', () => {
    const x = torch.ones(30);
    torch.manualSeed(9);
    const a = new torch.nn.Dropout(0.3).forward(x);
    torch.manualSeed(9);
    const b = F.dropout(x, 0.3);
    expect(a.tolist()).toEqual(b.tolist());
  });
  it('batchNorm updates running statistics in place with the unbiased variance', () => {
    const x = torch.tensor([[1, 10], [3, 14]]);
    const rm = torch.zeros(2);
    const rv = torch.ones(2);
    F.batchNorm(x, rm, rv, { training: true, momentum: 0.5 });
    expect(rm.tolist()).toEqual([1, 6]);
    // batch variances (unbiased) 2 and 8
    expect(rv.tolist()).toEqual([1.5, 4.5]);
  });
});

describe('grad_fn names are PyTorch\'s', () => {
  it('names each fused op as PyTorch does', () => {
    const x = det([2, 4, 3]);
    const w = det([4], 0.2);
    const cases: [Tensor, string][] = [
      [F.layerNorm(x, 3), 'NativeLayerNormBackward0'],
      [F.groupNorm(x, 2, w, w), 'NativeGroupNormBackward0'],
      [F.batchNorm(x, null, null, { training: true, weight: w }), 'NativeBatchNormBackward0'],
      [F.batchNorm(x, w.detach(), w.detach().abs(), { bias: w }), 'NativeBatchNormBackward0'],
      [F.conv1d(x, det([2, 4, 2])), 'ConvolutionBackward0'],
      [F.linear(det([2, 3]), det([5, 3])), 'AddmmBackward0'],
      [F.embedding(torch.tensor([1, 0], { dtype: 'int32' }), det([3, 2])), 'EmbeddingBackward0'],
      [F.nllLoss(det([2, 4]), torch.tensor([1, 0], { dtype: 'int32' })), 'NllLossBackward0'],
      [F.gelu(x), 'GeluBackward0'],
      [F.leakyRelu(x), 'LeakyReluBackward0'],
      [F.elu(x), 'EluBackward0'],
    ];
    for (const [t, name] of cases) expect(t.gradFn?.name).toBe(name);
  });
});

describe('the layers give the same numbers on a fast GEMM backend', () => {
  it('conv1d and linear (all gradients) on the WebAssembly GEMM match the reference GEMM', async () => {
    const { gemm: wasmGemm } = await import('../src/kernels/wasm/gemm.js');
    const run = () => {
      torch.manualSeed(11);
      const conv = new torch.nn.Conv1d(6, 8, 3, { padding: 'same', groups: 2 });
      const fc = new torch.nn.Linear(8, 20);
      const x = torch.randn(3, 6, 40, { requiresGrad: true });
      const y = fc.forward(conv.forward(x).transpose(1, 2));
      y.mul(torch.randn(...y.shape)).sum().backward();
      return [y, x.grad!, conv.weight.grad!, conv.bias!.grad!, fc.weight.grad!, fc.bias!.grad!];
    };
    const ref = run();
    const before = backend();
    setBackend({ ...refBackend, name: 'wasm-gemm', gemm: wasmGemm });
    try {
      const fast = run();
      for (const [i, t] of fast.entries()) expectClose(t, ref[i]!, TOL.f32Deep, `tensor ${i}`);
    } finally {
      setBackend(before);
    }
  });
});

describe('API surface', () => {
  it('nn.functional and nn carry PyTorch\'s names', () => {
    for (const name of [
      'linear', 'conv1d', 'layerNorm', 'groupNorm', 'batchNorm', 'dropout', 'relu', 'gelu', 'softmax', 'logSoftmax',
      'crossEntropy', 'nllLoss', 'mseLoss', 'l1Loss', 'binaryCrossEntropyWithLogits', 'embedding', 'tanh', 'sigmoid',
      'leakyRelu', 'elu',
    ]) {
      expect(typeof (F as Record<string, unknown>)[name], name).toBe('function');
    }
    for (const name of [
      'Linear', 'Embedding', 'Dropout', 'Conv1d', 'LayerNorm', 'GroupNorm', 'BatchNorm1d', 'Tanh', 'ReLU', 'Sigmoid',
      'GELU', 'LeakyReLU', 'ELU', 'Softmax', 'LogSoftmax', 'Sequential', 'ModuleList', 'Identity', 'MSELoss', 'L1Loss',
      'CrossEntropyLoss', 'NLLLoss', 'BCEWithLogitsLoss',
    ]) {
      expect(typeof (torch.nn as Record<string, unknown>)[name], name).toBe('function');
    }
  });
});
