/** Every public op. Functions here are also methods on `Tensor`. */

// creation, elementwise and shape also export helpers other modules share (option schemas,
// uniform, squeezeDims, splitViews): only their public ops are listed here.
export { arange, full, fullLike, ones, onesLike, rand, randLike, randn, randnLike, randperm, tensor, zeros, zerosLike } from './creation.js';
export type { CreateOptions, NestedNumbers, RandomOptions, TensorOptions } from './creation.js';
export { abs, add, clamp, div, eq, exp, ge, gt, isnan, le, log, logicalAnd, logicalNot, logicalOr, logicalXor, lt, maskedFill, maximum, minimum, mul, ne, neg, pow, relu, resultType, sigmoid, sqrt, sub, tanh, where } from './elementwise.js';
export type { AlphaOptions } from './elementwise.js';
export * from './join.js';
export * from './matmul.js';
export * from './reduce.js';
export { expand, flatten, narrow, permute, reshape, squeeze, t, transpose, unsqueeze, view } from './shape.js';
export { clone, contiguous, detach } from './util.js';
export * from './indexing.js';
