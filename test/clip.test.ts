/**
 * Gradient clipping against PyTorch 1.13 (fixture: tools/fixtures/optim.py): returned total
 * norm and clipped gradients for norm types 2, 1, inf, 3, 0.5, and clip_grad_value_.
 * The norms are summed in float64 here and in float32 by PyTorch, hence TOL.f32 rather than bits.
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { expectClose, loadFixture, TOL } from './helpers/fixtures.js';

interface ClipCase {
  name: string;
  kind: 'norm' | 'value';
  maxNorm?: number;
  normType?: number | 'inf';
  clipValue?: number;
}

const fx = loadFixture<{ clip: ClipCase[] }>('optim');
const { clipGradNorm_, clipGradValue_ } = torch.nn.utils;

function paramsWithGrads(name: string): torch.nn.Parameter[] {
  return [0, 1, 2].map((i) => {
    const before = fx.get(`clip/${name}/before${i}`);
    const p = new torch.nn.Parameter(torch.zeros(...before.shape));
    p.grad = before.clone();
    return p;
  });
}

describe('clipping matches PyTorch', () => {
  for (const c of fx.cases.clip) {
    it(`${c.name}`, () => {
      const ps = paramsWithGrads(c.name);
      if (c.kind === 'norm') {
        const normType = c.normType === 'inf' ? Number.POSITIVE_INFINITY : c.normType!;
        const total = clipGradNorm_(ps, c.maxNorm!, { normType });
        expect(total.shape).toEqual([]);
        expect(total.dtype).toBe('float32');
        expectClose(total, fx.get(`clip/${c.name}/total`), TOL.f32, 'total norm');
      } else {
        clipGradValue_(ps, c.clipValue!);
      }
      ps.forEach((p, i) => {
        expectClose(p.grad, fx.get(`clip/${c.name}/after${i}`), TOL.f32, `grad ${i}`);
      });
    });
  }
});

describe('clipping edge cases', () => {
  it('skips parameters without gradients and returns tensor(0.) when there are none', () => {
    const a = new torch.nn.Parameter(torch.ones(2));
    expect(clipGradNorm_([a], 1).item()).toBe(0);
    const b = new torch.nn.Parameter(torch.ones(2));
    b.grad = torch.tensor([3, 4]);
    const total = clipGradNorm_([a, b], 1);
    expect(total.item()).toBe(5);
    expect(a.grad).toBeNull();
    expect(Array.from(b.grad!.toFloat32Array())).toEqual([
      Math.fround(3 * Math.fround(Math.fround(1 / Math.fround(5 + Math.fround(1e-6))))),
      Math.fround(4 * Math.fround(Math.fround(1 / Math.fround(5 + Math.fround(1e-6))))),
    ]);
  });

  it('accepts a single tensor', () => {
    const p = new torch.nn.Parameter(torch.ones(4));
    p.grad = torch.full([4], 2);
    expect(clipGradNorm_(p, 100).item()).toBe(4);
    expect(Array.from(p.grad.toFloat32Array())).toEqual([2, 2, 2, 2]);
    clipGradValue_(p, 0.5);
    expect(Array.from(p.grad.toFloat32Array())).toEqual([0.5, 0.5, 0.5, 0.5]);
  });

  it('non-finite total norm: PyTorch\'s RuntimeError with errorIfNonfinite, NaN gradients without', () => {
    const p = new torch.nn.Parameter(torch.ones(2));
    p.grad = torch.tensor([1, Number.POSITIVE_INFINITY]);
    expect(() => clipGradNorm_([p], 1, { errorIfNonfinite: true })).toThrow(
      new torch.RuntimeError(
        'The total norm of order 2.0 for gradients from `parameters` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`',
      ),
    );
    expect(Array.from(p.grad.toFloat32Array())).toEqual([1, Number.POSITIVE_INFINITY]);
    expect(() => clipGradNorm_([p], 1, { normType: Number.POSITIVE_INFINITY, errorIfNonfinite: true })).toThrow(
      /^The total norm of order inf for gradients/,
    );
    const total = clipGradNorm_([p], 1);
    expect(total.item()).toBe(Number.POSITIVE_INFINITY);
    // PyTorch: 1 * (1 / inf) = 0 and inf * 0 = nan
    expect(Array.from(p.grad!.toFloat32Array())).toEqual([0, Number.NaN]);
  });

  it('clips the gradients the optimiser then uses (a real backward)', () => {
    const w = new torch.nn.Parameter(torch.tensor([3, 4]));
    w.mul(w).sum().backward();
    const total = clipGradNorm_([w], 1);
    expect(total.item()).toBe(10);
    const g = w.grad!.toFloat32Array();
    expect(Math.hypot(g[0]!, g[1]!)).toBeCloseTo(1, 5);
  });
});
