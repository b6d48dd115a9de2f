/**
 * RMSprop. PyTorch: `torch.optim.RMSprop`.
 *
 * For each parameter p with gradient g (negated when `maximize`):
 *   g ← g + weightDecay·p
 *   s ← α·s + (1 − α)·g²                         (`square_avg`)
 *   ḡ ← α·ḡ + (1 − α)·g; d ← √(s − ḡ²) + eps    if centered (`grad_avg`), else d ← √s + eps
 *   b ← momentum·b + g/d; p ← p − lr·b          if momentum > 0 (`momentum_buffer`)
 *   p ← p − lr·g/d                               otherwise
 * State per parameter: `step` (a plain number, as PyTorch 1.13 keeps it for RMSprop),
 * `square_avg`, `momentum_buffer` (momentum > 0), `grad_avg` (centered).
 */

import { ValueError } from '../errors.js';
import { defineOptions, opt } from '../options.js';
import type { BaseHyper, ParamGroup, ParamsInput } from './optimizer.js';
import { gradValues, Optimizer, pyNum, rounder, stateValues, updateInPlace, zerosState } from './optimizer.js';

/** RMSprop's hyper-parameters. PyTorch: the keyword arguments of `torch.optim.RMSprop`. */
export interface RMSpropHyper extends BaseHyper {
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

/** PyTorch: `RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, maximize=False)`. */
export interface RMSpropOptions extends Partial<RMSpropHyper> {}
/** Run-time check of `RMSpropOptions` (src/options.ts). Param groups may carry any key, as PyTorch's dicts. */
export const RMSPROP_OPTIONS = defineOptions<RMSpropOptions>('optim.RMSprop', {
  lr: opt.number,
  alpha: opt.number,
  eps: opt.number,
  weightDecay: opt.number,
  momentum: opt.number,
  centered: opt.bool,
  maximize: opt.bool,
});

/**
 * RMSprop. PyTorch: `torch.optim.RMSprop`. State tensors have the shape of their parameter.
 *
 *   const opt = new torch.optim.RMSprop(model.parameters(), { lr: 1e-2, centered: true });
 */
export class RMSprop extends Optimizer<RMSpropHyper> {
  constructor(params: ParamsInput<RMSpropHyper>, options: RMSpropOptions = {}) {
    options = RMSPROP_OPTIONS.parse(options);
    super(params, {
      lr: options.lr ?? 1e-2,
      alpha: options.alpha ?? 0.99,
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      momentum: options.momentum ?? 0,
      centered: options.centered ?? false,
      maximize: options.maximize ?? false,
    });
  }

  protected validate(h: RMSpropHyper): void {
    if (!(h.lr >= 0)) throw new ValueError(`Invalid learning rate: ${pyNum(h.lr)}`);
    if (!(h.eps >= 0)) throw new ValueError(`Invalid epsilon value: ${pyNum(h.eps)}`);
    if (!(h.momentum >= 0)) throw new ValueError(`Invalid momentum value: ${pyNum(h.momentum)}`);
    if (!(h.weightDecay >= 0)) throw new ValueError(`Invalid weight_decay value: ${pyNum(h.weightDecay)}`);
    if (!(h.alpha >= 0)) throw new ValueError(`Invalid alpha value: ${pyNum(h.alpha)}`);
  }

  protected updateGroup(group: ParamGroup<RMSpropHyper>): void {
    const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = group;
    for (const p of group.params) {
      if (p.grad === null) continue;
      const state = this.stateOf(p);
      if (Object.keys(state).length === 0) {
        state.step = 0;
        state.square_avg = zerosState(p);
        if (momentum > 0) state.momentum_buffer = zerosState(p);
        if (centered) state.grad_avg = zerosState(p);
      }
      state.step = (state.step as number) + 1;
      const r = rounder(p);
      const grad = gradValues(p);
      const n = grad.length;
      const sq = stateValues(state.square_avg, 'square_avg');
      const gAvg = centered ? stateValues(state.grad_avg, 'grad_avg') : null;
      const buf = momentum > 0 ? stateValues(state.momentum_buffer, 'momentum_buffer') : null;
      const a = r(alpha);
      const oneMinusA = r(1 - alpha);
      const wd = r(weightDecay);
      const mom = r(momentum);
      const epsR = r(eps);
      const negLr = r(-lr);
      updateInPlace(p, (w) => {
        for (let i = 0; i < n; i++) {
          let g = maximize ? -grad[i] : grad[i];
          if (weightDecay !== 0) g = r(g + wd * w[i]);
          sq[i] = r(r(sq[i] * a) + r(oneMinusA * g) * g);
          let avg: number;
          if (gAvg !== null) {
            gAvg[i] = r(r(gAvg[i] * a) + oneMinusA * g);
            avg = r(Math.sqrt(r(sq[i] - gAvg[i] * gAvg[i])));
          } else {
            avg = r(Math.sqrt(sq[i]));
          }
          avg = r(avg + epsR);
          if (buf !== null) {
            buf[i] = r(r(buf[i] * mom) + r(g / avg));
            w[i] = r(w[i] + negLr * buf[i]);
          } else {
            w[i] = r(w[i] + r(r(negLr * g) / avg));
          }
        }
      });
    }
  }
}
