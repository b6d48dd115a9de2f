/**
 * One-line descriptions of what a loaded checkpoint holds, shared by `torchlet inspect` (src/cli)
 * and the playground's load panel (web/), so the two never word an entry differently.
 * Browser-safe: no Node modules. No PyTorch twin.
 */

import { Tensor } from '../tensor/tensor.js';
import type { PickleValue } from './pickle.js';

/** A pickled dict (a plain object that is not a tensor, list or bytes). No PyTorch twin. */
export const isPickleDict = (v: PickleValue): v is Record<string, PickleValue> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Tensor) && !(v instanceof Uint8Array);

/** `tensor float32 [3, 4]`, `dict of 5 entries (4 tensors)`, `list of 2`, ... No PyTorch twin. */
export function describePickleValue(v: PickleValue): string {
  if (v instanceof Tensor) return `tensor ${v.dtype} [${v.shape.join(', ')}]`;
  if (isPickleDict(v)) {
    const n = Object.values(v).filter((x) => x instanceof Tensor).length;
    return n > 0 ? `dict of ${Object.keys(v).length} entries (${n} tensors)` : `dict of ${Object.keys(v).length} entries`;
  }
  if (Array.isArray(v)) return `list of ${v.length}`;
  if (v instanceof Uint8Array) return `bytes (${v.length})`;
  if (v === null) return 'None';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return String(v);
}
