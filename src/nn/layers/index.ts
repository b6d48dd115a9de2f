/** Feed-forward layers, containers and activations (re-exported by `torch.nn`). */

export { ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh } from './activation.js';
export { ModuleList, ParameterList, Sequential } from './container.js';
export type { TensorModule } from './container.js';
export { Conv1d } from './conv.js';
export type { Conv1dLayerOptions } from './conv.js';
export { Dropout } from './dropout.js';
export { Embedding, Identity, Linear } from './linear.js';
export type { EmbeddingOptions, LinearOptions } from './linear.js';
export { BatchNorm1d, GroupNorm, LayerNorm } from './norm.js';
export type { BatchNormLayerOptions, GroupNormOptions, LayerNormOptions } from './norm.js';
export { ModuleDict, ParameterDict } from './dicts.js';
export { Flatten, Unflatten } from './flatten.js';
