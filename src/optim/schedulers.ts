/**
 * The `torch.optim.lrScheduler` namespace. PyTorch: `torch.optim.lr_scheduler`.
 * lr-scheduler.ts: the base class, StepLR, CosineAnnealingLR, ReduceLROnPlateau; lr-schedules.ts:
 * the other per-epoch schedules and the combinators; lr-cycles.ts: OneCycleLR and CyclicLR.
 */

export * from './lr-cycles.js';
export * from './lr-scheduler.js';
export * from './lr-schedules.js';
