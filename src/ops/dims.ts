/** @internal Dim-list helpers shared by the reductions (not part of torch.*). */

import { RuntimeError } from '../errors.js';
import { normDim, numel } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/** One dim, a list of dims, or null/undefined for all of them (PyTorch: `int | tuple of ints | None`). */
export type Dims = number | readonly number[] | null | undefined;

/** @internal The reduced dims, sorted. None or [] means all dims (PyTorch 1.13 reads `dim=[]` as all). No PyTorch twin. */
export function normDims(x: Tensor, dim: Dims): number[] {
  if (dim === null || dim === undefined || (typeof dim !== 'number' && dim.length === 0)) return x.shape.map((_, i) => i);
  const list = typeof dim === 'number' ? [dim] : [...dim];
  const out = list.map((d) => normDim(d, x.ndim));
  const dup = out.find((d, i) => out.indexOf(d) !== i);
  if (dup !== undefined) throw new RuntimeError(`dim ${dup} appears multiple times in the list of dims`);
  return out.filter((d) => d < x.ndim).sort((a, b) => a - b);
}

/** @internal (outer, n, inner) view of a contiguous shape around dim d. No PyTorch twin. */
export function around(shape: readonly number[], d: number): [number, number, number] {
  return [numel(shape.slice(0, d)), shape[d], numel(shape.slice(d + 1))];
}

/** @internal Drop the reduced dims of a keepdim result (a view; no autograd record). No PyTorch twin. */
export function dropDims(kept: Tensor, dims: readonly number[]): Tensor {
  const drop = new Set(dims);
  return new Tensor(
    kept.storage,
    kept.shape.filter((_, i) => !drop.has(i)),
    kept.dtype,
    kept.strides.filter((_, i) => !drop.has(i)),
    kept.offset,
  );
}

