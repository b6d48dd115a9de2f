/**
 * Neural-network layers. PyTorch: `torch.nn`.
 * Each line below belongs to one part of the library; add exports on your own line.
 */

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
