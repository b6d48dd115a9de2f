/** Every public op. Functions here are also methods on `Tensor` (installed by ./methods/index.ts). */

import './methods/index.js';

export * from './creation.js';
export * from './elementwise.js';
export * from './join.js';
export * from './matmul.js';
export * from './reduce.js';
export * from './shape.js';
export { clone, contiguous, detach } from './util.js';
export { gather, index, maskedSelect, nonzero, scatter, scatterAdd, select, take, unbind } from './indexing.js';
export type { IndexSpec, NonzeroOptions } from './indexing.js';
export { baddbmm, bmm, diag, outer, tril, triu } from './matrix.js';
export type { BaddbmmOptions } from './matrix.js';
export { einsum } from './einsum.js';
export { bernoulli, multinomial, normal, randint, randintLike } from './random.js';
export type { GeneratorOptions, MultinomialOptions } from './random.js';
export { indexPut_ } from './inplace.js';
export type { DivOptions, FillRandomOptions, IndexPutOptions } from './inplace.js';
