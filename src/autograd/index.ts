export { backward, grad } from './engine.js';
export type { BackwardOptions, GradOptions } from './engine.js';
export { enableGrad, isGradEnabled, noGrad, setGradEnabled } from './grad-mode.js';
export { gradcheck } from './gradcheck.js';
export type { GradcheckOptions } from './gradcheck.js';
export { RemovableHandle } from './node.js';
export type { TensorHook } from './node.js';
