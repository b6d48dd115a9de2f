/**
 * Every core op against PyTorch (tools/fixtures/ops.py): forward, input gradients and a float64
 * gradcheck, one line per fixture case. Broadcasting, negative dims, ties, kinks and non-finite
 * values each have their own case.
 */

import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { checkedCases, checkOp, opsFixture } from './helpers/check-op.js';

describe('elementwise', () => {
  checkOp('add', (a, b) => torch.add(a, b));
  checkOp('add_bcast_row', (a, b) => torch.add(a, b));
  checkOp('add_bcast_both', (a, b) => a.add(b));
  checkOp('add_scalar', (a) => a.add(2.5));
  checkOp('add_alpha', (a, b) => torch.add(a, b, { alpha: 2 }));
  checkOp('sub', (a, b) => torch.sub(a, b));
  checkOp('sub_bcast', (a, b) => a.sub(b));
  checkOp('rsub_scalar', (a) => torch.sub(2, a));
  checkOp('mul', (a, b) => torch.mul(a, b));
  checkOp('mul_bcast', (a, b) => a.mul(b));
  checkOp('mul_scalar', (a) => a.mul(-1.5));
  checkOp('div', (a, b) => torch.div(a, b));
  checkOp('div_bcast', (a, b) => a.div(b));
  checkOp('div_scalar', (a) => a.div(4));
  checkOp('rdiv_scalar', (a) => torch.div(2, a));
  checkOp('neg', (a) => torch.neg(a));
  checkOp('pow_scalar2', (a) => a.pow(2));
  checkOp('pow_scalar_half', (a) => a.pow(0.5));
  checkOp('pow_tensor', (a, b) => torch.pow(a, b));
  checkOp('pow_bcast', (a, b) => a.pow(b));
  checkOp('rpow_scalar', (e) => torch.pow(2, e));
  checkOp('pow_zero_base', (a, b) => torch.pow(a, b));
  checkOp('pow_zero_base_neg_exp', (a, b) => torch.pow(a, b));
  checkOp('sqrt', (a) => torch.sqrt(a));
  checkOp('exp', (a) => torch.exp(a));
  checkOp('log', (a) => torch.log(a));
  checkOp('abs', (a) => torch.abs(a));
  checkOp('abs_zero', (a) => a.abs());
  checkOp('tanh', (a) => torch.tanh(a));
  checkOp('sigmoid', (a) => torch.sigmoid(a));
  checkOp('relu', (a) => torch.relu(a));
  checkOp('relu_zero', (a) => a.relu());
  checkOp('clamp', (a) => torch.clamp(a, -0.5, 0.5));
  checkOp('clamp_min', (a) => a.clamp(0.2));
  checkOp('clamp_max', (a) => a.clamp(null, 0.2));
  checkOp('clamp_boundary', (a) => a.clamp(-0.5, 0.5));
  checkOp('clamp_min_gt_max', (a) => a.clamp(0.5, -0.5));
});

describe('matmul', () => {
  checkOp('matmul_1d_1d', (a, b) => torch.matmul(a, b));
  checkOp('matmul_2d_2d', (a, b) => torch.matmul(a, b));
  checkOp('matmul_1d_2d', (a, b) => torch.matmul(a, b));
  checkOp('matmul_2d_1d', (a, b) => torch.matmul(a, b));
  checkOp('matmul_3d_3d', (a, b) => a.matmul(b));
  checkOp('matmul_bcast_batch', (a, b) => a.matmul(b));
  checkOp('matmul_3d_2d', (a, b) => a.matmul(b));
  checkOp('matmul_2d_3d', (a, b) => a.matmul(b));
  checkOp('matmul_3d_1d', (a, b) => a.matmul(b));
  checkOp('matmul_1d_3d', (a, b) => a.matmul(b));
  checkOp('matmul_transposed', (a, b) => a.t().matmul(b.t()));
});

describe('reductions', () => {
  checkOp('sum_all', (x) => torch.sum(x));
  checkOp('sum_dim0', (x) => x.sum(0));
  checkOp('sum_dim_neg_keepdim', (x) => x.sum(-1, true));
  checkOp('sum_dims', (x) => x.sum([0, 2]));
  checkOp('mean_all', (x) => torch.mean(x));
  checkOp('mean_dim1', (x) => x.mean(1));
  checkOp('mean_dims_keepdim', (x) => x.mean([0, -1], true));
  checkOp('max_all', (x) => torch.max(x));
  checkOp('max_all_ties', (x) => x.max());
  checkOp('max_dim', (x) => torch.max(x, 1));
  checkOp('max_dim_keepdim', (x) => x.max(-1, true));
  checkOp('max_dim_ties', (x) => x.max(1));
  checkOp('softmax_last', (x) => torch.softmax(x, -1));
  checkOp('softmax_dim0', (x) => x.softmax(0));
  checkOp('log_softmax_last', (x) => torch.logSoftmax(x, -1));
  checkOp('log_softmax_dim1', (x) => x.logSoftmax(1));
});

describe('shape', () => {
  checkOp('transpose', (x) => torch.transpose(x, 0, 1));
  checkOp('transpose_neg', (x) => x.transpose(-1, -3));
  checkOp('permute', (x) => x.permute(2, 0, 1));
  checkOp('reshape', (x) => x.reshape(3, -1));
  checkOp('reshape_noncontig', (x) => x.transpose(0, 2).reshape([-1, 2]));
  checkOp('view', (x) => x.view(4, 6));
  checkOp('flatten', (x) => torch.flatten(x));
  checkOp('flatten_start1', (x) => x.flatten(1));
  checkOp('flatten_0_1', (x) => x.flatten(0, 1));
  checkOp('squeeze_all', (x) => torch.squeeze(x));
  checkOp('squeeze_dim1', (x) => x.squeeze(1));
  checkOp('squeeze_non1_noop', (x) => x.squeeze(0));
  checkOp('squeeze_neg', (x) => x.squeeze(-1));
  checkOp('unsqueeze0', (x) => torch.unsqueeze(x, 0));
  checkOp('unsqueeze_neg1', (x) => x.unsqueeze(-1));
  checkOp('unsqueeze_mid', (x) => x.unsqueeze(1));
  checkOp('unsqueeze_neg3', (x) => x.unsqueeze(-3));
  checkOp('expand', (x) => x.expand(2, 3, 4));
  checkOp('expand_keep', (x) => x.expand([-1, 4]));
});

describe('joining and selecting', () => {
  checkOp('cat_dim0', (a, b, c) => torch.cat([a, b, c]));
  checkOp('cat_dim1', (a, b) => torch.cat([a, b], 1));
  checkOp('cat_dim_neg', (a, b) => torch.cat([a, b], -1));
  checkOp('stack_dim0', (a, b) => torch.stack([a, b]));
  checkOp('stack_dim1', (a, b) => torch.stack([a, b], 1));
  checkOp('stack_dim_neg', (a, b, c) => torch.stack([a, b, c], -1));
  checkOp('split_size', (x) => torch.split(x, 2));
  checkOp('split_sections', (x) => x.split([1, 3, 1], 1));
  checkOp('chunk_5_3', (x) => torch.chunk(x, 3));
  checkOp('chunk_6_4', (x) => x.chunk(4, 1));
  checkOp('narrow', (x) => torch.narrow(x, 1, 1, 2));
  checkOp('narrow_neg_start', (x) => x.narrow(0, -2, 2));
  checkOp('index_select_dim0', (x, i) => torch.indexSelect(x, 0, i));
  checkOp('index_select_dim1', (x, i) => x.indexSelect(1, i));
  checkOp('flip0', (x) => torch.flip(x, 0));
  checkOp('flip01', (x) => x.flip([0, 1]));
  checkOp('flip_neg', (x) => x.flip(-1));
  checkOp('masked_fill', (x, m) => x.maskedFill(m, -2));
  checkOp('where', (c, a, b) => torch.where(c, a, b));
  checkOp('where_bcast', (c, a, b) => torch.where(c, a, b));
  checkOp('where_scalar', (c, x) => torch.where(c, x, 0.5));
  checkOp('contiguous', (x) => x.t().contiguous());
  checkOp('clone', (x) => torch.clone(x));
});

describe('strided (non-contiguous) inputs', () => {
  checkOp('strided_mul_bcast', (a, b) => a.t().mul(b));
  checkOp('strided_add_both', (a, b) => a.transpose(0, 2).add(b.permute(2, 1, 0)));
  checkOp('strided_expand_add', (a, b) => a.expand(2, 3).add(b));
  checkOp('strided_tanh', (a) => a.t().tanh());
  checkOp('strided_sum', (x) => x.permute(2, 0, 1).sum(1));
  checkOp('strided_softmax', (x) => x.transpose(0, 2).softmax(1));
  checkOp('strided_narrow_matmul', (a, b) => a.narrow(1, 1, 3).matmul(b));
});

describe('mixed dtypes', () => {
  checkOp('mixed_add_int_float', (i, a) => i.add(a));
  checkOp('mixed_mul_int_scalar_float', (i) => i.mul(2.5));
  checkOp('mixed_div_int_int', (a, b) => a.div(b));
  checkOp('mixed_cat_int_float', (a, i) => torch.cat([a, i]));
  checkOp('mixed_sum_int', (i) => i.sum(1));
  checkOp('mixed_max_int_dim', (i) => i.max(0));
  checkOp('mixed_where_int', (c, i, j) => torch.where(c, i, j));
});

describe('float64', () => {
  checkOp('f64_matmul', (a, b) => a.matmul(b));
  checkOp('f64_softmax', (x) => x.softmax(-1));
  checkOp('f64_tanh_mul', (a, b) => a.tanh().mul(b));
});

describe('non-finite values carried through as PyTorch', () => {
  checkOp('nf_add', (a, b) => a.add(b));
  checkOp('nf_mul', (a, b) => a.mul(b));
  checkOp('nf_tanh', (a) => a.tanh());
  checkOp('nf_sigmoid', (a) => a.sigmoid());
  checkOp('nf_relu', (a) => a.relu());
  checkOp('nf_max_all', (a) => a.max());
  checkOp('nf_max_all_inf', (a) => a.max());
  checkOp('nf_max_dim', (a) => a.max(1));
  checkOp('nf_softmax_neg_inf', (a) => a.softmax(-1));
  checkOp('nf_softmax_pos_inf', (a) => a.softmax(-1));
  checkOp('nf_log_softmax', (a) => a.logSoftmax(-1));
  checkOp('nf_clamp', (a) => a.clamp(-1, 1));
});

it('checks every op case in the fixture', () => {
  const missing = Object.keys(opsFixture.cases.ops).filter((k) => !checkedCases().has(k));
  expect(missing).toEqual([]);
});
