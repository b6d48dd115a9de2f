/** Every public op. Functions here are also methods on `Tensor` (installed by ./methods/index.ts). */

import './methods/index.js';

export * from './creation.js';
export * from './elementwise.js';
export * from './join.js';
export * from './matmul.js';
export * from './reduce.js';
export * from './shape.js';
export { clone, contiguous, detach } from './util.js';
export * from './indexing.js';
export * from './reductions.js';
export * from './math.js';
