/**
 * Stochastic gradient descent with momentum. PyTorch: `torch.optim.SGD`.
 *
 * For each parameter p with gradient g (g negated when `maximize`):
 *   g ← g + weightDecay·p
 *   b ← g on the first step, else momentum·b + (1 − dampening)·g      (when momentum ≠ 0)
 *   g ← g + momentum·b if nesterov, else b
 *   p ← p − lr·g
 * State per parameter: `momentum_buffer` (null while momentum is 0, as PyTorch's None).
 */

import { ValueError } from '../errors.js';
import { defineOptions, opt } from '../options.js';
import type { Tensor } from '../tensor/tensor.js';
import type { BaseHyper, ParamGroup, ParamsInput } from './optimizer.js';
import { gradValues, Optimizer, pyNum, rounder, stateValues, updateInPlace, zerosState } from './optimizer.js';

/** SGD's hyper-parameters. PyTorch: the keyword arguments of `torch.optim.SGD`. */
export interface SGDHyper extends BaseHyper {
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

/** PyTorch: `SGD(params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False)`. */
export interface SGDOptions extends Partial<SGDHyper> {}
/** Run-time check of `SGDOptions` (src/options.ts). Param groups may carry any key, as PyTorch's dicts. */
export const SGD_OPTIONS = defineOptions<SGDOptions>('optim.SGD', {
  lr: opt.number,
  momentum: opt.number,
  dampening: opt.number,
  weightDecay: opt.number,
  nesterov: opt.bool,
  maximize: opt.bool,
});

/**
 * Stochastic gradient descent. PyTorch: `torch.optim.SGD`. `momentum_buffer` has the shape of its
 * parameter.
 *
 *   const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 */
export class SGD extends Optimizer<SGDHyper> {
  /**
   * @param params tensors, or groups `[{ params, lr }, ...]`
   * @param options `lr` is required (here or in every group), as in PyTorch
   */
  constructor(params: ParamsInput<SGDHyper>, options: SGDOptions = {}) {
    options = SGD_OPTIONS.parse(options);
    super(params, {
      lr: options.lr ?? Number.NaN,
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      weightDecay: options.weightDecay ?? 0,
      nesterov: options.nesterov ?? false,
      maximize: options.maximize ?? false,
    });
  }

  protected validate(h: SGDHyper): void {
    if (h.lr < 0) throw new ValueError(`Invalid learning rate: ${pyNum(h.lr)}`);
    if (h.momentum < 0) throw new ValueError(`Invalid momentum value: ${pyNum(h.momentum)}`);
    if (h.weightDecay < 0) throw new ValueError(`Invalid weight_decay value: ${pyNum(h.weightDecay)}`);
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      throw new ValueError('Nesterov momentum requires a momentum and zero dampening');
    }
  }

  protected updateGroup(group: ParamGroup<SGDHyper>): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    for (const p of group.params) {
      if (p.grad === null) continue;
      const state = this.stateOf(p);
      const r = rounder(p);
      const grad = gradValues(p);
      const n = grad.length;
      // d holds d_p; PyTorch's scalars become float32 for float32 tensors.
      const d = Float64Array.from(grad, (v) => (maximize ? -v : v));
      let buf: Tensor | null = (state.momentum_buffer as Tensor | null | undefined) ?? null;
      updateInPlace(p, (w) => {
        const wd = r(weightDecay);
        if (weightDecay !== 0) for (let i = 0; i < n; i++) d[i] = r(d[i] + wd * w[i]);
        if (momentum !== 0) {
          const m = r(momentum);
          const keep = r(1 - dampening);
          if (buf === null) {
            buf = zerosState(p);
            stateValues(buf, 'momentum_buffer').set(d);
          } else {
            const b = stateValues(buf, 'momentum_buffer');
            for (let i = 0; i < n; i++) b[i] = r(r(b[i] * m) + keep * d[i]);
          }
          const b = stateValues(buf, 'momentum_buffer');
          if (nesterov) for (let i = 0; i < n; i++) d[i] = r(d[i] + m * b[i]);
          else d.set(b);
        }
        const step = r(-lr);
        for (let i = 0; i < n; i++) w[i] = r(w[i] + step * d[i]);
      });
      state.momentum_buffer = buf;
    }
  }
}
