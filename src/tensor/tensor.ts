/**
 * The n-dimensional array with autograd. PyTorch: `torch.Tensor`.
 *
 * A tensor is a view (shape, strides, offset) of a flat typed-array storage; views made by
 * transpose/permute/expand/narrow/squeeze/unsqueeze/view share the storage. Methods mirror
 * PyTorch's and call the functions in `src/ops/`, where forward and backward sit side by side.
 */

import { type BackwardOptions, tensorBackward } from '../autograd/engine.js';
import { isGradEnabled, noGrad } from '../autograd/grad-mode.js';
import { addNodeHook, type GradNode, RemovableHandle, record, type TensorHook } from '../autograd/node.js';
import { ArgumentTypeError, IndexError, RuntimeError, typeName, ValueError } from '../errors.js';
import * as ops from '../ops/index.js';
import { forEachOffset, normDim, sumToShape, toDtype } from '../ops/util.js';
import { copyContiguous } from '../ops/util.js';
import type { Device, DType, DTypeLike, Storage, ToOptions } from './dtype.js';
import { allocStorage, castStorage, isFloat, parseDevice, parseToArgs } from './dtype.js';
import { formatTensor } from './format.js';
import type { Shape, SizeArgs } from './shape.js';
import { contiguousStrides, numel } from './shape.js';
import { checkOperand, checkTensor } from './args.js';
import { inspectCustom } from './format.js';

type Operand = Tensor | number;

/**
 * Version counters (PyTorch's `_version`), one per storage: every tensor viewing a storage
 * (views, `detach()`) shares it, as PyTorch's views share their base's counter.
 */
const versions = new WeakMap<object, number>();

/** PyTorch's UserWarning when `.grad` of a non-leaf is read (c10 TensorBody.h). */
const NON_LEAF_GRAD_WARNING =
  "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be populated during autograd.backward(). " +
  'If you indeed want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. ' +
  'If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. ' +
  'See github.com/pytorch/pytorch/pull/30531 for more informations. (torchlet: call t.retainGrad() before backward.)';

/**
 * An n-dimensional array of float32, float64, int32, int64 or bool values that can record
 * operations for autograd. PyTorch: `torch.Tensor`. Create one with `torch.tensor`,
 * `torch.zeros`, ...
 */
export class Tensor {
  /** The flat storage this tensor views. Shared between views; read it with `toFloat32Array()`. */
  readonly storage: Storage;
  /** PyTorch: `Tensor.shape`, e.g. `[2, 3]`. */
  readonly shape: readonly number[];
  /** Elements to step in storage per index of each dim. PyTorch: `Tensor.stride()`. */
  readonly strides: readonly number[];
  /** Where element (0, 0, ...) sits in storage. PyTorch: `Tensor.storage_offset()`. */
  readonly offset: number;
  /** PyTorch: `Tensor.dtype`. */
  readonly dtype: DType;
  /** PyTorch: `requires_grad`. Set it on leaves with `requiresGrad_()` or at creation. */
  requiresGrad = false;
  /** The recorded op that produced this tensor, null for leaves. PyTorch: `grad_fn`. */
  gradFn: GradNode | null = null;
  /** Which output of `gradFn` this tensor is. */
  outputIndex = 0;
  /**
   * The tensor this one is a view of (transpose, view, narrow, ...), null otherwise.
   * PyTorch: `Tensor._base`.
   */
  _base: Tensor | null = null;
  private gradValue: Tensor | null = null;
  private retains = false;
  private leafHooks: { id: number; fn: TensorHook }[] = [];

  constructor(storage: Storage, shape: Shape, dtype: DType, strides?: readonly number[], offset = 0) {
    this.storage = storage;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze(strides ? [...strides] : contiguousStrides(shape));
    this.offset = offset;
    this.dtype = dtype;
  }

  /** A fresh contiguous tensor of zeros (no autograd). */
  static empty(shape: Shape, dtype: DType = 'float32'): Tensor {
    return new Tensor(allocStorage(dtype, numel(shape)), shape, dtype);
  }

  // ---- metadata ----------------------------------------------------------------------------

  /** Number of dimensions. PyTorch: `dim()`, `ndim`. */
  get ndim(): number {
    return this.shape.length;
  }
  /** PyTorch: `Tensor.dim()`. */
  dim(): number {
    return this.shape.length;
  }
  /** PyTorch: `size()` / `size(dim)`. */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    if (dim === undefined) return [...this.shape];
    if (this.ndim === 0) throw new IndexError(`Dimension specified as ${dim} but tensor has no dimensions`);
    return this.shape[normDim(dim, this.ndim)]!;
  }
  /** PyTorch: `Tensor.numel()`: the number of elements. */
  numel(): number {
    return numel(this.shape);
  }
  /** PyTorch: `Tensor.is_contiguous()`: row-major with no gaps. */
  isContiguous(): boolean {
    const cs = contiguousStrides(this.shape);
    return this.shape.every((s, i) => s === 1 || cs[i] === this.strides[i]);
  }
  /** PyTorch: `Tensor.device`: always `'cpu'` (torchlet runs on the CPU and WebAssembly). */
  get device(): Device {
    return 'cpu';
  }
  /** PyTorch: `Tensor.is_floating_point()`: true for float32 and float64. */
  isFloatingPoint(): boolean {
    return isFloat(this.dtype);
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
    return copyContiguous(this).storage;
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
  /**
   * The value of a one-element tensor. PyTorch: `item()`.
   * PyTorch parity: a bool tensor gives 1 or 0 here (PyTorch: True or False), so `item()` stays a number.
   */
  item(): number {
    if (this.numel() !== 1) {
      throw new ValueError('only one element tensors can be converted to Python scalars');
    }
    return this.storage[this.offset]!;
  }
  /** PyTorch: `repr(tensor)`: `tensor([[1., 2.]], requires_grad=True)`. */
  toString(): string {
    return formatTensor(this);
  }
  /** `console.log` / `util.inspect` in Node print the same PyTorch text as `toString()`. */
  [inspectCustom](): string {
    return this.toString();
  }

  // ---- autograd ----------------------------------------------------------------------------

  /**
   * Accumulated gradient of a leaf after `backward()` (or of a non-leaf that called
   * `retainGrad()`). Reading it on another non-leaf gives null with PyTorch's warning.
   * PyTorch: `.grad`.
   */
  get grad(): Tensor | null {
    if (this.gradFn !== null && !this.retains && this.gradValue === null) warnOnce(this, NON_LEAF_GRAD_WARNING);
    return this.gradValue;
  }
  set grad(g: Tensor | null) {
    this.gradValue = g;
  }

  /**
   * How many times this tensor's storage was written in place (shared by its views).
   * Autograd compares it with the value at save time. PyTorch: `Tensor._version`.
   */
  get _version(): number {
    return versions.get(this.storage) ?? 0;
  }
  /**
   * Count an in-place write to this tensor's storage. Every op that writes into an existing
   * tensor calls it (through `beginInplace` in src/autograd/inplace.ts, which also applies
   * PyTorch's leaf rules; optimizers and loaders, which write under noGrad, call it directly).
   */
  _bumpVersion(): void {
    versions.set(this.storage, (versions.get(this.storage) ?? 0) + 1);
  }

  /**
   * Keep this non-leaf's gradient in `.grad` at the next backward (a no-op on leaves).
   * PyTorch: `Tensor.retain_grad()`.
   */
  retainGrad(): void {
    if (!this.requiresGrad) throw new RuntimeError("can't retain_grad on Tensor that has requires_grad=False");
    if (this.gradFn === null || this.retains) return;
    this.retains = true;
    addNodeHook(this.gradFn, this.outputIndex, this, 'retain');
  }
  /** Whether this non-leaf keeps its gradient (`retainGrad()`). PyTorch: `Tensor.retains_grad`. */
  get retainsGrad(): boolean {
    return this.retains;
  }
  /** @internal Called by the engine for a tensor that retains its gradient. */
  _retainGradValue(g: Tensor, createGraph: boolean): void {
    const own = createGraph ? g : g.detach();
    this.gradValue = this.gradValue === null ? (createGraph ? own : noGrad(() => ops.clone(own)).detach()) : createGraph ? this.gradValue.add(own) : noGrad(() => ops.add(this.gradValue!, own));
  }

  /**
   * Call `hook(grad)` whenever a gradient for this tensor is computed; a returned tensor (same
   * shape) replaces the gradient. On a leaf it runs on the summed gradient before `.grad`
   * accumulates. Returns a handle whose `remove()` unregisters it. PyTorch: `Tensor.register_hook`.
   */
  registerHook(hook: TensorHook): RemovableHandle {
    if (typeof hook !== 'function') {
      throw new ArgumentTypeError(`registerHook(): argument 'hook' (position 1) must be a function, not ${typeName(hook)}`);
    }
    if (!this.requiresGrad) throw new RuntimeError("cannot register a hook on a tensor that doesn't require gradient");
    if (this.gradFn !== null) return new RemovableHandle(addNodeHook(this.gradFn, this.outputIndex, this, hook));
    const id = ++leafHookIds;
    this.leafHooks.push({ id, fn: hook });
    return new RemovableHandle(() => {
      const i = this.leafHooks.findIndex((h) => h.id === id);
      if (i >= 0) this.leafHooks.splice(i, 1);
    });
  }
  /** @internal The hooks of a leaf, in registration order. */
  _leafHooks(): TensorHook[] {
    return this.leafHooks.map((h) => h.fn);
  }

  /**
   * Cut this tensor from the graph in place: it becomes a leaf that does not require grad.
   * Views cannot (use `detach()`). PyTorch: `Tensor.detach_()`.
   */
  detach_(): this {
    if (this._base !== null) {
      throw new RuntimeError(
        "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and hence detach_() cannot be called on these gradients. To fix this error, please refer to the Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.",
      );
    }
    this.gradFn = null;
    this.outputIndex = 0;
    this.requiresGrad = false;
    return this;
  }

  /** PyTorch: `requires_grad_(requires_grad=True)`. Only on leaves. */
  requiresGrad_(flag = true): this {
    if (this.gradFn !== null && !flag) {
      throw new RuntimeError(
        'you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn\'t require differentiation use var_no_grad = var.detach().',
      );
    }
    if (flag && !isFloat(this.dtype)) {
      throw new RuntimeError(
        'only Tensors of floating point dtype can require gradients\nConvert first: t.float().requiresGrad_().',
      );
    }
    this.requiresGrad = flag;
    return this;
  }
  /**
   * Compute the gradient of this tensor with respect to the graph's leaves, accumulated into
   * their `.grad`. `gradient` (this tensor's shape) may be left out for a one-element tensor.
   * The graph's saved tensors are freed unless `retainGraph` is set; a second backward through
   * them raises as in PyTorch. Also `backward({ retainGraph: true })`.
   * PyTorch: `Tensor.backward(gradient=None, retain_graph=None, create_graph=False)`.
   */
  backward(gradient?: Tensor | null, options?: BackwardOptions): void;
  backward(options: BackwardOptions): void;
  backward(a?: Tensor | null | BackwardOptions, b?: BackwardOptions): void {
    tensorBackward(this, a, b);
  }
  /** @internal Called by the autograd recorder. */
  _setGradFn(node: GradNode, index: number): void {
    this.gradFn = node;
    this.outputIndex = index;
    this.requiresGrad = true;
  }
  /** @internal Called by the engine on leaves (with createGraph the sum is recorded). */
  _accumulateGrad(g: Tensor, createGraph = false): void {
    if (!this.requiresGrad) return;
    const own = g.dtype === this.dtype ? g : toDtype(g, this.dtype);
    if (createGraph) {
      this.gradValue = this.gradValue === null ? own : ops.add(this.gradValue, own);
      return;
    }
    const acc = this.gradValue;
    // The first gradient is a fresh tensor (the incoming one may alias another tensor's storage);
    // later ones are added into it in place, as PyTorch's AccumulateGrad does outside create_graph,
    // so a grad zeroed in place (zeroGrad({ setToNone: false })) or held by the caller stays the one.
    if (acc === null) this.gradValue = noGrad(() => ops.clone(own)).detach();
    else noGrad(() => acc.copy_(ops.add(acc, own)));
  }
  /** A tensor sharing storage, cut from the graph. PyTorch: `detach()`. */
  detach(): Tensor {
    return new Tensor(this.storage, this.shape, this.dtype, this.strides, this.offset);
  }

  /**
   * Overwrite this tensor's values in place with `src` (broadcast to this shape), counting the
   * write in `_version`. On a leaf that requires grad only under `noGrad` (PyTorch's rule); with
   * grad mode on and a `src` or `this` that requires grad the copy is recorded (CopyBackwards):
   * the gradient flows to `src`, not to the overwritten values. PyTorch: `Tensor.copy_(src)`.
   */
  copy_(src: Tensor | ArrayLike<number>): this {
    const n = this.numel();
    const raw = src instanceof Tensor ? noGrad(() => ops.expand(src, this.shape)).contiguousData() : src;
    if (raw.length !== n) {
      throw new ValueError(`copy_: expected ${n} values, got ${raw.length}`);
    }
    // Converted (and int64 range-checked) before anything is written.
    const data = isFloat(this.dtype) ? raw : castStorage(raw, this.dtype, 'copy_');
    const tracked = isGradEnabled() && (this.requiresGrad || (src instanceof Tensor && src.requiresGrad));
    checkInplace(this);
    if (tracked && this._base !== null) {
      throw new RuntimeError(
        'copy_: writing into a view under grad mode, where the view or the source requires grad, is not supported by torchlet ' +
          '(PyTorch records CopySlices on the base tensor). Build the result out of place (torch.cat, where) or copy under torch.noGrad.',
      );
    }
    this._bumpVersion();
    const prev = tracked ? this._historyAlias() : null;
    if (this.isContiguous()) {
      this.storage.set(data, this.offset);
    } else {
      forEachOffset(this, (i, o) => {
        this.storage[o] = data[i]!;
      });
    }
    if (prev) {
      const from = src as Tensor;
      const inputs = src instanceof Tensor ? [prev, from] : [prev];
      record('CopyBackwards', inputs, this, ([g]) => [ops.zerosLike(g!), ...(src instanceof Tensor ? [sumToShape(g!, from.shape)] : [])], []);
    }
    return this;
  }

  /** @internal A tensor standing for this one's autograd history (same storage) before an in-place op rewrites it. */
  _historyAlias(): Tensor {
    const t = new Tensor(this.storage, this.shape, this.dtype, this.strides, this.offset);
    t.requiresGrad = this.requiresGrad;
    t.gradFn = this.gradFn;
    t.outputIndex = this.outputIndex;
    return t;
  }

  // ---- creation helpers --------------------------------------------------------------------

  /** PyTorch: `torch.zeros_like(t)`: zeros of this shape and dtype. */
  zerosLike(): Tensor {
    return ops.zerosLike(this);
  }
  /** PyTorch: `torch.ones_like(t)`: ones of this shape and dtype. */
  onesLike(): Tensor {
    return ops.onesLike(this);
  }
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
  to(...args: unknown[]): Tensor {
    const target = parseToArgs('Tensor.to', args);
    const y = target.dtype === undefined ? this : toDtype(this, target.dtype);
    return target.copy && y === this ? ops.clone(this) : y;
  }
  /** PyTorch: `Tensor.cpu()`: this tensor (it is already on the CPU). */
  cpu(): Tensor {
    return this;
  }
  /** PyTorch: `Tensor.cuda()`: refused with the device message (torchlet runs on the CPU and WebAssembly). */
  cuda(): never {
    parseDevice('cuda', 'Tensor.cuda');
    throw new RuntimeError('unreachable');
  }
  /** PyTorch: `Tensor.float()`: as float32. */
  float(): Tensor {
    return toDtype(this, 'float32');
  }
  /** PyTorch: `Tensor.double()`: as float64. */
  double(): Tensor {
    return toDtype(this, 'float64');
  }
  /** PyTorch: `Tensor.int()`: as int32 (truncating toward zero). */
  int(): Tensor {
    return toDtype(this, 'int32');
  }
  /** PyTorch: `Tensor.long()`: as int64, PyTorch's index dtype (truncating toward zero; values beyond int32 are refused). */
  long(): Tensor {
    return toDtype(this, 'int64');
  }
  /** PyTorch: `Tensor.bool()`: as bool, true where nonzero (NaN is true). */
  bool(): Tensor {
    return toDtype(this, 'bool');
  }

  // ---- elementwise -------------------------------------------------------------------------

  /** PyTorch: `Tensor.add(other, alpha=1)`: this + alpha * other, broadcasting. */
  add(other: Operand, options?: { alpha?: number }): Tensor {
    checkOperand(other, 'add', 'other', 1);
    return ops.add(this, other, options);
  }
  /** PyTorch: `Tensor.sub(other, alpha=1)`: this - alpha * other, broadcasting. */
  sub(other: Operand, options?: { alpha?: number }): Tensor {
    checkOperand(other, 'sub', 'other', 1);
    return ops.sub(this, other, options);
  }
  /** PyTorch: `Tensor.mul(other)`: elementwise product, broadcasting. */
  mul(other: Operand): Tensor {
    checkOperand(other, 'mul', 'other', 1);
    return ops.mul(this, other);
  }
  /** PyTorch: `Tensor.div(other)`: true division, broadcasting. */
  div(other: Operand): Tensor {
    checkOperand(other, 'div', 'other', 1);
    return ops.div(this, other);
  }
  /** PyTorch: `Tensor.pow(exponent)`: elementwise power, broadcasting. */
  pow(exponent: Operand): Tensor {
    checkOperand(exponent, 'pow', 'exponent', 1);
    return ops.pow(this, exponent);
  }
  /** PyTorch: `Tensor.neg()`: -this. */
  neg(): Tensor {
    return ops.neg(this);
  }
  /** PyTorch: `Tensor.sqrt()`. */
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  /** PyTorch: `Tensor.exp()`. */
  exp(): Tensor {
    return ops.exp(this);
  }
  /** PyTorch: `Tensor.log()` (natural log). */
  log(): Tensor {
    return ops.log(this);
  }
  /** PyTorch: `Tensor.abs()`. */
  abs(): Tensor {
    return ops.abs(this);
  }
  /** PyTorch: `Tensor.tanh()`. */
  tanh(): Tensor {
    return ops.tanh(this);
  }
  /** PyTorch: `Tensor.sigmoid()`: 1 / (1 + exp(-x)). */
  sigmoid(): Tensor {
    return ops.sigmoid(this);
  }
  /** PyTorch: `Tensor.relu()`: max(x, 0). */
  relu(): Tensor {
    return ops.relu(this);
  }
  /** PyTorch: `Tensor.clamp(min=None, max=None)`. */
  clamp(min?: number | null, max?: number | null): Tensor {
    return ops.clamp(this, min, max);
  }
  /** PyTorch: `Tensor.maximum(other)`: elementwise max, broadcasting. */
  maximum(other: Tensor): Tensor {
    checkTensor(other, 'maximum', 'other', 1);
    return ops.maximum(this, other);
  }
  /** PyTorch: `Tensor.minimum(other)`: elementwise min, broadcasting. */
  minimum(other: Tensor): Tensor {
    checkTensor(other, 'minimum', 'other', 1);
    return ops.minimum(this, other);
  }
  /** PyTorch: `Tensor.gt(other)` (a bool result). */
  gt(other: Operand): Tensor {
    checkOperand(other, 'gt', 'other', 1);
    return ops.gt(this, other);
  }
  /** PyTorch: `Tensor.lt(other)` (a bool result). */
  lt(other: Operand): Tensor {
    checkOperand(other, 'lt', 'other', 1);
    return ops.lt(this, other);
  }
  /** PyTorch: `Tensor.ge(other)` (a bool result). */
  ge(other: Operand): Tensor {
    checkOperand(other, 'ge', 'other', 1);
    return ops.ge(this, other);
  }
  /** PyTorch: `Tensor.le(other)` (a bool result). */
  le(other: Operand): Tensor {
    checkOperand(other, 'le', 'other', 1);
    return ops.le(this, other);
  }
  /** PyTorch: `Tensor.eq(other)` (a bool result). */
  eq(other: Operand): Tensor {
    checkOperand(other, 'eq', 'other', 1);
    return ops.eq(this, other);
  }
  /** PyTorch: `Tensor.ne(other)` (a bool result). */
  ne(other: Operand): Tensor {
    checkOperand(other, 'ne', 'other', 1);
    return ops.ne(this, other);
  }
  /** PyTorch: `Tensor.isnan()`: a bool tensor, true where NaN. */
  isnan(): Tensor {
    return ops.isnan(this);
  }
  /** PyTorch: `Tensor.logical_not()`: a bool tensor, true where zero (`~mask`). */
  logicalNot(): Tensor {
    return ops.logicalNot(this);
  }
  /** PyTorch: `Tensor.logical_and(other)`: a bool tensor (`a & b` on masks). */
  logicalAnd(other: Tensor): Tensor {
    return ops.logicalAnd(this, other);
  }
  /** PyTorch: `Tensor.logical_or(other)`: a bool tensor (`a | b` on masks). */
  logicalOr(other: Tensor): Tensor {
    return ops.logicalOr(this, other);
  }
  /** PyTorch: `Tensor.logical_xor(other)`: a bool tensor (`a ^ b` on masks). */
  logicalXor(other: Tensor): Tensor {
    return ops.logicalXor(this, other);
  }
  /** PyTorch: `Tensor.masked_fill(mask, value)`: value where the bool mask is true. */
  maskedFill(mask: Tensor, value: number): Tensor {
    return ops.maskedFill(this, mask, value);
  }
  /** PyTorch: `Tensor.where(condition, y)`: this where the bool condition is true, else y. */
  where(condition: Tensor, other: Operand): Tensor {
    return ops.where(condition, this, other);
  }

  // ---- linear algebra and reductions -------------------------------------------------------

  /** PyTorch: `Tensor.matmul(other)`: (..., M, K)·(..., K, N) → (..., M, N); 1-D operands as in torch.matmul. */
  matmul(other: Tensor): Tensor {
    checkTensor(other, 'matmul', 'other', 1);
    return ops.matmul(this, other);
  }
  /** PyTorch: `Tensor.sum(dim=None, keepdim=False)`. */
  sum(dim?: number | readonly number[] | null, keepdim = false): Tensor {
    return ops.sum(this, dim, keepdim);
  }
  /** PyTorch: `Tensor.mean(dim=None, keepdim=False)`. */
  mean(dim?: number | readonly number[] | null, keepdim = false): Tensor {
    return ops.mean(this, dim, keepdim);
  }
  /** PyTorch: `Tensor.max()` (0-d) or `Tensor.max(dim, keepdim=False)` → (values, indices). */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): ops.ValuesIndices;
  max(dim?: number, keepdim = false): Tensor | ops.ValuesIndices {
    return dim === undefined ? ops.max(this) : ops.max(this, dim, keepdim);
  }
  /** PyTorch: `Tensor.softmax(dim)`. */
  softmax(dim: number): Tensor {
    return ops.softmax(this, dim);
  }
  /** PyTorch: `Tensor.log_softmax(dim)`. */
  logSoftmax(dim: number): Tensor {
    return ops.logSoftmax(this, dim);
  }

  // ---- shape -------------------------------------------------------------------------------

  /** PyTorch: `Tensor.transpose(dim0, dim1)` (a view). */
  transpose(dim0: number, dim1: number): Tensor {
    return ops.transpose(this, dim0, dim1);
  }
  /** PyTorch: `t()` (2-D transpose). */
  t(): Tensor {
    return ops.t(this);
  }
  /** PyTorch: `Tensor.permute(*dims)`: `permute(2, 0, 1)` or `permute([2, 0, 1])` (a view). */
  permute(...dims: SizeArgs): Tensor {
    return ops.permute(this, ...dims);
  }
  /** PyTorch: `Tensor.reshape(*shape)`: `reshape(2, -1)` or `reshape([2, -1])`; a view when possible. */
  reshape(...shape: SizeArgs): Tensor {
    return ops.reshape(this, ...shape);
  }
  /** PyTorch: `Tensor.view(*shape)`: always a view; throws when the layout does not allow one. */
  view(...shape: SizeArgs): Tensor {
    return ops.view(this, ...shape);
  }
  /** PyTorch: `Tensor.flatten(start_dim=0, end_dim=-1)`. */
  flatten(startDim = 0, endDim = -1): Tensor {
    return ops.flatten(this, startDim, endDim);
  }
  /** PyTorch: `Tensor.squeeze(dim=None)`: drop size-1 dims (a given non-1 dim is left alone). */
  squeeze(dim?: number | readonly number[]): Tensor {
    return ops.squeeze(this, dim);
  }
  /** PyTorch: `Tensor.unsqueeze(dim)`: a new size-1 dim, dim in [-ndim-1, ndim]. */
  unsqueeze(dim: number): Tensor {
    return ops.unsqueeze(this, dim);
  }
  /** PyTorch: `Tensor.expand(*sizes)`: broadcast without copying (-1 keeps a size). */
  expand(...sizes: SizeArgs): Tensor {
    return ops.expand(this, ...sizes);
  }
  /** PyTorch: `Tensor.contiguous()`: this, or a row-major copy. */
  contiguous(): Tensor {
    return ops.contiguous(this);
  }
  /** PyTorch: `Tensor.clone()`: a copy, recorded for autograd. */
  clone(): Tensor {
    return ops.clone(this);
  }
  /** PyTorch: `Tensor.split(split_size_or_sections, dim=0)` (views). */
  split(splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] {
    return ops.split(this, splitSizeOrSections, dim);
  }
  /** PyTorch: `Tensor.chunk(chunks, dim=0)` (views). */
  chunk(chunks: number, dim = 0): Tensor[] {
    return ops.chunk(this, chunks, dim);
  }
  /** PyTorch: `Tensor.narrow(dim, start, length)` (a view). */
  narrow(dim: number, start: number, length: number): Tensor {
    return ops.narrow(this, dim, start, length);
  }
  /** PyTorch: `Tensor.index_select(dim, index)` with a 1-D int64 or int32 index, or a number list. */
  indexSelect(dim: number, index: Tensor | readonly number[]): Tensor {
    return ops.indexSelect(this, dim, index);
  }
  /**
   * PyTorch: `x[spec0, spec1, ...]`. Specs: integers (negative from the end), slice strings
   * (`':'`, `'1:'`, `':-1'`, `'::2'`), `'...'`, `null` (new axis), int tensors / number arrays
   * (advanced, a copy), bool masks. `x.index(':', -1, ':')` is `x[:, -1, :]`.
   */
  index(...specs: ops.IndexSpec[]): Tensor {
    return ops.index(this, ...specs);
  }
  /** PyTorch: `Tensor.index_put_(indices, values, accumulate=False)` / `x[specs] = value` (in place). */
  indexPut_(specs: readonly ops.IndexSpec[], value: Tensor | number, options?: ops.IndexPutOptions): this {
    ops.indexPut_(this, specs, value, options);
    return this;
  }
  /** PyTorch: `Tensor.select(dim, index)`: a view without `dim`. */
  select(dim: number, index: number): Tensor {
    return ops.select(this, dim, index);
  }
  /** PyTorch: `Tensor.unbind(dim=0)`: views along dim. */
  unbind(dim = 0): Tensor[] {
    return ops.unbind(this, dim);
  }
  /** PyTorch: `Tensor.gather(dim, index)`. */
  gather(dim: number, index: Tensor): Tensor {
    return ops.gather(this, dim, index);
  }
  /** PyTorch: `Tensor.scatter(dim, index, src)` (out of place). */
  scatter(dim: number, index: Tensor, src: Tensor | number): Tensor {
    return ops.scatter(this, dim, index, src);
  }
  /** PyTorch: `Tensor.scatter_add(dim, index, src)` (out of place). */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return ops.scatterAdd(this, dim, index, src);
  }
  /** PyTorch: `Tensor.masked_select(mask)`: 1-D copy where mask is true. */
  maskedSelect(mask: Tensor): Tensor {
    return ops.maskedSelect(this, mask);
  }
  /** PyTorch: `Tensor.nonzero()`: int64 [count, ndim] coordinates. */
  nonzero(): Tensor {
    return ops.nonzero(this);
  }
  /** PyTorch: `Tensor.flip(dims)`: `flip(0, 1)` or `flip([0, 1])` (a copy). */
  flip(...dims: SizeArgs): Tensor {
    return ops.flip(this, ...dims);
  }
}

let leafHookIds = 0;
const warned = new WeakSet<Tensor>();
function warnOnce(t: Tensor, message: string): void {
  if (warned.has(t)) return;
  warned.add(t);
  console.warn(`UserWarning: ${message}`);
}

/**
 * Call before an op writes into `t` in place: applies PyTorch's rules (a leaf that requires
 * grad, or a view of one, may be written only under `noGrad`; an error leaves `t` unchanged)
 * and counts the write in `t._version`. PyTorch: `check_inplace` + `increment_version`.
 * In-place ops that are differentiable then record with `t._historyAlias()` as the input
 * standing for `t`'s old value (see `copy_`).
 */
export function beginInplace(t: Tensor): void {
  checkInplace(t);
  t._bumpVersion();
}

/** PyTorch's leaf rules for an in-place write into `t` (see beginInplace); throws, changes nothing. */
export function checkInplace(t: Tensor): void {
  if (isGradEnabled()) {
    if (t.gradFn === null && t.requiresGrad && t._base === null) {
      throw new RuntimeError(
        'a leaf Variable that requires grad is being used in an in-place operation.\n' +
          'torchlet: change parameters inside torch.noGrad(() => ...), as optimizers do, or work on a clone().',
      );
    }
    if (t._base !== null && t._base.gradFn === null && t._base.requiresGrad) {
      throw new RuntimeError(
        'a view of a leaf Variable that requires grad is being used in an in-place operation.\n' +
          'torchlet: change parameters inside torch.noGrad(() => ...), as optimizers do, or work on a clone().',
      );
    }
  }
}

/** What `tolist()` returns for a tensor with at least one dim. PyTorch: the nested lists of `Tensor.tolist()`. */
export type NestedArray = (number | NestedArray)[];
