/**
 * Bad input: each shape/index/dtype error is thrown as the right typed class, with PyTorch's own
 * message (recorded from PyTorch by tools/fixtures/ops.py, `cases.errors`; a torchlet hint may
 * follow it) and PyTorch's exception type in `pytorchType`; and nothing is mutated when an op throws.
 */

import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import type { Tensor, TorchletError } from '../src/index.js';
import { opsFixture } from './helpers/check-op.js';

type ErrorClass = new (...args: never[]) => TorchletError;
const { DTypeError, IndexError, RuntimeError, ShapeError, ValueError } = torch;

const o = (...shape: number[]): Tensor => torch.ones(shape);
const oi = (...shape: number[]): Tensor => torch.ones(shape, { dtype: 'int32' });
const og = (...shape: number[]): Tensor => torch.ones(shape, { requiresGrad: true });

/** Each case: the torchlet class, the tensors involved (checked unchanged afterwards) and the call. */
const cases: Record<string, [ErrorClass, () => [Tensor[], (...xs: Tensor[]) => unknown]]> = {
  matmul_2d_2d: [ShapeError, () => [[o(2, 3), o(4, 5)], (a, b) => a.matmul(b)]],
  matmul_2d_1d: [ShapeError, () => [[o(2, 3), o(4)], (a, b) => a.matmul(b)]],
  matmul_1d_2d: [ShapeError, () => [[o(3), o(4, 5)], (a, b) => a.matmul(b)]],
  matmul_1d_1d: [ShapeError, () => [[o(3), o(4)], (a, b) => a.matmul(b)]],
  matmul_3d_3d: [ShapeError, () => [[o(2, 2, 3), o(2, 4, 5)], (a, b) => a.matmul(b)]],
  matmul_3d_2d: [ShapeError, () => [[o(2, 2, 3), o(4, 5)], (a, b) => a.matmul(b)]],
  matmul_2d_3d: [ShapeError, () => [[o(2, 3), o(2, 4, 5)], (a, b) => a.matmul(b)]],
  matmul_batch_bcast: [ShapeError, () => [[o(2, 2, 3), o(3, 3, 5)], (a, b) => a.matmul(b)]],
  matmul_0d: [ShapeError, () => [[o(), o(3)], (a, b) => a.matmul(b)]],
  matmul_dtype: [DTypeError, () => [[o(2, 3), o(3, 2).double()], (a, b) => a.matmul(b)]],
  broadcast: [ShapeError, () => [[og(2, 3), o(4)], (a, b) => a.add(b)]],
  broadcast_3d: [ShapeError, () => [[o(2, 3), o(2, 1, 4)], (a, b) => a.add(b)]],
  cat_ndim: [ShapeError, () => [[og(2, 3), o(3)], (a, b) => torch.cat([a, b])]],
  cat_size: [ShapeError, () => [[o(2, 3), o(2, 3), o(2, 4)], (a, b, c) => torch.cat([a, b, c], 0)]],
  cat_empty_list: [RuntimeError, () => [[], () => torch.cat([])]],
  cat_0d: [RuntimeError, () => [[o(2), o()], (a, b) => torch.cat([a, b])]],
  cat_dim: [IndexError, () => [[o(2), o(2)], (a, b) => torch.cat([a, b], 1)]],
  stack_size: [ShapeError, () => [[o(2, 3), o(2, 4)], (a, b) => torch.stack([a, b])]],
  stack_empty_list: [RuntimeError, () => [[], () => torch.stack([])]],
  stack_dim: [IndexError, () => [[o(2, 3), o(2, 3)], (a, b) => torch.stack([a, b], 3)]],
  reshape_count: [ShapeError, () => [[og(2, 3)], (a) => a.reshape(4, 2)]],
  reshape_infer: [ShapeError, () => [[o(7)], (a) => a.reshape(2, -1)]],
  reshape_two_infer: [ShapeError, () => [[o(6)], (a) => a.reshape([-1, -1])]],
  reshape_negative: [ShapeError, () => [[o(6)], (a) => a.reshape(-2, 3)]],
  reshape_zero_infer: [ShapeError, () => [[o(0)], (a) => a.reshape(0, -1)]],
  view_noncontig: [RuntimeError, () => [[o(2, 3)], (a) => a.t().view(6)]],
  sum_dim: [IndexError, () => [[o(2, 3)], (a) => a.sum(2)]],
  sum_dup: [RuntimeError, () => [[o(2, 3)], (a) => a.sum([1, -1])]],
  unsqueeze_dim: [IndexError, () => [[o(2, 3)], (a) => a.unsqueeze(3)]],
  squeeze_dim: [IndexError, () => [[o(2, 3)], (a) => a.squeeze(-3)]],
  transpose_dim: [IndexError, () => [[o(2, 3)], (a) => a.transpose(0, 2)]],
  permute_len: [ShapeError, () => [[o(2, 3)], (a) => a.permute(0)]],
  permute_dup: [RuntimeError, () => [[o(2, 3)], (a) => a.permute(0, 0)]],
  expand_few: [ShapeError, () => [[o(2, 3)], (a) => a.expand(3)]],
  expand_mismatch: [ShapeError, () => [[o(2, 3)], (a) => a.expand(2, 4)]],
  expand_lead_minus1: [ShapeError, () => [[o(2, 3)], (a) => a.expand(-1, 2, 3)]],
  narrow_start: [IndexError, () => [[o(3)], (a) => a.narrow(0, 4, 1)]],
  narrow_length: [RuntimeError, () => [[o(3)], (a) => a.narrow(0, 2, 2)]],
  narrow_0d: [RuntimeError, () => [[o()], (a) => a.narrow(0, 0, 1)]],
  split_negative: [RuntimeError, () => [[o(3)], (a) => a.split(-1)]],
  split_zero: [RuntimeError, () => [[o(3)], (a) => a.split(0)]],
  split_sections: [RuntimeError, () => [[o(5)], (a) => a.split([2, 2])]],
  chunk_zero: [RuntimeError, () => [[o(3)], (a) => a.chunk(0)]],
  index_select_range: [IndexError, () => [[o(3)], (a) => a.indexSelect(0, [3])]],
  index_select_float: [DTypeError, () => [[o(3), torch.tensor([1])], (a, i) => a.indexSelect(0, i)]],
  index_select_2d: [IndexError, () => [[o(3), torch.tensor([[1]], { dtype: 'int32' })], (a, i) => a.indexSelect(0, i)]],
  flip_dup: [RuntimeError, () => [[o(3, 2)], (a) => a.flip(0, -2)]],
  max_empty: [RuntimeError, () => [[o(0)], (a) => a.max()]],
  max_empty_dim: [IndexError, () => [[o(0, 3)], (a) => a.max(0)]],
  mean_int: [DTypeError, () => [[oi(3)], (a) => a.mean()]],
  softmax_int: [DTypeError, () => [[oi(3)], (a) => a.softmax(0)]],
  clamp_none: [RuntimeError, () => [[o(3)], (a) => a.clamp()]],
  where_float_cond: [DTypeError, () => [[o(3), o(3), o(3)], (c, a, b) => torch.where(c, a, b)]],
  requires_grad_int: [RuntimeError, () => [[oi(3)], (a) => a.requiresGrad_()]],
  backward_nonscalar: [RuntimeError, () => [[og(3)], (a) => a.mul(2).backward()]],
  backward_no_grad: [RuntimeError, () => [[o(3)], (a) => a.sum().backward()]],
  backward_shape: [ShapeError, () => [[og(3), o(2)], (a, g) => a.mul(2).backward(g)]],
  item_many: [ValueError, () => [[o(3)], (a) => a.item()]],
  arange_step0: [RuntimeError, () => [[], () => torch.arange(0, 3, 0)]],
  arange_sign: [RuntimeError, () => [[], () => torch.arange(0, 3, -1)]],
  zeros_negative: [ShapeError, () => [[], () => torch.zeros(2, -1)]],
  t_3d: [RuntimeError, () => [[o(2, 2, 2)], (a) => a.t()]],
  flatten_order: [RuntimeError, () => [[o(2, 2, 2)], (a) => a.flatten(2, 1)]],
  tensor_ragged: [ValueError, () => [[], () => torch.tensor([[1, 2], [3]])]],
  requires_grad_nonleaf: [RuntimeError, () => [[og(3)], (a) => a.mul(2).requiresGrad_(false)]],
};

/** Everything about a tensor an op could change. */
function snapshot(t: Tensor): unknown {
  return {
    shape: [...t.shape],
    strides: [...t.strides],
    values: Array.from(t.toFloat32Array()),
    storage: Array.from(t.storage),
    requiresGrad: t.requiresGrad,
    grad: t.grad === null ? null : Array.from(t.grad.toFloat32Array()),
    gradFn: t.gradFn,
  };
}

describe("bad input throws PyTorch's error, typed, and mutates nothing", () => {
  for (const [name, want] of Object.entries(opsFixture.cases.errors)) {
    it(name, () => {
      const c = cases[name];
      expect(c, `no torchlet twin for error case ${name}`).toBeDefined();
      const [cls, make] = c!;
      const [inputs, run] = make();
      const before = inputs.map(snapshot);
      let caught: unknown = null;
      try {
        run(...inputs);
      } catch (e) {
        caught = e;
      }
      expect(caught, `${name} did not throw`).toBeInstanceOf(cls);
      const err = caught as TorchletError;
      expect(err.pytorchType).toBe(want.type);
      // PyTorch's first line, exactly; a beginner's hint may follow.
      expect(err.message.split('\n')[0]!.slice(0, want.message.length)).toBe(want.message);
      expect(inputs.map(snapshot)).toEqual(before);
    });
  }

  it('has a twin for every case here', () => {
    expect(Object.keys(cases).filter((k) => !(k in opsFixture.cases.errors))).toEqual([]);
  });
});
