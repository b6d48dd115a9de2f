/**
 * Neural-network layers. PyTorch: `torch.nn`. Also the entry point `torchlet/nn`
 * (`import { LSTM } from 'torchlet/nn'`), which esbuild tree-shakes layer by layer.
 * Each line below belongs to one part of the library; add exports on your own line.
 */

import '../runtime.js'; // `torchlet/nn` is an entry point too: refuse a Node.js that is too old
import '../ops/methods/index.js'; // installs the Tensor methods (x.matmul(w), ...)
export { Module, RemovableHandle, registerModuleForwardHook, registerModuleForwardPreHook } from './module.js';
export type { ForwardHook, ForwardPreHook, LoadResult, StateDict } from './module.js';
export { Parameter } from './parameter.js';
// recurrent layers and cells (src/nn/rnn/)
export * from './rnn/index.js';
// feed-forward layers, containers, activations (src/nn/layers/)
export * from './layers/index.js';
// losses (src/nn/loss.ts)
export * from './loss.js';
// functional forms (src/nn/functional/)
export * as functional from './functional/index.js';
export * as utils from './utils/index.js';
// parameter initialisation (src/nn/init.ts)
export * as init from './init.js';
