/**
 * A recorded operation in the autograd graph: PyTorch's `grad_fn` (`AddBackward0`, ...).
 * It knows its inputs, the tensors its backward reads (saved, with their versions) and how to
 * turn the gradients of its outputs into gradients of its inputs.
 */

import { RuntimeError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { isGradEnabled } from './grad-mode.js';

/** How the engine is running a backward (PyTorch: `retain_graph`, `create_graph`). */
export interface BackwardContext {
  /** Keep the node's saved state for another backward (PyTorch's `retain_graph=True`). */
  readonly retainGraph: boolean;
  /** The backward itself is being recorded (PyTorch's `create_graph=True`). */
  readonly createGraph: boolean;
}

/**
 * Gradients of the outputs in, gradients of the inputs out. A null output gradient means zeros
 * (an unused output of a multi-output node); return null for an input that needs no gradient.
 */
export type BackwardFn = (gradOutputs: (Tensor | null)[], ctx: BackwardContext) => (Tensor | null)[];

/**
 * How a node's backward behaves under createGraph (PyTorch's create_graph=True):
 * - `'recorded'` (default): built from recorded ops, so its gradients can be differentiated again;
 * - `'linear'`: computed on raw arrays, linear in the output gradients and independent of the
 *   inputs' values (index_select, embedding, max's scatter): fine unless an output gradient
 *   itself requires grad;
 * - `'raw'`: computed on raw arrays from the inputs' values (matmul kernels, conv, norms, the
 *   recurrent layers): its gradients cannot be differentiated again, so createGraph through it
 *   raises instead of returning gradients silently cut from the graph.
 */
export type BackwardKind = 'recorded' | 'linear' | 'raw';

/** A hook on a tensor's gradient (PyTorch's `Tensor.register_hook`): may return a replacement. */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook may return nothing, as a Python hook returns None
export type TensorHook = (grad: Tensor) => Tensor | undefined | void;

/** PyTorch: `torch.utils.hooks.RemovableHandle`: `remove()` unregisters (twice is harmless). */
export class RemovableHandle {
  constructor(private readonly drop: () => void) {}
  /** PyTorch: `handle.remove()`. */
  remove(): void {
    this.drop();
  }
}

/** PyTorch's message when a freed graph is used again (torch/csrc/autograd/saved_variable.cpp). */
export const ERR_BACKWARD_TWICE =
  'Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). ' +
  'Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). ' +
  'Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.';

/** PyTorch's `torch.FloatTensor`-style type name of a dtype. */
function legacyTypeName(t: Tensor): string {
  const names: Record<string, string> = {
    float32: 'FloatTensor',
    float64: 'DoubleTensor',
    int32: 'IntTensor',
    int64: 'LongTensor',
    bool: 'BoolTensor',
  };
  return `torch.${names[t.dtype] ?? t.dtype}`;
}

/** The node name PyTorch's messages use (its C++-defined nodes carry their namespace). */
function cppName(name: string): string {
  return name === 'CopyBackwards' ? 'torch::autograd::CopyBackwards' : name;
}

/** A tensor a node's backward reads, with its version when it was saved. */
interface SavedTensor {
  tensor: Tensor;
  version: number;
  /** Saved as one of the node's own outputs (PyTorch's `is_output`): the message names this node. */
  isOutput: boolean;
  outputIndex: number;
}

/** One recorded op of the graph (PyTorch: a `grad_fn` object such as `<MulBackward0>`). */
export class GradNode {
  /** Whether backward without retainGraph has run and released the saved state. */
  private freed = false;
  private fn: BackwardFn | null;
  /** The saved tensors, or null when the op did not declare them (then treated as saving state). */
  private saved: SavedTensor[] | null;
  /**
   * Where each input's gradient goes, bound when the node is recorded (PyTorch's `next_edges`):
   * null for an input that did not require grad then, else its grad_fn and output index at that
   * time (`fn` null for a leaf). An in-place op later gives the input tensor a new grad_fn; this
   * node still sends the gradient into the history the input had when it was used.
   */
  readonly edges: readonly ({ fn: GradNode | null; index: number } | null)[];
  /** Hooks per output index (PyTorch: tensor pre-hooks of this node), run in registration order; null until one is added. */
  hooks: Map<number, { id: number; fn: TensorHook | 'retain'; tensor: Tensor }[]> | null = null;

  constructor(
    /** PyTorch's grad_fn class name, e.g. `MulBackward0`. */
    readonly name: string,
    readonly inputs: readonly Tensor[],
    backward: BackwardFn,
    readonly numOutputs: number,
    saved: SavedTensor[] | null = null,
    readonly kind: BackwardKind = 'recorded',
  ) {
    this.fn = backward;
    this.saved = saved;
    this.edges = inputs.map((t) => (t.requiresGrad ? { fn: t.gradFn, index: t.outputIndex } : null));
  }

  /**
   * Run this node's backward: checks that its saved state is still there (PyTorch's "Trying to
   * backward through the graph a second time") and that no saved tensor changed in place since
   * (PyTorch's version-counter check); without `retainGraph`, frees the saved state after.
   */
  apply(gradOutputs: (Tensor | null)[], ctx: BackwardContext): (Tensor | null)[] {
    if (this.freed || this.fn === null) throw new RuntimeError(ERR_BACKWARD_TWICE);
    for (const s of this.saved ?? []) {
      const now = s.tensor._version;
      if (now !== s.version) {
        const t = s.tensor;
        const of = s.isOutput ? `, which is output ${s.outputIndex} of ${cppName(this.name)},` : t.gradFn !== null ? `, which is output ${t.outputIndex} of ${cppName(t.gradFn.name)},` : '';
        throw new RuntimeError(
          `one of the variables needed for gradient computation has been modified by an inplace operation: [${legacyTypeName(t)} [${t.shape.join(', ')}]]${of} is at version ${now}; expected version ${s.version} instead. ` +
            'Hint: enable anomaly detection to find the operation that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True).\n' +
            'torchlet: a tensor this op saved for backward (its input or output) was overwritten in place after the op ran (an optimizer step, copy_, an in-place op); ' +
            'compute the loss again after the update, or clone() the tensor before changing it.',
        );
      }
    }
    if (ctx.createGraph && (this.kind === 'raw' || (this.kind === 'linear' && gradOutputs.some((g) => g?.requiresGrad)))) {
      throw new RuntimeError(
        `torchlet cannot differentiate ${this.name} twice: its backward is computed outside the graph, so createGraph (PyTorch's create_graph=True) through it is not supported. ` +
          'Use createGraph only on graphs of elementwise, reduction and shape ops.',
      );
    }
    const fn = this.fn;
    const out = fn(gradOutputs, ctx);
    // Nodes that saved no tensor keep working, as in PyTorch (AddBackward0, views, sums).
    if (!ctx.retainGraph && (this.saved === null || this.saved.length > 0)) this.release();
    return out;
  }

  /** Drop the saved state (PyTorch: `release_variables()`): a later backward through this node raises. */
  release(): void {
    this.freed = true;
    this.fn = null;
    this.saved = null;
  }

  /** Whether the saved state was freed by a backward. */
  get isFreed(): boolean {
    return this.freed;
  }

  toString(): string {
    return `<${this.name}>`;
  }
}

let hookIds = 0;

/** @internal Add a hook (or the retain-grad marker) on output `index` of `node`; returns its remover. */
export function addNodeHook(node: GradNode, index: number, tensor: Tensor, fn: TensorHook | 'retain'): () => void {
  const id = ++hookIds;
  node.hooks ??= new Map();
  let list = node.hooks.get(index);
  if (list === undefined) {
    list = [];
    node.hooks.set(index, list);
  }
  list.push({ id, fn, tensor });
  return () => {
    const l = node.hooks?.get(index);
    const i = l?.findIndex((h) => h.id === id) ?? -1;
    if (l && i >= 0) l.splice(i, 1);
  };
}

/**
 * @internal What an op reports to the ONNX tracer beside its differentiable inputs: its attributes
 * (`dim`, `keepdim`, sizes...) and the tensors it reads that autograd does not differentiate (masks,
 * indices, lengths), so the tracer can wire them instead of inferring them from values.
 */
export type TraceAttrs = Readonly<Record<string, unknown>>;

/** @internal What the ONNX tracer sees (src/onnx/trace.ts); null when nothing traces. */
export interface TraceHook {
  /** An op: its grad_fn name (or the aten name, `eq`, of an op without one), inputs, outputs, attributes. */
  op(name: string, inputs: readonly Tensor[], outputs: Tensor | Tensor[], attrs?: TraceAttrs): void;
  /** Attributes of the op that last returned `outputs` (reported after `record`). */
  attrs(outputs: Tensor | Tensor[], attrs: TraceAttrs): void;
  /** An op on other objects than tensors (`pack_padded_sequence`). */
  object(name: string, inputs: readonly unknown[], output: unknown, attrs?: TraceAttrs): void;
}
let traceHook: TraceHook | null = null;

/**
 * @internal Install (or with null remove) the op tracer; returns the previous one. While one is
 * installed, `record` reports every op to it, whatever the grad mode and whether or not an input
 * requires grad.
 */
export function setTraceHook(hook: TraceHook | null): TraceHook | null {
  const prev = traceHook;
  traceHook = hook;
  return prev;
}

/**
 * @internal Report an op that autograd does not record (a comparison, argmax, a creation op, a cast
 * to or from an integer dtype) to the ONNX tracer, if one is installed. Returns the outputs.
 */
export function traceOnly<T extends Tensor | Tensor[]>(name: string, inputs: readonly Tensor[], outputs: T, attrs?: TraceAttrs): T {
  if (traceHook !== null) traceHook.op(name, inputs, outputs, attrs);
  return outputs;
}

/** @internal Attach attributes (and non-differentiable tensor inputs) to the op `record` just reported. Returns the outputs. */
export function traceAttrs<T extends Tensor | Tensor[]>(outputs: T, attrs: TraceAttrs): T {
  if (traceHook !== null) traceHook.attrs(outputs, attrs);
  return outputs;
}

/** @internal An op on other objects than tensors (packing a sequence). Returns the output. */
export function traceObject<T>(name: string, inputs: readonly unknown[], output: T, attrs?: TraceAttrs): T {
  if (traceHook !== null) traceHook.object(name, inputs, output, attrs);
  return output;
}

/**
 * Record an op: when grad mode is on and an input requires grad, the outputs get a grad_fn
 * pointing at one shared node. Returns the outputs for chaining.
 *
 * `saved` lists the tensors the backward closure reads the values of (inputs or outputs; not
 * those it only takes shapes from), as PyTorch's `save_for_backward`: backward refuses to run if
 * one was changed in place since (version counters), and after a backward without `retainGraph`
 * the node is freed so a second backward through it raises PyTorch's "backward through the graph
 * a second time". Pass `[]` for an op whose backward needs no tensor (it may then run again, as
 * in PyTorch). Leaving it out is treated as "saves state the engine cannot see": freed, but no
 * version check; every op should declare it.
 */
export function record<T extends Tensor | Tensor[]>(
  name: string,
  inputs: readonly Tensor[],
  outputs: T,
  backward: BackwardFn,
  saved?: readonly (Tensor | null | undefined)[],
  kind: BackwardKind = 'recorded',
): T {
  if (traceHook !== null) traceHook.op(name, inputs, outputs);
  if (!isGradEnabled() || !inputs.some((t) => t.requiresGrad)) return outputs;
  const outs: Tensor[] = Array.isArray(outputs) ? outputs : [outputs];
  const savedList =
    saved === undefined
      ? null
      : saved
          .filter((t): t is Tensor => t !== null && t !== undefined)
          .map((t) => {
            const k = outs.indexOf(t);
            return { tensor: t, version: t._version, isOutput: k >= 0, outputIndex: k };
          });
  const node = new GradNode(name, inputs, backward, outs.length, savedList, kind);
  outs.forEach((o, i) => {
    o._setGradFn(node, i);
  });
  return outputs;
}
