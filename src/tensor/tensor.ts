/**
 * The n-dimensional array with autograd. PyTorch: `torch.Tensor`.
 *
 * A tensor is a view (shape, strides, offset) of a flat typed-array storage; views made by
 * transpose/permute/expand/narrow/squeeze/unsqueeze/view share the storage.
 *
 * This file is the ground floor: it imports nothing from src/ops/. The op methods (`x.add(y)`,
 * `x.matmul(w)`, ...) are declared on the `Tensor` interface and installed on the prototype by
 * src/ops/methods/*.ts (declaration merging), next to the functions in src/ops/ they call.
 */

import { type BackwardOptions, tensorBackward } from '../autograd/engine.js';
import { isGradEnabled, noGrad } from '../autograd/grad-mode.js';
import { addNodeHook, type GradNode, RemovableHandle, type TensorHook } from '../autograd/node.js';
import { ArgumentTypeError, IndexError, RuntimeError, typeName, ValueError } from '../errors.js';
import { backend } from '../kernels/backend.js';
import type { Device, DType, Storage } from './dtype.js';
import { allocStorage, isFloat } from './dtype.js';
import { formatTensor } from './format.js';
import { inspectCustom } from './inspect.js';
import type { Shape } from './shape.js';
import { contiguousStrides, normDim, numel } from './shape.js';

/**
 * Version counters (PyTorch's `_version`), one per storage: every tensor viewing a storage
 * (views, `detach()`) shares it, as PyTorch's views share their base's counter.
 */
const versions = new WeakMap<object, number>();
/** All in-place writes so far (any storage): views compare it first, so reading a view's history costs a number compare until something is written. */
let writes = 0;

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
  /** The flat storage this tensor views. Shared between views; read it with `toFloat32Array()`. PyTorch: `Tensor.untyped_storage()`. */
  readonly storage: Storage;
  /** PyTorch: `Tensor.shape`, e.g. `[2, 3]`. */
  readonly shape: readonly number[];
  /** Elements to step in storage per index of each dim. PyTorch: `Tensor.stride()`. */
  readonly strides: readonly number[];
  /** Where element (0, 0, ...) sits in storage. PyTorch: `Tensor.storage_offset()`. */
  readonly offset: number;
  /** PyTorch: `Tensor.dtype`. */
  readonly dtype: DType;
  private rg = false;
  private gf: GradNode | null = null;
  /** Which output of `gradFn` this tensor is. PyTorch: `Tensor.output_nr`. */
  outputIndex = 0;
  private baseRef: Tensor | null = null;
  /** A view's storage version when its history was last set (PyTorch's view `attr_version`). */
  private viewVersion = 0;
  /** The count of all in-place writes when this view last compared versions (a cheap first test). */
  private viewSeen = 0;
  private gradValue: Tensor | null = null;
  private retains = false;
  private leafHooks: { id: number; fn: TensorHook }[] = [];

  /**
   * PyTorch: `requires_grad`. Set it on leaves with `requiresGrad_()` or at creation. A view
   * whose base was written in place since its history was set gets a new history first (see `gradFn`).
   */
  get requiresGrad(): boolean {
    if (this.baseRef !== null && this.viewSeen !== writes) this.checkView();
    return this.rg;
  }
  set requiresGrad(flag: boolean) {
    this.rg = flag;
  }
  /**
   * The recorded op that produced this tensor, null for leaves. PyTorch: `grad_fn`. As PyTorch,
   * a view of a base written in place after the view's history was set (`v = b.index(0);
   * b.mul_(2)`) gets a new one when read: an `AsStridedBackward0` of the base's current
   * history, so gradients through the view see the write.
   */
  get gradFn(): GradNode | null {
    if (this.baseRef !== null && this.viewSeen !== writes) this.checkView();
    return this.gf;
  }
  set gradFn(node: GradNode | null) {
    this.gf = node;
    if (this.baseRef !== null) this.markViewCurrent();
  }
  /**
   * The tensor this one is a view of (transpose, view, narrow, ...), null otherwise.
   * PyTorch: `Tensor._base`.
   */
  get _base(): Tensor | null {
    return this.baseRef;
  }
  set _base(base: Tensor | null) {
    this.baseRef = base;
    this.markViewCurrent();
  }
  private markViewCurrent(): void {
    this.viewVersion = versions.get(this.storage) ?? 0;
    this.viewSeen = writes;
  }
  /** Some tensor was written in place since this view last looked: was it this view's storage? */
  private checkView(): void {
    const now = versions.get(this.storage) ?? 0;
    if (now !== this.viewVersion) this.refreshView(this.baseRef!);
    this.viewVersion = now;
    this.viewSeen = writes;
  }
  /** A view's history after its base changed in place (PyTorch: `VariableHooks::grad_fn`). */
  private refreshView(base: Tensor): void {
    if (this.gf === null && !base.requiresGrad) return;
    if (viewHistory === null) {
      throw new RuntimeError(
        'a view was used by autograd after its base was modified by an inplace operation, and torchlet cannot rebuild its history here (src/ops/inplace.ts is not loaded). ' +
          'Take the view after the in-place write.',
      );
    }
    viewHistory(this, base);
  }

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
    return this.shape[normDim(dim, this.ndim)];
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

  /** A row-major Float32Array copy of the values. PyTorch: `t.float().numpy()` (a copy here). */
  toFloat32Array(): Float32Array {
    return Float32Array.from(this.contiguousData());
  }
  /** A row-major copy in this tensor's own dtype. PyTorch: `t.numpy()` (a copy here). */
  toTypedArray(): Storage {
    return this.contiguousData().slice();
  }
  /** The row-major data; the storage itself when already contiguous and whole (do not mutate). No PyTorch twin. */
  contiguousData(): Storage {
    const n = this.numel();
    if (this.isContiguous() && this.offset === 0 && this.storage.length === n) return this.storage;
    if (this.isContiguous()) return this.storage.subarray(this.offset, this.offset + n);
    return copyContiguous(this).storage;
  }
  /** Nested arrays of numbers. PyTorch: `tolist()`. */
  tolist(): number | NestedArray {
    const data = this.contiguousData();
    if (this.ndim === 0) return data[0];
    const build = (dim: number, off: number): NestedArray => {
      const n = this.shape[dim];
      const inner = numel(this.shape.slice(dim + 1));
      const out: NestedArray = [];
      for (let i = 0; i < n; i++) out.push(dim === this.ndim - 1 ? data[off + i] : build(dim + 1, off + i * inner));
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
    return this.storage[this.offset];
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
    writes++;
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
    this.gradValue = this.gradValue === null ? (createGraph ? own : noGrad(() => own.clone()).detach()) : createGraph ? this.gradValue.add(own) : noGrad(() => this.gradValue!.add(own));
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
    if (typeof flag !== 'boolean') {
      throw new ArgumentTypeError(`requires_grad_(): argument 'requires_grad' (position 1) must be bool, not ${typeName(flag)}`);
    }
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
    this.rg = true;
  }
  /** @internal Called by the engine on leaves (with createGraph the sum is recorded). */
  _accumulateGrad(g: Tensor, createGraph = false): void {
    if (!this.requiresGrad) return;
    const own = g.dtype === this.dtype ? g : g.to(this.dtype);
    if (createGraph) {
      this.gradValue = this.gradValue === null ? own : this.gradValue.add(own);
      return;
    }
    const acc = this.gradValue;
    // The first gradient is a fresh tensor (the incoming one may alias another tensor's storage);
    // later ones are added into it in place, as PyTorch's AccumulateGrad does outside create_graph,
    // so a grad zeroed in place (zeroGrad({ setToNone: false })) or held by the caller stays the one.
    if (acc === null) this.gradValue = noGrad(() => own.clone()).detach();
    else noGrad(() => acc.copy_(acc.add(own)));
  }
  /** A tensor sharing storage, cut from the graph. PyTorch: `detach()`. */
  detach(): Tensor {
    return new Tensor(this.storage, this.shape, this.dtype, this.strides, this.offset);
  }

  /** @internal A tensor standing for this one's autograd history (same storage) before an in-place op rewrites it. */
  _historyAlias(): Tensor {
    const t = new Tensor(this.storage, this.shape, this.dtype, this.strides, this.offset);
    t.requiresGrad = this.requiresGrad;
    t.gradFn = this.gradFn;
    t.outputIndex = this.outputIndex;
    return t;
  }

}

/** A fresh contiguous copy of x's values, with no autograd record (for use inside ops). */
export function copyContiguous(x: Tensor): Tensor {
  const out = allocStorage(x.dtype, numel(x.shape));
  backend().stridedCopy(x.shape, { data: x.storage, strides: x.strides, offset: x.offset }, out);
  return new Tensor(out, x.shape, x.dtype);
}

/** Builds a stale view's new history (installed by src/ops/inplace.ts, which owns the AsStrided nodes). */
let viewHistory: ((view: Tensor, base: Tensor) => void) | null = null;
/** @internal Install the builder of a view's history after its base changed in place (PyTorch's AsStridedBackward0). */
export function setViewHistory(fn: (view: Tensor, base: Tensor) => void): void {
  viewHistory = fn;
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
