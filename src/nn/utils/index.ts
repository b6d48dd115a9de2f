/** PyTorch: `torch.nn.utils`. */

export { PackedSequence } from './packed.js';
export * as rnn from './rnn.js';
export type { ClipGradNormOptions } from './clip-grad.js';
export { clipGradNorm_, clipGradValue_ } from './clip-grad.js';
