/** Every public op. Functions here are also methods on `Tensor` (installed by ./methods/index.ts). */

import './methods/index.js';

// creation, elementwise and shape also export helpers other modules share (option schemas,
// uniform, squeezeDims, splitViews): only their public ops are listed here.
export { arange, emptyLike, eye, full, fullLike, linspace, logspace, ones, onesLike, rand, randLike, randn, randnLike, randperm, tensor, zeros, zerosLike } from './creation.js';
export type { CreateOptions, LogspaceOptions, NestedNumbers, RandomOptions, TensorOptions } from './creation.js';
export { abs, add, clamp, div, eq, exp, ge, gt, isnan, le, log, logicalAnd, logicalNot, logicalOr, logicalXor, lt, maskedFill, maximum, minimum, mul, ne, neg, pow, relu, resultType, sigmoid, sqrt, sub, tanh, where } from './elementwise.js';
export type { AlphaOptions } from './elementwise.js';
export * from './join.js';
export * from './matmul.js';
export * from './reduce.js';
export { expand, expandAs, flatten, moveaxis, movedim, narrow, permute, reshape, squeeze, t, transpose, unflatten, unsqueeze, view } from './shape.js';
export { clone, contiguous, detach } from './util.js';
export { gather, index, maskedSelect, nonzero, scatter, scatterAdd, select, take, unbind } from './indexing.js';
export type { IndexSpec, NonzeroOptions, ScatterOptions } from './indexing.js';
export { scatterReduce } from './scatter.js';
export type { ScatterReduceOptions, ScatterReduction } from './scatter.js';
export { baddbmm, bmm, diag, outer, tril, triu } from './matrix.js';
export type { BaddbmmOptions } from './matrix.js';
export { einsum } from './einsum.js';
export { bernoulli, multinomial, normal, randint, randintLike } from './random.js';
export type { GeneratorOptions, MultinomialOptions } from './random.js';
export { indexPut_ } from './inplace.js';
export type { DivOptions, FillRandomOptions, IndexPutOptions } from './inplace.js';
export * from './reductions.js';
export * from './math.js';
