/**
 * `torchlet/serve`: a dynamic-batching queue for recurrent models, for Node.js servers (the
 * `torchlet serve` command is built on it). Concurrent requests of different lengths are packed
 * into one PackedSequence (no padding), run once on worker threads, and split back per request.
 *
 *   import { createBatcher } from 'torchlet/serve';
 *   const batcher = createBatcher(lstm, { maxBatch: 64 });
 *   const [output, [hN, cN]] = await batcher.predict(x); // x (L, Hin)
 */

export type { Batcher, BatcherInfo, BatcherOptions, Prediction } from './batcher.js';
export { createBatcher } from './batcher.js';
