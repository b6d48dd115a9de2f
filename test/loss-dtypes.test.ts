/**
 * Which dtypes each loss, activation layer and dropout takes, against PyTorch 1.13
 * (test/fixtures/loss_dtypes.json from tools/fixtures/loss_dtypes.py): for every pair of input and
 * target dtypes the result's dtype, or the error with PyTorch's message (torchlet may add a hint
 * after it). An integer "loss" is never returned where PyTorch refuses one (issue 12).
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import type { DType, Tensor } from '../src/index.js';

const { nn } = torch;
const F = nn.functional as unknown as Record<string, (a: Tensor, b: Tensor, o: object) => Tensor>;

interface Case {
  fn?: string;
  layer?: string;
  input: DType;
  target?: DType;
  dtype?: DType;
  error?: string;
  message?: string;
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/loss_dtypes.json', import.meta.url), 'utf8')) as { cases: Case[] };

const X = () => torch.tensor([[0.25, 0.5, 0.75], [0.5, 0.25, 1.0]]);
const Y = () => torch.tensor([[1, 0, 1], [0, 1, 1]], { dtype: 'float32' });
const LAYERS: Record<string, () => { forward(x: Tensor): Tensor }> = {
  ELU: () => new nn.ELU(),
  GELU: () => new nn.GELU(),
  LeakyReLU: () => new nn.LeakyReLU(),
  Softmax: () => new nn.Softmax(1),
  LogSoftmax: () => new nn.LogSoftmax(1),
  Dropout: () => new nn.Dropout(0.5),
  ReLU: () => new nn.ReLU(),
  Tanh: () => new nn.Tanh(),
  Sigmoid: () => new nn.Sigmoid(),
  Flatten: () => new nn.Flatten(),
  Identity: () => new nn.Identity() as never,
};

/** Cases where torchlet differs from 1.13 (none today; add `label` with the reason). */
const DEVIATIONS = new Set<string>([]);

function run(f: () => Tensor): { dtype: DType } | { error: Error } {
  try {
    return { dtype: f().dtype };
  } catch (e) {
    return { error: e as Error };
  }
}

describe('loss and activation dtypes as PyTorch 1.13', () => {
  it('the fixture covers every loss pair and layer', () => {
    expect(fx.cases.length).toBe(7 * 25 + 11 * 5);
  });
  for (const c of fx.cases) {
    const label = c.fn ? `${c.fn}(${c.input}, ${c.target})` : `${c.layer} ${c.input}`;
    it.skipIf(DEVIATIONS.has(label))(`${label}: ${c.dtype ?? `${c.error}: ${c.message}`}`, () => {
      const x = X().to(c.input);
      const y = c.target ? Y().to(c.target) : null;
      const before = [x.tolist(), y?.tolist()];
      const got = run(() => (c.fn ? F[c.fn]!(x, y!, { reduction: 'none' }) : LAYERS[c.layer!]!().forward(x)));
      if (c.dtype) {
        expect('dtype' in got ? got.dtype : (got as { error: Error }).error.message).toBe(c.dtype);
      } else {
        expect('error' in got, `expected PyTorch's ${c.error}`).toBe(true);
        const e = (got as { error: Error }).error;
        expect(e).toBeInstanceOf(torch.TorchletError);
        expect((e as torch.TorchletError).pytorchType).toBe(c.error);
        expect(e.message.startsWith(c.message!), `got: ${e.message}`).toBe(true);
      }
      expect([x.tolist(), y?.tolist()]).toEqual(before);
    });
  }
});
