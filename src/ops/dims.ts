/** @internal Dim-list helpers shared by the reductions (not part of torch.*). */

import { ArgumentTypeError, RuntimeError } from '../errors.js';
import { defineOptions, opt } from '../options.js';
import { type DType, parseDType } from '../tensor/dtype.js';
import { normDim, numel } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { toDtype } from './util.js';

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


/**
 * The keyword arguments of `sum`, `mean`, `nansum`, `nanmean`, `prod` (PyTorch: `dim`, `keepdim`,
 * `*, dtype`), for `sum(x, { dtype: 'float64' })`, `sum(x, 1, true, { dtype })` or
 * `sum(x, { dim: 1, keepdim: true })`.
 */
export interface ReduceOptions {
  /** The dim or dims to reduce (all when left out). Give it here or positionally, not both. */
  dim?: number | readonly number[] | null;
  /** Keep the reduced dims as size 1. Default false. */
  keepdim?: boolean;
  /**
   * Cast the input to this dtype before reducing; the result has it. PyTorch: `dtype=`. Without
   * it, integer and bool input sums (and multiplies) to int64, as PyTorch.
   */
  dtype?: DType | `torch.${DType}`;
}
/** @internal The run-time check of `ReduceOptions` (src/options.ts); the dtype value is read by `parseDType`. */
export const REDUCE_OPTIONS = defineOptions<ReduceOptions>('torch.sum', {
  dim: opt.nullable(opt.or(opt.int, opt.arrayOf(opt.int))),
  keepdim: opt.bool,
  dtype: opt.any,
});

const isOptions = (v: unknown): v is ReduceOptions => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * @internal Positional `dim`/`keepdim` and the keyword object, as PyTorch's
 * `(input, dim, keepdim=False, *, dtype=None)`: the object may come at any place after the input.
 */
export function reduceArgs(
  fn: string,
  dim: unknown,
  keepdim: unknown,
  options: unknown,
): { dim: Dims; keepdim: boolean; dtype: DType | undefined } {
  if (!isOptions(dim) && !isOptions(keepdim) && options === undefined) {
    return { dim: dim as Dims, keepdim: keepdim === true || keepdim === 1, dtype: undefined };
  }
  const raw = isOptions(dim) ? dim : isOptions(keepdim) ? keepdim : options;
  const o = REDUCE_OPTIONS.parse(raw as ReduceOptions | undefined, `torch.${fn}`);
  const posDim = isOptions(dim) ? undefined : dim;
  const posKeep = isOptions(dim) || isOptions(keepdim) ? undefined : keepdim;
  for (const [name, pos, kw] of [['dim', posDim, o.dim], ['keepdim', posKeep, o.keepdim]] as const) {
    if (pos !== undefined && kw !== undefined) throw new ArgumentTypeError(`${fn}() got multiple values for argument '${name}'`);
  }
  const k = posKeep ?? o.keepdim ?? false;
  return {
    dim: (posDim ?? o.dim) as Dims,
    keepdim: k === true || k === 1,
    dtype: o.dtype === undefined || o.dtype === null ? undefined : parseDType(o.dtype, `torch.${fn}`),
  };
}

/** @internal The input cast to `dtype` first, as PyTorch's `dtype=` (differentiable between float dtypes). */
export function castFirst(x: Tensor, dtype: DType | undefined): Tensor {
  return dtype === undefined ? x : toDtype(x, dtype);
}

/** The keyword argument of `softmax`/`logSoftmax` (PyTorch: `dtype=None`). */
export interface SoftmaxOptions {
  /** Cast the input to this dtype first; the result has it. PyTorch: `dtype=`. */
  dtype?: DType | `torch.${DType}`;
}
/** @internal The run-time check of `SoftmaxOptions` (src/options.ts). */
export const SOFTMAX_OPTIONS = defineOptions<SoftmaxOptions>('torch.softmax', { dtype: opt.any });

/** @internal The input of softmax/logSoftmax cast to `{ dtype }` (as PyTorch, before the op). */
export function softmaxInput(x: Tensor, options: SoftmaxOptions | undefined, fn: string): Tensor {
  if (options === undefined) return x;
  const o = SOFTMAX_OPTIONS.parse(options, fn);
  return castFirst(x, o.dtype === undefined || o.dtype === null ? undefined : parseDType(o.dtype, fn));
}
