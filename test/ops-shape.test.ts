/**
 * Shape, matrix, einsum and creation ops against PyTorch 1.13 (fixture: tools/fixtures/ops_shape.py):
 * values and gradients (upstream 1..n, so a misplaced gradient shows) of repeat, tile, roll,
 * movedim/moveaxis, unflatten, triu/tril, diag, bmm, baddbmm, outer, expand/expandAs, flip,
 * flatten, take, one-argument where and 25 einsum equations; eye/linspace/logspace/oneHot values;
 * PyTorch's error messages for bad calls.
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { expectClose, loadFixture, TOL } from './helpers/fixtures.js';

type Json = number | string | null | Json[] | { [k: string]: Json };
interface Cases {
  ops: { op: string; inputs: string[]; args: Json[]; grads: number[]; tuple?: number }[];
  errors: { call: string; type: string; message: string }[];
  creation: { fn: string; args: Json[]; opts: Record<string, string> }[];
}
const fx = loadFixture<Cases>('ops_shape');

const OPS: Record<string, (xs: Tensor[], a: Json[]) => Tensor | Tensor[]> = {
  repeat: ([x], [r]) => x!.repeat(r as number[]),
  tile: ([x], [r]) => x!.tile(r as number[]),
  roll: ([x], [s, d]) => (d === null ? x!.roll(s as number) : x!.roll(s as number | number[], d as number | number[])),
  movedim: ([x], [s, d]) => x!.movedim(s as number | number[], d as number | number[]),
  moveaxis: ([x], [s, d]) => torch.moveaxis(x!, s as number, d as number),
  unflatten: ([x], [d, s]) => x!.unflatten(d as number, s as number[]),
  triu: ([x], [k]) => x!.triu(k as number),
  tril: ([x], [k]) => torch.tril(x!, k as number),
  diag: ([x], [k]) => x!.diag(k as number),
  bmm: ([a, b]) => torch.bmm(a!, b!),
  baddbmm: ([i, a, b], [o]) => torch.baddbmm(i!, a!, b!, o as { beta?: number; alpha?: number }),
  outer: ([a, b]) => a!.outer(b!),
  expand: ([x], [s]) => x!.expand(s as number[]),
  expandAs: ([x, o]) => x!.expandAs(o!),
  flip: ([x], [d]) => x!.flip(d as number[]),
  flatten: ([x], [s, e]) => x!.flatten(s as number, e as number),
  take: ([x, i]) => torch.take(x!, i!),
  where1: ([c]) => torch.where(c!),
  einsum: (xs, [eq]) => torch.einsum(eq as string, ...xs),
};

describe('shape and matrix ops against PyTorch (values and gradients)', () => {
  fx.cases.ops.forEach((c, i) => {
    it(`${c.op}(${c.inputs.join(', ')}${c.args.length ? `, ${JSON.stringify(c.args).slice(1, -1)}` : ''})`, () => {
      const xs = c.inputs.map((n) => {
        const t = fx.get(n).clone();
        return t.isFloatingPoint() ? t.requiresGrad_() : t;
      });
      const y = OPS[c.op]!(xs, c.args);
      if (c.tuple !== undefined) {
        const ys = y as Tensor[];
        expect(ys.length).toBe(c.tuple);
        ys.forEach((t, k) => {
          expect(t.dtype).toBe('int64');
          expectClose(t, fx.get(`ops/${i}/out/${k}`), TOL.f64, `out ${k}`);
        });
        return;
      }
      const out = y as Tensor;
      expectClose(out, fx.get(`ops/${i}/out`), TOL.f64, 'out');
      if (c.grads.length === 0) return;
      out.backward(torch.arange(1, out.numel() + 1).double().reshape(out.shape));
      for (const k of c.grads) expectClose(xs[k]!.grad, fx.get(`ops/${i}/grad/${k}`), TOL.f64, `grad ${k}`);
    });
  });
});

describe('einsum beyond the fixture', () => {
  it('gradients of gradients flow (createGraph) through a batched contraction', () => {
    const a = torch.randn(2, 3, 4, { dtype: 'float64', requiresGrad: true });
    const b = torch.randn(2, 4, 5, { dtype: 'float64', requiresGrad: true });
    expect(torch.autograd.gradcheck((p, q) => torch.einsum('bij,bjk->bik', p, q), [a, b])).toBe(true);
  });
  it('takes the operands as one array too, and refuses what it does not parse', () => {
    const a = torch.ones(2, 3);
    expect(torch.einsum('ij->j', [a]).tolist()).toEqual([2, 2, 2]);
    expect(() => torch.einsum('i.j->j', a)).toThrow("einsum(): found '.' for operand 0 that is not part of any ellipsis");
    expect(() => torch.einsum('i1->i', a)).toThrow('subscripts must be in [a-zA-Z]');
    expect(() => torch.einsum('ij->jj', a)).toThrow('output subscript j appears more than once');
  });
});

describe('creation against PyTorch', () => {
  fx.cases.creation.forEach((c, i) => {
    it(`${c.fn}(${JSON.stringify(c.args).slice(1, -1)}${Object.keys(c.opts).length ? `, ${JSON.stringify(c.opts)}` : ''})`, () => {
      const want = fx.get(`creation/${i}`);
      const opts = c.opts as { dtype?: 'int64' | 'float64' };
      const a = c.args as number[];
      let got: Tensor;
      if (c.fn === 'eye') got = a.length === 2 ? torch.eye(a[0]!, a[1]!, opts) : torch.eye(a[0]!, opts);
      else if (c.fn === 'linspace') got = torch.linspace(a[0]!, a[1]!, a[2]!, opts);
      else if (c.fn === 'logspace') got = a.length === 4 ? torch.logspace(a[0]!, a[1]!, a[2]!, a[3]!, opts) : torch.logspace(a[0]!, a[1]!, a[2]!, opts);
      else got = torch.nn.functional.oneHot(torch.tensor(c.args[0] as number[], { dtype: 'int64' }), c.args[1] as number);
      expect(got.dtype).toBe(want.dtype === 'float64' && c.fn !== 'oneHot' && !opts.dtype ? 'float32' : want.dtype);
      expectClose(got, want, got.dtype === 'float32' ? TOL.f32 : TOL.f64, c.fn);
    });
  });
  it('the *Like creators keep shape and dtype, and take options', () => {
    const x = torch.zeros(2, 3, { dtype: 'int64' });
    for (const t of [torch.zerosLike(x), torch.onesLike(x), torch.emptyLike(x), torch.fullLike(x, 7)]) {
      expect([t.shape, t.dtype]).toEqual([[2, 3], 'int64']);
    }
    expect(torch.fullLike(x, 7).tolist()).toEqual([
      [7, 7, 7],
      [7, 7, 7],
    ]);
    expect(torch.onesLike(x, { dtype: 'float64' }).dtype).toBe('float64');
    expect(torch.randLike(torch.zeros(4, { dtype: 'float64' })).dtype).toBe('float64');
    expect(torch.randnLike(torch.zeros(2, 2)).shape).toEqual([2, 2]);
    expect(() => torch.randLike(x)).toThrow(`"check_uniform_bounds" not implemented for 'Long'`);
    expect(torch.eye(2, { dtype: 'bool' }).tolist()).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });
});

/** The calls the fixture's `errors` were made with, spelled in torchlet. */
const CALLS: Record<string, () => unknown> = {
  repeat_short: () => torch.zeros(2, 3).repeat(2),
  roll_misaligned: () => torch.zeros(2, 3).roll([1, 2], [0]),
  movedim_count: () => torch.zeros(2, 3).movedim([0, 1], [0]),
  movedim_repeat: () => torch.zeros(2, 3).movedim([0, 0], [0, 1]),
  unflatten_product: () => torch.zeros(2, 3).unflatten(1, [2, 2]),
  diag_3d: () => torch.zeros(2, 3, 4).diag(),
  triu_1d: () => torch.zeros(3).triu(),
  bmm_2d: () => torch.zeros(2, 3).bmm(torch.zeros(2, 3)),
  bmm_inner: () => torch.zeros(2, 2, 3).bmm(torch.zeros(2, 2, 3)),
  outer_2d: () => torch.outer(torch.zeros(2, 2), torch.zeros(2)),
  einsum_fewer: () => torch.einsum('ij,jk->ik', torch.zeros(2, 3)),
  einsum_more: () => torch.einsum('ij->ji', torch.zeros(2, 3), torch.zeros(2, 3)),
  einsum_out: () => torch.einsum('ij->ik', torch.zeros(2, 3)),
  einsum_ndim: () => torch.einsum('ijk->ik', torch.zeros(2, 3)),
  einsum_size: () => torch.einsum('ij,jk->ik', torch.zeros(2, 3), torch.zeros(4, 5)),
  einsum_diag: () => torch.einsum('ii->i', torch.zeros(2, 3)),
  expand_smaller: () => torch.zeros(2, 3).expand(3),
  expand_mismatch: () => torch.zeros(2, 3).expand(2, 4),
  flatten_order: () => torch.zeros(2, 3, 4).flatten(2, 1),
  take_range: () => torch.take(torch.zeros(6), torch.tensor([10], { dtype: 'int64' })),
  take_float: () => torch.take(torch.zeros(6), torch.tensor([1])),
  eye_negative: () => torch.eye(-1),
  linspace_negative: () => torch.linspace(0, 1, -1),
  onehot_float: () => torch.nn.functional.oneHot(torch.tensor([1])),
  onehot_negative: () => torch.nn.functional.oneHot(torch.tensor([-1], { dtype: 'int64' })),
  onehot_large: () => torch.nn.functional.oneHot(torch.tensor([3], { dtype: 'int64' }), 3),
  onehot_empty: () => torch.nn.functional.oneHot(torch.tensor([], { dtype: 'int64' })),
  randint_bounds: () => torch.randint(5, 5, [2]),
  multinomial_dim: () => torch.multinomial(torch.tensor(1), 1),
  multinomial_many: () => torch.multinomial(torch.tensor([1, 0, 0]), 4),
  multinomial_negative: () => torch.multinomial(torch.tensor([1, -1, 0]), 1),
  multinomial_zero: () => torch.multinomial(torch.tensor([0, 0, 0]), 1),
  multinomial_nsample: () => torch.multinomial(torch.tensor([1, 2]), 0),
  multinomial_int: () => torch.multinomial(torch.tensor([1, 2], { dtype: 'int64' }), 1),
  bernoulli_p_tensor: () => torch.bernoulli(torch.tensor([2])),
  bernoulli_p: () => torch.zeros(2).bernoulli(2),
  normal_std: () => torch.normal(torch.zeros(2), -1),
  normal_std_size: () => torch.normal(0, -1, [2]),
  normal_std_tensor: () => torch.normal(torch.zeros(2), torch.tensor([-1, 1])),
  inplace_broadcast: () => torch.zeros(3).add_(torch.zeros(2, 3)),
  inplace_cast: () => torch.zeros(3, { dtype: 'int64' }).div_(2),
  inplace_overlap: () => torch.zeros(3).expand(2, 3).add_(1),
  inplace_leaf: () => torch.zeros(2, { requiresGrad: true }).add_(1),
  uniform_range: () => torch.zeros(3).uniform_(2, 1),
  normal_inplace_std: () => torch.zeros(3).normal_(0, -1),
  masked_fill_broadcast: () => torch.zeros(3).maskedFill_(torch.zeros(2, 3, { dtype: 'bool' }), 1),
  div_mode: () => torch.zeros(3).div_(2, { roundingMode: 'x' as never }),
  fill_dim: () => torch.zeros(3).fill_(torch.zeros(2)),
};

describe("PyTorch's errors", () => {
  const errorTypes: Record<string, unknown> = { RuntimeError: Error, IndexError: torch.IndexError, ValueError: torch.ValueError };
  fx.cases.errors.forEach((c) => {
    it(`${c.call}: ${c.type}: ${c.message.slice(0, 60)}`, () => {
      const call = CALLS[c.call];
      expect(call, `no torchlet call for ${c.call}`).toBeDefined();
      let err: unknown;
      try {
        call!();
      } catch (e) {
        err = e;
      }
      expect(err, 'threw').toBeInstanceOf(errorTypes[c.type] ?? Error);
      expect((err as Error).message).toContain(c.message);
    });
  });
});

describe('untyped callers (plain JavaScript) get PyTorch-style TypeErrors, not crashes', () => {
  const x = torch.zeros(2, 3);
  const u = (v: unknown) => v as never;
  const calls: Record<string, () => unknown> = {
    repeat: () => x.repeat(u('a')),
    roll: () => x.roll(u('1')),
    rollDims: () => x.roll(1, u('a')),
    movedim: () => x.movedim(u('a'), 0),
    unflatten: () => x.unflatten(1, u(3)),
    unflattenDim: () => x.unflatten(u('a'), [3]),
    triu: () => x.triu(u('1')),
    diag: () => torch.diag(u([1, 2])),
    bmm: () => torch.bmm(x, u([1])),
    baddbmm: () => torch.baddbmm(u(1), x, x),
    outer: () => torch.outer(u([1]), x),
    einsum: () => torch.einsum(u(3), x),
    einsumOperand: () => torch.einsum('ij', u([1, 2])),
    eye: () => torch.eye(u('3')),
    linspace: () => torch.linspace(0, 1, u('5')),
    multinomial: () => torch.multinomial(u([0.5, 0.5]), 1),
    bernoulli: () => torch.bernoulli(u(0.5)),
    normal: () => torch.normal(u('a'), 1),
    oneHot: () => torch.nn.functional.oneHot(u([1, 2])),
    add_: () => x.add_(u('1')),
    fill_: () => x.fill_(u('1')),
    maskedFill_: () => x.maskedFill_(u([true]), 1),
    scatter_: () => x.scatter_(0, u([0]), 1),
    take: () => torch.take(x, u([0])),
    where: () => torch.where(u([true])),
    expandAs: () => x.expandAs(u([2, 3])),
    clamp_: () => x.clamp_(u('0')),
    uniform_: () => x.uniform_(u('a')),
    indexPut_: () => x.indexPut_(u(0), 1),
  };
  for (const [name, call] of Object.entries(calls)) {
    it(name, () => {
      expect(call).toThrow(TypeError);
      expect(x._version).toBe(0);
    });
  }
});
