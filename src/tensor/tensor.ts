/**
 * The n-dimensional array with autograd. PyTorch: `torch.Tensor`.
 *
 * A tensor is a view (shape, strides, offset) of a flat typed-array storage; views made by
 * transpose/permute/expand/narrow/squeeze/unsqueeze/view share the storage. Methods mirror
 * PyTorch's and call the functions in `src/ops/`, where forward and backward sit side by side.
 */

import { runBackward } from '../autograd/engine.js';
import type { GradNode } from '../autograd/node.js';
import { IndexError, RuntimeError, ValueError } from '../errors.js';
import * as ops from '../ops/index.js';
import type { DType, Storage } from './dtype.js';
import { allocStorage } from './dtype.js';
import { formatTensor } from './format.js';
import type { Shape, SizeArgs } from './shape.js';
import { contiguousStrides, numel } from './shape.js';

type Operand = Tensor | number;

export class Tensor {
  /** The flat storage this tensor views. Shared between views; read it with `toFloat32Array()`. */
  readonly storage: Storage;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
  /** PyTorch: `requires_grad`. Set it on leaves with `requiresGrad_()` or at creation. */
  requiresGrad = false;
  /** Accumulated gradient of a leaf after `backward()`. PyTorch: `.grad`. */
  grad: Tensor | null = null;
  /** The recorded op that produced this tensor, null for leaves. PyTorch: `grad_fn`. */
  gradFn: GradNode | null = null;
  /** Which output of `gradFn` this tensor is. */
  outputIndex = 0;

  constructor(storage: Storage, shape: Shape, dtype: DType, strides?: readonly number[], offset = 0) {
    this.storage = storage;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze(strides ? [...strides] : contiguousStrides(shape));
    this.offset = offset;
    this.dtype = dtype;
  }

  /** A fresh contiguous tensor of zeros. */
  static empty(shape: Shape, dtype: DType = 'float32'): Tensor {
    return new Tensor(allocStorage(dtype, numel(shape)), shape, dtype);
  }

  // ---- metadata ----------------------------------------------------------------------------

  /** Number of dimensions. PyTorch: `dim()`, `ndim`. */
  get ndim(): number {
    return this.shape.length;
  }
  dim(): number {
    return this.shape.length;
  }
  /** PyTorch: `size()` / `size(dim)`. */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    if (dim === undefined) return [...this.shape];
    if (this.ndim === 0) throw new IndexError(`Dimension specified as ${dim} but tensor has no dimensions`);
    return this.shape[ops.normDim(dim, this.ndim)]!;
  }
  numel(): number {
    return numel(this.shape);
  }
  isContiguous(): boolean {
    const cs = contiguousStrides(this.shape);
    return this.shape.every((s, i) => s === 1 || cs[i] === this.strides[i]);
  }
  /** True for tensors not produced by a recorded op. PyTorch: `is_leaf`. */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  // ---- reading back ------------------------------------------------------------------------

  /** A row-major Float32Array copy of the values. */
  toFloat32Array(): Float32Array {
    return Float32Array.from(this.contiguousData());
  }
  /** A row-major copy in this tensor's own dtype. */
  toTypedArray(): Storage {
    return this.contiguousData().slice();
  }
  /** The row-major data; the storage itself when already contiguous and whole (do not mutate). */
  contiguousData(): Storage {
    const n = this.numel();
    if (this.isContiguous() && this.offset === 0 && this.storage.length === n) return this.storage;
    if (this.isContiguous()) return this.storage.subarray(this.offset, this.offset + n);
    return ops.contiguous(this).storage;
  }
  /** Nested arrays of numbers. PyTorch: `tolist()`. */
  tolist(): number | NestedArray {
    const data = this.contiguousData();
    if (this.ndim === 0) return data[0]!;
    const build = (dim: number, off: number): NestedArray => {
      const n = this.shape[dim]!;
      const inner = numel(this.shape.slice(dim + 1));
      const out: NestedArray = [];
      for (let i = 0; i < n; i++) out.push(dim === this.ndim - 1 ? data[off + i]! : build(dim + 1, off + i * inner));
      return out;
    };
    return build(0, 0);
  }
  /** The value of a one-element tensor. PyTorch: `item()`. */
  item(): number {
    if (this.numel() !== 1) {
      throw new ValueError('only one element tensors can be converted to Python scalars');
    }
    return this.storage[this.offset]!;
  }
  toString(): string {
    return formatTensor(this);
  }

  // ---- autograd ----------------------------------------------------------------------------

  /** PyTorch: `requires_grad_(requires_grad=True)`. Only on leaves. */
  requiresGrad_(flag = true): this {
    if (this.gradFn !== null && !flag) {
      throw new RuntimeError(
        'you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn\'t require differentiation use var_no_grad = var.detach().',
      );
    }
    if (flag && this.dtype === 'int32') {
      throw new RuntimeError('only Tensors of floating point dtype can require gradients');
    }
    this.requiresGrad = flag;
    return this;
  }
  /** PyTorch: `backward(gradient=None)`. */
  backward(grad?: Tensor): void {
    runBackward(this, grad);
  }
  /** @internal Called by the autograd recorder. */
  _setGradFn(node: GradNode, index: number): void {
    this.gradFn = node;
    this.outputIndex = index;
    this.requiresGrad = true;
  }
  /** @internal Called by the engine on leaves. */
  _accumulateGrad(g: Tensor): void {
    if (!this.requiresGrad) return;
    // Always a fresh tensor: the incoming gradient may alias another tensor's storage.
    const own = g.dtype === this.dtype ? g : ops.toDtype(g, this.dtype);
    this.grad = (this.grad === null ? ops.clone(own) : ops.add(this.grad, own)).detach();
  }
  /** A tensor sharing storage, cut from the graph. PyTorch: `detach()`. */
  detach(): Tensor {
    return new Tensor(this.storage, this.shape, this.dtype, this.strides, this.offset);
  }

  /**
   * Overwrite this tensor's values in place (no autograd record). Used by optimisers and
   * `loadStateDict`. PyTorch: `tensor.copy_(src)` under `no_grad`.
   */
  copy_(src: Tensor | ArrayLike<number>): this {
    const n = this.numel();
    const data = src instanceof Tensor ? ops.expand(src, this.shape).contiguousData() : src;
    if (data.length !== n) {
      throw new ValueError(`copy_: expected ${n} values, got ${data.length}`);
    }
    if (this.isContiguous()) {
      this.storage.set(data, this.offset);
    } else {
      ops.forEachOffset(this, (i, o) => {
        this.storage[o] = data[i]!;
      });
    }
    return this;
  }

  // ---- creation helpers --------------------------------------------------------------------

  zerosLike(): Tensor {
    return ops.zerosLike(this);
  }
  onesLike(): Tensor {
    return ops.onesLike(this);
  }
  /** PyTorch: `tensor.float()` / `.double()` / `.int()` (a copy when the dtype changes). */
  to(dtype: DType): Tensor {
    return ops.toDtype(this, dtype);
  }
  float(): Tensor {
    return ops.toDtype(this, 'float32');
  }
  double(): Tensor {
    return ops.toDtype(this, 'float64');
  }
  int(): Tensor {
    return ops.toDtype(this, 'int32');
  }

  // ---- elementwise -------------------------------------------------------------------------

  add(other: Operand, options?: { alpha?: number }): Tensor {
    return ops.add(this, other, options);
  }
  sub(other: Operand, options?: { alpha?: number }): Tensor {
    return ops.sub(this, other, options);
  }
  mul(other: Operand): Tensor {
    return ops.mul(this, other);
  }
  div(other: Operand): Tensor {
    return ops.div(this, other);
  }
  pow(exponent: Operand): Tensor {
    return ops.pow(this, exponent);
  }
  neg(): Tensor {
    return ops.neg(this);
  }
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  exp(): Tensor {
    return ops.exp(this);
  }
  log(): Tensor {
    return ops.log(this);
  }
  abs(): Tensor {
    return ops.abs(this);
  }
  tanh(): Tensor {
    return ops.tanh(this);
  }
  sigmoid(): Tensor {
    return ops.sigmoid(this);
  }
  relu(): Tensor {
    return ops.relu(this);
  }
  clamp(min?: number | null, max?: number | null): Tensor {
    return ops.clamp(this, min, max);
  }
  maximum(other: Tensor): Tensor {
    return ops.maximum(this, other);
  }
  minimum(other: Tensor): Tensor {
    return ops.minimum(this, other);
  }
  gt(other: Operand): Tensor {
    return ops.gt(this, other);
  }
  lt(other: Operand): Tensor {
    return ops.lt(this, other);
  }
  ge(other: Operand): Tensor {
    return ops.ge(this, other);
  }
  le(other: Operand): Tensor {
    return ops.le(this, other);
  }
  eq(other: Operand): Tensor {
    return ops.eq(this, other);
  }
  ne(other: Operand): Tensor {
    return ops.ne(this, other);
  }
  maskedFill(mask: Tensor, value: number): Tensor {
    return ops.maskedFill(this, mask, value);
  }
  /** PyTorch: `Tensor.where(condition, y)`: this where condition, else y. */
  where(condition: Tensor, other: Operand): Tensor {
    return ops.where(condition, this, other);
  }

  // ---- linear algebra and reductions -------------------------------------------------------

  matmul(other: Tensor): Tensor {
    return ops.matmul(this, other);
  }
  sum(dim?: number | readonly number[] | null, keepdim = false): Tensor {
    return ops.sum(this, dim, keepdim);
  }
  mean(dim?: number | readonly number[] | null, keepdim = false): Tensor {
    return ops.mean(this, dim, keepdim);
  }
  max(): Tensor;
  max(dim: number, keepdim?: boolean): ops.ValuesIndices;
  max(dim?: number, keepdim = false): Tensor | ops.ValuesIndices {
    return dim === undefined ? ops.max(this) : ops.max(this, dim, keepdim);
  }
  softmax(dim: number): Tensor {
    return ops.softmax(this, dim);
  }
  logSoftmax(dim: number): Tensor {
    return ops.logSoftmax(this, dim);
  }

  // ---- shape -------------------------------------------------------------------------------

  transpose(dim0: number, dim1: number): Tensor {
    return ops.transpose(this, dim0, dim1);
  }
  /** PyTorch: `t()` (2-D transpose). */
  t(): Tensor {
    return ops.t(this);
  }
  permute(...dims: SizeArgs): Tensor {
    return ops.permute(this, ...dims);
  }
  reshape(...shape: SizeArgs): Tensor {
    return ops.reshape(this, ...shape);
  }
  view(...shape: SizeArgs): Tensor {
    return ops.view(this, ...shape);
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return ops.flatten(this, startDim, endDim);
  }
  squeeze(dim?: number | readonly number[]): Tensor {
    return ops.squeeze(this, dim);
  }
  unsqueeze(dim: number): Tensor {
    return ops.unsqueeze(this, dim);
  }
  expand(...sizes: SizeArgs): Tensor {
    return ops.expand(this, ...sizes);
  }
  contiguous(): Tensor {
    return ops.contiguous(this);
  }
  clone(): Tensor {
    return ops.clone(this);
  }
  split(splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] {
    return ops.split(this, splitSizeOrSections, dim);
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return ops.chunk(this, chunks, dim);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return ops.narrow(this, dim, start, length);
  }
  indexSelect(dim: number, index: Tensor | readonly number[]): Tensor {
    return ops.indexSelect(this, dim, index);
  }
  flip(...dims: SizeArgs): Tensor {
    return ops.flip(this, ...dims);
  }
}

export type NestedArray = (number | NestedArray)[];
