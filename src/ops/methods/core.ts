/**
 * Tensor methods for conversion, copying and `*_like` creation, installed on `Tensor.prototype`
 * (see ./index.ts for why methods live on the ops side).
 */

import { isGradEnabled, noGrad } from '../../autograd/grad-mode.js';
import { record } from '../../autograd/node.js';
import { RuntimeError, ValueError } from '../../errors.js';
import type { Device, DTypeLike, ToOptions } from '../../tensor/dtype.js';
import { castStorage, isFloat, parseDevice, parseToArgs } from '../../tensor/dtype.js';
import { checkInplace, Tensor } from '../../tensor/tensor.js';
import { onesLike, zerosLike } from '../creation.js';
import { applyInplace } from '../inplace.js';
import { expand } from '../shape.js';
import { clone, contiguous, forEachOffset, sumToShape, toDtype } from '../util.js';

declare module '../../tensor/tensor.js' {
  interface Tensor {
    /** PyTorch: `torch.zeros_like(t)`: zeros of this shape and dtype. */
    zerosLike(): Tensor;
    /** PyTorch: `torch.ones_like(t)`: ones of this shape and dtype. */
    onesLike(): Tensor;
    /**
     * PyTorch: `Tensor.to(...)`: `to(dtype)` (`'float32'`/`'float'`, `'float64'`/`'double'`,
     * `'int32'`/`'int'`, `'int64'`/`'long'`, `'bool'`, or `torch.int64`-style constants),
     * `to('cpu')`, `to('cpu', dtype)`, `to(otherTensor)` (its dtype), `to({ dtype, device, copy })`.
     * Returns this tensor when nothing changes (unless `copy: true`), else a converted copy.
     * `'cuda'`, `'mps'`, ... are refused: torchlet runs on the CPU and WebAssembly.
     */
    to(dtype: DTypeLike): Tensor;
    to(device: Device | string, dtype?: DTypeLike): Tensor;
    to(other: Tensor): Tensor;
    to(options: ToOptions): Tensor;
    /** PyTorch: `Tensor.cpu()`: this tensor (it is already on the CPU). */
    cpu(): Tensor;
    /** PyTorch: `Tensor.cuda()`: refused with the device message (torchlet runs on the CPU and WebAssembly). */
    cuda(): never;
    /** PyTorch: `Tensor.float()`: as float32. */
    float(): Tensor;
    /** PyTorch: `Tensor.double()`: as float64. */
    double(): Tensor;
    /** PyTorch: `Tensor.int()`: as int32 (truncating toward zero). */
    int(): Tensor;
    /** PyTorch: `Tensor.long()`: as int64, PyTorch's index dtype (truncating toward zero; values beyond int32 are refused). */
    long(): Tensor;
    /** PyTorch: `Tensor.bool()`: as bool, true where nonzero (NaN is true). */
    bool(): Tensor;
    /** PyTorch: `Tensor.contiguous()`: this, or a row-major copy. */
    contiguous(): Tensor;
    /** PyTorch: `Tensor.clone()`: a copy, recorded for autograd. */
    clone(): Tensor;
    /**
     * Overwrite this tensor's values in place with `src` (broadcast to this shape), counting the
     * write in `_version`. On a leaf that requires grad only under `noGrad` (PyTorch's rule); with
     * grad mode on and a `src` or `this` that requires grad the copy is recorded (CopyBackwards):
     * the gradient flows to `src`, not to the overwritten values. PyTorch: `Tensor.copy_(src)`.
     */
    copy_(src: Tensor | ArrayLike<number>): this;
  }
}

const proto = Tensor.prototype;

proto.zerosLike = function (this: Tensor): Tensor {
  return zerosLike(this);
};
proto.onesLike = function (this: Tensor): Tensor {
  return onesLike(this);
};
proto.to = function (this: Tensor, ...args: unknown[]): Tensor {
  const target = parseToArgs('Tensor.to', args);
  const y = target.dtype === undefined ? this : toDtype(this, target.dtype);
  return target.copy && y === this ? clone(this) : y;
} as Tensor['to'];
proto.cpu = function (this: Tensor): Tensor {
  return this;
};
proto.cuda = (): never => {
  parseDevice('cuda', 'Tensor.cuda');
  throw new RuntimeError('unreachable');
};
proto.float = function (this: Tensor): Tensor {
  return toDtype(this, 'float32');
};
proto.double = function (this: Tensor): Tensor {
  return toDtype(this, 'float64');
};
proto.int = function (this: Tensor): Tensor {
  return toDtype(this, 'int32');
};
proto.long = function (this: Tensor): Tensor {
  return toDtype(this, 'int64');
};
proto.bool = function (this: Tensor): Tensor {
  return toDtype(this, 'bool');
};
proto.contiguous = function (this: Tensor): Tensor {
  return contiguous(this);
};
proto.clone = function (this: Tensor): Tensor {
  return clone(this);
};
proto.copy_ = function <T extends Tensor>(this: T, src: Tensor | ArrayLike<number>): T {
  const n = this.numel();
  const raw = src instanceof Tensor ? noGrad(() => expand(src, this.shape)).contiguousData() : src;
  if (raw.length !== n) {
    throw new ValueError(`copy_: expected ${n} values, got ${raw.length}`);
  }
  // Converted (and int64 range-checked) before anything is written.
  const data = isFloat(this.dtype) ? raw : castStorage(raw, this.dtype, 'copy_');
  const tracked = isGradEnabled() && (this.requiresGrad || (src instanceof Tensor && src.requiresGrad));
  checkInplace(this);
  if (tracked && this._base !== null) {
    // A view in a graph: the base's history is rewritten as PyTorch's CopySlices (src/ops/inplace.ts).
    const from = src instanceof Tensor ? src : new Tensor(Float64Array.from(data), this.shape, 'float64');
    return applyInplace(this, () => toDtype(expand(from, this.shape), this.dtype), [from], { replaces: 'CopyBackwards' }) as T;
  }
  this._bumpVersion();
  const prev = tracked ? this._historyAlias() : null;
  if (this.isContiguous()) {
    this.storage.set(data, this.offset);
  } else {
    forEachOffset(this, (i, o) => {
      this.storage[o] = data[i];
    });
  }
  if (prev) {
    const from = src as Tensor;
    const inputs = src instanceof Tensor ? [prev, from] : [prev];
    record('CopyBackwards', inputs, this, ([g]) => [zerosLike(g!), ...(src instanceof Tensor ? [sumToShape(g!, from.shape)] : [])], []);
  }
  return this;
};
