/**
 * Adam and AdamW. PyTorch: `torch.optim.Adam`, `torch.optim.AdamW`.
 *
 * For each parameter p with gradient g (negated when `maximize`), at step t:
 *   Adam:  g ← g + weightDecay·p          AdamW: p ← p·(1 − lr·weightDecay)
 *   m ← β1·m + (1 − β1)·g
 *   v ← β2·v + (1 − β2)·g²
 *   v̂ ← max(v̂, v) if amsgrad (v̂ is `max_exp_avg_sq`)
 *   p ← p − lr/(1 − β1ᵗ) · m / (√(v or v̂) / √(1 − β2ᵗ) + eps)
 * State per parameter: `step` (0-d float32 tensor, as PyTorch 1.13), `exp_avg`, `exp_avg_sq`,
 * and `max_exp_avg_sq` with amsgrad.
 *
 * The arithmetic follows PyTorch's float32 kernels operation by operation (each `mul_`, `add_`,
 * `addcmul_`, `addcdiv_` rounds once; `add_` with alpha and `addcmul_` are fused multiply-adds as
 * in PyTorch's AVX2 build), so a run stays within a few float32 ulps of PyTorch's.
 */

import { ValueError } from '../errors.js';
import { defineOptions, opt } from '../options.js';
import { Tensor } from '../tensor/tensor.js';
import type { BaseHyper, ParamGroup, ParamsInput } from './optimizer.js';
import { gradValues, Optimizer, pyNum, rounder, stateValues, updateInPlace, zerosState } from './optimizer.js';

/** Adam's and AdamW's hyper-parameters. PyTorch: the keyword arguments of `torch.optim.Adam`. */
export interface AdamHyper extends BaseHyper {
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

/** PyTorch: `Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False)`. */
export interface AdamOptions extends Partial<AdamHyper> {}
/** Run-time check of `AdamOptions` (src/options.ts). Param groups may carry any key, as PyTorch's dicts. */
export const ADAM_OPTIONS = defineOptions<AdamOptions>('optim.Adam', {
  lr: opt.number,
  betas: opt.named('[number, number]', (v) => Array.isArray(v) && v.length === 2 && v.every((b) => typeof b === 'number')),
  eps: opt.number,
  weightDecay: opt.number,
  amsgrad: opt.bool,
  maximize: opt.bool,
});

function validateAdam(h: AdamHyper): void {
  if (!(h.lr >= 0)) throw new ValueError(`Invalid learning rate: ${pyNum(h.lr)}`);
  if (!(h.eps >= 0)) throw new ValueError(`Invalid epsilon value: ${pyNum(h.eps)}`);
  if (!(h.betas[0] >= 0 && h.betas[0] < 1)) {
    throw new ValueError(`Invalid beta parameter at index 0: ${pyNum(h.betas[0])}. betas are in [0, 1), e.g. [0.9, 0.999]`);
  }
  if (!(h.betas[1] >= 0 && h.betas[1] < 1)) {
    throw new ValueError(`Invalid beta parameter at index 1: ${pyNum(h.betas[1])}. betas are in [0, 1), e.g. [0.9, 0.999]`);
  }
  if (!(h.weightDecay >= 0)) throw new ValueError(`Invalid weight_decay value: ${pyNum(h.weightDecay)}`);
}

/** Shared body of Adam and AdamW; `decoupled` selects AdamW's weight decay. */
abstract class AdamBase extends Optimizer<AdamHyper> {
  protected abstract readonly decoupled: boolean;

  protected validate(h: AdamHyper): void {
    validateAdam(h);
  }

  protected updateGroup(group: ParamGroup<AdamHyper>): void {
    const { lr, eps, weightDecay, amsgrad, maximize } = group;
    const [beta1, beta2] = group.betas;
    for (const p of group.params) {
      if (p.grad === null) continue;
      const state = this.stateOf(p);
      if (Object.keys(state).length === 0) {
        state.step = new Tensor(new Float32Array(1), [], 'float32');
        state.exp_avg = zerosState(p);
        state.exp_avg_sq = zerosState(p);
        if (amsgrad) state.max_exp_avg_sq = zerosState(p);
      }
      // PyTorch before 1.12 saved `step` as a number; its __setstate__ turns it into a tensor.
      if (typeof state.step === 'number') state.step = new Tensor(Float32Array.of(state.step), [], 'float32');
      const r = rounder(p);
      const grad = gradValues(p);
      const n = grad.length;
      const stepT = state.step as Tensor;
      stepT.storage[stepT.offset] = Math.fround(stepT.item() + 1);
      const step = stepT.item();
      const m = stateValues(state.exp_avg, 'exp_avg');
      const v = stateValues(state.exp_avg_sq, 'exp_avg_sq');
      const vMax = amsgrad ? stateValues(state.max_exp_avg_sq, 'max_exp_avg_sq') : null;
      const b1 = r(beta1);
      const b2 = r(beta2);
      const oneMinusB1 = r(1 - beta1);
      const oneMinusB2 = r(1 - beta2);
      const wd = r(weightDecay);
      const decay = r(1 - lr * weightDecay);
      // Python floats, as PyTorch computes them, before they meet the tensor.
      const stepSize = lr / (1 - beta1 ** step);
      const bc2Sqrt = r(Math.sqrt(1 - beta2 ** step));
      const negStep = r(-stepSize);
      const epsR = r(eps);
      updateInPlace(p, (w) => {
        for (let i = 0; i < n; i++) {
          let g = maximize ? -grad[i] : grad[i];
          if (this.decoupled) w[i] = r(w[i] * decay);
          else if (weightDecay !== 0) g = r(g + wd * w[i]);
          m[i] = r(r(m[i] * b1) + oneMinusB1 * g);
          v[i] = r(r(v[i] * b2) + r(oneMinusB2 * g) * g);
          let second = v[i];
          if (vMax !== null) {
            vMax[i] = Math.max(vMax[i], second);
            second = vMax[i];
          }
          const denom = r(r(r(Math.sqrt(second)) / bc2Sqrt) + epsR);
          w[i] = r(w[i] + r(r(negStep * m[i]) / denom));
        }
      });
    }
  }
}

/**
 * Adam. PyTorch: `torch.optim.Adam` (L2 weight decay added to the gradient). Parameters keep
 * their shapes; the state tensors have the shape of their parameter.
 *
 *   const opt = new torch.optim.Adam(model.parameters(), { lr: 1e-3 });
 *   opt.zeroGrad(); loss.backward(); opt.step();
 */
export class Adam extends AdamBase {
  protected readonly decoupled = false;
  constructor(params: ParamsInput<AdamHyper>, options: AdamOptions = {}) {
    options = ADAM_OPTIONS.parse(options);
    super(params, {
      lr: options.lr ?? 1e-3,
      betas: options.betas ? [options.betas[0], options.betas[1]] : [0.9, 0.999],
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      amsgrad: options.amsgrad ?? false,
      maximize: options.maximize ?? false,
    });
  }
}

/** PyTorch: `AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, maximize=False)`. */
export interface AdamWOptions extends Partial<AdamHyper> {}
export const ADAMW_OPTIONS = defineOptions<AdamWOptions>('optim.AdamW', ADAM_OPTIONS.rules);

/** AdamW: Adam with decoupled weight decay (default 1e-2). PyTorch: `torch.optim.AdamW`. */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;
  constructor(params: ParamsInput<AdamHyper>, options: AdamWOptions = {}) {
    options = ADAMW_OPTIONS.parse(options);
    super(params, {
      lr: options.lr ?? 1e-3,
      betas: options.betas ? [options.betas[0], options.betas[1]] : [0.9, 0.999],
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 1e-2,
      amsgrad: options.amsgrad ?? false,
      maximize: options.maximize ?? false,
    });
  }
}
