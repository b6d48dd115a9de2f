/**
 * Functional forms of the layers and losses. PyTorch: `torch.nn.functional` (usually imported
 * as `F`): `import { nn } from 'torchlet'; const F = nn.functional;`.
 */

export { elu, erf, gelu, leakyRelu, logSoftmax, relu, sigmoid, softmax, tanh } from './activation.js';
export { conv1d } from './conv.js';
export type { Conv1dFunctionalOptions } from './conv.js';
export { dropout } from './dropout.js';
export { embedding, linear } from './linear.js';
export { oneHot } from './one-hot.js';
export {
  binaryCrossEntropyWithLogits,
  crossEntropy,
  l1Loss,
  mseLoss,
  nllLoss,
} from './loss.js';
export type { BceWithLogitsOptions, CrossEntropyOptions, NllLossOptions, Reduction, RegressionLossOptions } from './loss.js';
export type {
  BceOptions,
  CosineEmbeddingLossOptions,
  HuberLossOptions,
  KlDivOptions,
  KlDivReduction,
  SmoothL1LossOptions,
} from './more-losses.js';
export { binaryCrossEntropy, cosineEmbeddingLoss, huberLoss, klDiv, smoothL1Loss } from './more-losses.js';
export { batchNorm, groupNorm, layerNorm } from './norm.js';
export type { BatchNormOptions } from './norm.js';
