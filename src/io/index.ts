/**
 * Models in and out. PyTorch: `torch.load`, `safetensors.torch`.
 *
 * - `loadSafetensors(bytes)` / `saveSafetensors(stateDict, metadata?, { dtype? })`: safetensors
 *   on Uint8Array (F16/BF16/F64 load as float32; floats can be written as F16/BF16).
 * - `load(bytes)`: a `torch.save` checkpoint (zip format, or the legacy pre-1.6 format), read
 *   with no code executed; `toStateDict(ckpt, key?)` narrows it for `Module.loadStateDict`.
 * - `save(obj)`: a `torch.save`-format checkpoint that PyTorch's `torch.load` reads.
 * File helpers (atomic writes) live in `torchlet/node`.
 */

export type { LoadOptions } from './checkpoint.js';
export { load, toStateDict } from './checkpoint.js';
export { save } from './save.js';
export type { PickleDict, PickleValue } from './pickle.js';
export type { LoadSafetensorsOptions, SafetensorsFile, SaveSafetensorsOptions } from './safetensors.js';
export { loadSafetensors, saveSafetensors } from './safetensors.js';
