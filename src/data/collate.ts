/**
 * Batching items into tensors. PyTorch: `torch.utils.data.default_collate` and `default_convert`.
 *
 * `defaultCollate(items)` looks at the first item and, recursively:
 * - Tensor → `torch.stack(items)`: (B, *)
 * - number → a (B) tensor: int64 when every number is an integer, else float64 (see below)
 * - boolean → a (B) bool tensor
 * - Float32Array / Float64Array / Int32Array (PyTorch: a NumPy array) → a (B, n) tensor of that dtype
 * - string → the array of strings, unchanged
 * - array (a tuple such as `[x, y]`) → an array of the collated columns: `[[x0, y0], [x1, y1]]` → `[X, Y]`
 * - plain object → an object with each key's values collated: `{ x, len }` → `{ x: X, len: L }`
 *
 * PyTorch parity: Python tells ints from floats by type; JavaScript cannot, so a batch of numbers
 * that are all integers becomes an int64 tensor (as PyTorch's ints) and any other a float64
 * one (PyTorch: float64 for floats). A regression target that happens to be whole-numbered in one
 * batch would come out int64: return such targets as tensors (or float typed arrays) from
 * `getItem`, which keeps their dtype.
 */

import { ArgumentTypeError, IndexError, TorchletError, typeName as jsTypeName } from '../errors.js';
import { tensor } from '../ops/creation.js';
import { stack } from '../ops/join.js';
import { Tensor } from '../tensor/tensor.js';

/** The batch type `defaultCollate` makes from an item type. PyTorch: what `torch.utils.data.default_collate` returns. */
export type Collated<T> = T extends Tensor | number | boolean | Float32Array | Float64Array | Int32Array
  ? Tensor
  : T extends string
    ? string[]
    : T extends readonly unknown[]
      ? { -readonly [K in keyof T]: Collated<T[K]> }
      : T extends object
        ? { [K in keyof T]: Collated<T[K]> }
        : never;

function typeName(v: unknown): string {
  if (v === null) return "<class 'NoneType'>";
  if (v === undefined) return 'undefined';
  if (typeof v === 'object') return `<class '${(v as object).constructor?.name ?? 'Object'}'>`;
  return `<class '${typeof v}'>`;
}

function collateError(elem: unknown): TorchletError {
  return new ArgumentTypeError(
    `default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found ${typeName(elem)}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Stack a list of items into a batch. PyTorch: `torch.utils.data.default_collate(batch)`.
 * Shapes: items of shape (*) give a batch of shape (B, *).
 */
export function defaultCollate<T>(batch: readonly T[]): Collated<T> {
  if (!Array.isArray(batch)) {
    throw new ArgumentTypeError(`default_collate(): argument 'batch' (position 1) must be a list of samples, not ${jsTypeName(batch)}`);
  }
  return collate(batch as readonly unknown[]) as Collated<T>;
}

function collate(batch: readonly unknown[]): unknown {
  if (batch.length === 0) throw new IndexError('default_collate: the batch is empty');
  const elem = batch[0];
  if (elem instanceof Tensor) {
    for (const b of batch) if (!(b instanceof Tensor)) throw collateError(b);
    return stack(batch as Tensor[], 0);
  }
  if (elem instanceof Float32Array || elem instanceof Float64Array || elem instanceof Int32Array) {
    return collate(batch.map((b) => (ArrayBuffer.isView(b) ? tensor(b as Float32Array) : b)));
  }
  if (typeof elem === 'number') {
    if (batch.some((b) => typeof b !== 'number')) throw collateError(batch.find((b) => typeof b !== 'number'));
    const nums = batch as number[];
    // PyTorch: torch.tensor(batch): Python ints give int64, floats float64 (default_collate's rule).
    return tensor(nums, { dtype: nums.every(Number.isInteger) ? 'int64' : 'float64' });
  }
  if (typeof elem === 'boolean') {
    return tensor(batch as boolean[]);
  }
  if (typeof elem === 'string') return [...batch];
  if (Array.isArray(elem)) {
    const size = elem.length;
    for (const b of batch) {
      if (!Array.isArray(b) || b.length !== size) {
        throw new TorchletError('each element in list of batch should be of equal size', 'RuntimeError');
      }
    }
    return Array.from({ length: size }, (_, k) => collate(batch.map((b) => (b as unknown[])[k])));
  }
  if (isPlainObject(elem)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(elem)) {
      out[key] = collate(
        batch.map((b) => {
          if (!isPlainObject(b) || !(key in b)) throw new TorchletError(`'${key}'`, 'KeyError');
          return b[key];
        }),
      );
    }
    return out;
  }
  throw collateError(elem);
}

/**
 * Turn one item's typed arrays into tensors and leave the rest as it is (used when `batchSize` is
 * null: no batching). PyTorch: `torch.utils.data.default_convert(data)`.
 */
export function defaultConvert(data: unknown): unknown {
  if (data instanceof Tensor) return data;
  if (data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array) return tensor(data);
  if (Array.isArray(data)) return data.map(defaultConvert);
  if (isPlainObject(data)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(data)) out[k] = defaultConvert(v);
    return out;
  }
  return data;
}
