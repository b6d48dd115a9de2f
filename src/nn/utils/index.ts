/** PyTorch: `torch.nn.utils`. */

export { PackedSequence } from './packed.js';
// packing helpers: `export * as rnn from './rnn.js';` (src/nn/utils/rnn.ts)
// gradient clipping (src/nn/utils/clip-grad.ts)
