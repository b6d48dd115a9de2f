/**
 * `toString()` against the strings PyTorch printed (tools/fixtures/ops.py, `cases.print` and
 * `cases.print_ops`): integer-valued floats, 4 decimals, scientific notation, half-to-even
 * rounding, NaN/inf, line wrapping, summarising past 1000 elements, dtype suffixes, empty
 * tensors, `requires_grad=True` and `grad_fn=<...>`.
 */

import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { formatFixed, formatSci } from '../src/tensor/format.js';
import { opsFixture } from './helpers/check-op.js';

describe('printing like PyTorch', () => {
  for (const [name, c] of Object.entries(opsFixture.cases.print)) {
    it(name, () => {
      const t = opsFixture.get(`print/${name}`).clone();
      if (c.requires_grad) t.requiresGrad_(true);
      expect(t.toString()).toBe(c.repr);
    });
  }

  const x = (): Tensor => opsFixture.get('print/x').clone().requiresGrad_(true);
  const ops: Record<string, (x: Tensor) => Tensor> = {
    add_scalar: (x) => x.add(2),
    sub_tensor: (x) => x.sub(x),
    rsub: (x) => torch.sub(2, x),
    mul: (x) => x.mul(2),
    div: (x) => x.div(2),
    pow: (x) => x.pow(2),
    neg: (x) => x.neg(),
    tanh: (x) => x.tanh(),
    sigmoid: (x) => x.sigmoid(),
    relu: (x) => x.relu(),
    sum: (x) => x.sum(),
    sum_dim: (x) => x.sum(1),
    mean: (x) => x.mean(),
    mean_dim: (x) => x.mean(0),
    max: (x) => x.max(),
    max_dim_values: (x) => x.max(1).values,
    max_dim_indices: (x) => x.max(1).indices,
    matmul_mm: (x) => x.matmul(x.t()),
    matmul_dot: (x) => torch.matmul(x.narrow(0, 0, 1).squeeze(0), x.narrow(0, 1, 1).squeeze(0)),
    transpose: (x) => x.transpose(0, 1),
    t: (x) => x.t(),
    permute: (x) => x.permute(1, 0),
    reshape: (x) => x.reshape(3, 2),
    view: (x) => x.view(6),
    unsqueeze: (x) => x.unsqueeze(0),
    squeeze_dim: (x) => x.unsqueeze(0).squeeze(0),
    expand: (x) => x.narrow(0, 0, 1).expand(2, 3),
    cat: (x) => torch.cat([x, x]),
    stack: (x) => torch.stack([x, x]),
    softmax: (x) => x.softmax(-1),
    log_softmax: (x) => x.logSoftmax(-1),
    clamp: (x) => x.clamp(-0.5, 0.5),
    detach: (x) => x.detach(),
    double: (x) => x.double(),
    no_grad: (x) => torch.noGrad(() => x.mul(2)),
  };
  for (const [name, repr] of Object.entries(opsFixture.cases.print_ops)) {
    it(`grad_fn: ${name}`, () => {
      const f = ops[name];
      expect(f, `no torchlet twin for print_ops case ${name}`).toBeDefined();
      expect(f!(x()).toString()).toBe(repr);
    });
  }
});

describe("numbers formatted as Python's format() does", () => {
  it('fixed and scientific, rounding half to even on the exact binary value', () => {
    const values = opsFixture.get('format/values').toTypedArray();
    const got = Array.from(values, (v) => [formatFixed(v, 4), formatSci(v, 4), formatFixed(v, 0)]);
    expect(got).toEqual(opsFixture.cases.format);
  });
});
