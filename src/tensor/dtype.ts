/**
 * Data types. PyTorch parity: PyTorch's default integer dtype is int64; torchlet uses int32 for
 * indices, lengths and class targets (JavaScript has no fast 64-bit integer arrays), and reads
 * int64 data from files into int32.
 */

export type DType = 'float32' | 'float64' | 'int32';
/** The floating dtypes (the ones that can require grad). */
export type FloatDType = 'float32' | 'float64';
/** The typed array behind a tensor of each dtype. */
export type Storage = Float32Array | Float64Array | Int32Array;
/** Storage of a floating dtype. */
export type FloatStorage = Float32Array | Float64Array;

/** A zero-filled storage of n elements. */
export function allocStorage(dtype: DType, n: number): Storage {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int32':
      return new Int32Array(n);
  }
}

/** The dtype a storage holds. */
export function dtypeOf(s: Storage): DType {
  return s instanceof Float32Array ? 'float32' : s instanceof Float64Array ? 'float64' : 'int32';
}

/** PyTorch: `dtype.is_floating_point`. */
export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype !== 'int32';
}

/** Type promotion for two tensors, as PyTorch's `torch.result_type` for these dtypes. */
export function promote(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === 'float64' || b === 'float64') return 'float64';
  return 'float32';
}

/** PyTorch's printed name of a dtype. */
export function torchName(dtype: DType): string {
  return `torch.${dtype}`;
}
