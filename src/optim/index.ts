/**
 * Optimisers and learning-rate schedulers. PyTorch: `torch.optim`, `torch.optim.lr_scheduler`
 * (here `optim.lrScheduler`).
 *
 *   const opt = new torch.optim.Adam(model.parameters(), { lr: 1e-3 });
 *   const sched = new torch.optim.lrScheduler.StepLR(opt, { stepSize: 10, gamma: 0.5 });
 */

export type { AdamHyper, AdamOptions, AdamWOptions } from './adam.js';
export { Adam, AdamW } from './adam.js';
export * as lrScheduler from './schedulers.js';
export type {
  BaseHyper,
  HyperValue,
  OptimizerStateDict,
  OptimStateValue,
  ParamGroup,
  ParamGroupInput,
  ParamState,
  ParamsInput,
} from './optimizer.js';
export { Optimizer } from './optimizer.js';
export type { RMSpropHyper, RMSpropOptions } from './rmsprop.js';
export { RMSprop } from './rmsprop.js';
export type { SGDHyper, SGDOptions } from './sgd.js';
export { SGD } from './sgd.js';
