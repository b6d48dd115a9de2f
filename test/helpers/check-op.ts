/**
 * One line per op: `checkOp('add_bcast_row', (a, b) => torch.add(a, b))` registers a test that
 * runs the op on the inputs of fixture case `add_bcast_row` (test/fixtures/ops.safetensors, made
 * by tools/fixtures/ops.py) and checks
 *   1. every output against PyTorch's (int outputs exactly),
 *   2. every input gradient of sum_j (out_j * w_j).sum() against PyTorch's, with PyTorch's w_j,
 *   3. that the inputs were not modified,
 *   4. unless the case sits on a kink (ties, relu at 0, ...) or has no float input:
 *      `torch.autograd.gradcheck` of the same op in float64 on the same inputs, against central
 *      finite differences.
 * `checkedCases()` lists the cases registered so far, so a test can insist that none is left out.
 */

import { expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { expectClose, loadFixture, TOL } from './fixtures.js';

export interface OpCase {
  inputs: number;
  outputs: number;
  /** Which inputs require grad (and have a `grad<i>` tensor in the fixture). */
  grad: boolean[];
  gradcheck: boolean;
}

export interface OpsFixtureCases {
  ops: Record<string, OpCase>;
  print: Record<string, { repr: string; requires_grad: boolean }>;
  print_ops: Record<string, string>;
  /** Python's '{:.4f}', '{:.4e}', '{:.0f}' of each value of tensor `format/values`. */
  format: [string, string, string][];
  errors: Record<string, { type: string; message: string }>;
}

export const opsFixture = loadFixture<OpsFixtureCases>('ops');

export type OpFn = (...inputs: Tensor[]) => Tensor | Iterable<Tensor>;

const checked = new Set<string>();

/** The fixture case names registered with checkOp. */
export function checkedCases(): ReadonlySet<string> {
  return checked;
}

function outputsOf(r: Tensor | Iterable<Tensor>): Tensor[] {
  return r instanceof torch.Tensor ? [r] : [...r];
}

function tolFor(t: Tensor): { rtol: number; atol: number } {
  return t.dtype === 'float64' ? TOL.f64 : TOL.f32;
}

/** Fresh copies of the case's inputs, requiring grad as in PyTorch's run. */
function inputsOf(name: string, c: OpCase, dtype?: 'float64'): Tensor[] {
  return Array.from({ length: c.inputs }, (_, i) => {
    const src = opsFixture.get(`${name}/in${i}`);
    const x = (dtype && src.isFloatingPoint() ? src.to(dtype) : src).clone().detach();
    if (c.grad[i]) x.requiresGrad_(true);
    return x;
  });
}

export function checkOp(name: string, fn: OpFn): void {
  checked.add(name);
  it(name, () => {
    const c = opsFixture.cases.ops[name];
    if (c === undefined) throw new Error(`no case "${name}" in the ops fixture; regenerate with tools/fixtures/ops.py`);
    const inputs = inputsOf(name, c);
    const outs = outputsOf(fn(...inputs));
    expect(outs.length, `${name}: number of outputs`).toBe(c.outputs);
    let loss: Tensor | null = null;
    outs.forEach((o, j) => {
      const want = opsFixture.get(`${name}/out${j}`);
      // The fixture keeps PyTorch's result dtype (int64 indices, bool comparisons, float32/float64).
      expect(o.dtype, `${name}: out${j} dtype`).toBe(want.dtype);
      expectClose(o, want, tolFor(want), `${name}: out${j}`);
      const w = opsFixture.tensors[`${name}/w${j}`];
      if (w !== undefined) {
        const term = o.mul(w).sum();
        loss = loss === null ? term : loss.add(term);
      }
    });
    if (loss !== null) (loss as Tensor).backward();
    inputs.forEach((x, i) => {
      const src = opsFixture.get(`${name}/in${i}`);
      expectClose(x.detach(), src, { rtol: 0, atol: 0 }, `${name}: in${i} unchanged`);
      if (c.grad[i]) {
        const want = opsFixture.get(`${name}/grad${i}`);
        expectClose(x.grad ?? torch.zerosLike(x), want, tolFor(want), `${name}: grad${i}`);
      }
    });
    if (c.gradcheck && c.grad.some(Boolean)) {
      const xs = inputsOf(name, c, 'float64');
      const flat = (...args: Tensor[]): Tensor => {
        const os = outputsOf(fn(...args)).filter((o) => o.isFloatingPoint());
        return os.length === 1 ? os[0]! : torch.cat(os.map((o) => o.reshape(-1)));
      };
      expect(torch.autograd.gradcheck(flat, xs), `${name}: gradcheck`).toBe(true);
    }
  });
}
