/**
 * Reverse-mode differentiation over the recorded graph. PyTorch: `torch.autograd.backward`,
 * `torch.autograd.grad` (torch/csrc/autograd/engine.cpp).
 *
 * The rules, as PyTorch's:
 * - A backward without `retainGraph` frees the saved state of every node it runs; a later
 *   backward through such a node raises "Trying to backward through the graph a second time".
 *   Nodes that saved no tensor (sums, views, additions) may run again.
 * - Before a node runs, its saved tensors' versions are checked (in-place changes are refused).
 * - Gradients reaching a leaf are summed first, then its hooks run, then `.grad` accumulates.
 * - Hooks on a non-leaf tensor (and `retainGrad()`) run, in registration order, just before the
 *   node that produced it runs (PyTorch's tensor pre-hooks); a hook may return a replacement.
 * - `grad(...)` returns the gradients of the given inputs and touches no `.grad` (apart from
 *   tensors that asked for `retainGrad()`), running only the nodes that lead to the inputs.
 */

import { ArgumentTypeError, RuntimeError, ShapeError, typeName } from '../errors.js';
import { defineOptions, opt } from '../options.js';
import { fmtShape, fmtSize, shapeEq } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { enableGrad, noGrad } from './grad-mode.js';
import { ERR_BACKWARD_TWICE, type GradNode, type TensorHook } from './node.js';

/** The hint torchlet adds to PyTorch's "backward through the graph a second time". */
export const BACKWARD_TWICE_HINT =
  '\ntorchlet: pass { retainGraph: true } to the first backward (loss.backward({ retainGraph: true })) to keep the graph for another one, or compute the loss again.';

/** Options of `Tensor.backward` and `autograd.backward`. PyTorch: `retain_graph`, `create_graph`. */
export interface BackwardOptions {
  /** Keep the graph's saved tensors for another backward. Default: `createGraph`. PyTorch: `retain_graph`. */
  retainGraph?: boolean;
  /** Record the backward itself, so the gradients can be differentiated again. PyTorch: `create_graph`. */
  createGraph?: boolean;
}

/** Options of `autograd.grad`. PyTorch: `grad_outputs`, `retain_graph`, `create_graph`, `allow_unused`. */
export interface GradOptions extends BackwardOptions {
  /** The gradient of each output (null/undefined: ones, for a one-element output). PyTorch: `grad_outputs`. */
  gradOutputs?: Tensor | readonly (Tensor | null | undefined)[] | null;
  /** Return null for an input the outputs do not depend on instead of raising. PyTorch: `allow_unused`. */
  allowUnused?: boolean;
}

/** @internal The run-time checks of these options (src/options.ts). */
export const BACKWARD_OPTIONS = defineOptions<BackwardOptions>('Tensor.backward', { retainGraph: opt.bool, createGraph: opt.bool });
/** @internal `autograd.backward`'s options: the same keys as `Tensor.backward`'s. */
export const AUTOGRAD_BACKWARD_OPTIONS = defineOptions<BackwardOptions>('autograd.backward', BACKWARD_OPTIONS.rules);
/** @internal `autograd.grad`'s options. */
export const GRAD_OPTIONS = BACKWARD_OPTIONS.extend<GradOptions>('autograd.grad', {
  // Each element is checked with the seeds (a Tensor or null); here only the container.
  gradOutputs: opt.any,
  allowUnused: opt.bool,
});

function accumulate(prev: Tensor | null, g: Tensor): Tensor {
  return prev === null ? g : prev.add(g);
}

interface RunSpec {
  roots: readonly Tensor[];
  seeds: readonly (Tensor | null | undefined)[];
  retainGraph: boolean;
  createGraph: boolean;
  /** autograd.grad's inputs: capture their gradients instead of accumulating into leaves. */
  inputs: readonly Tensor[] | null;
}

/** Checked seed gradients, one per root. */
function makeSeeds(spec: RunSpec): Tensor[] {
  return spec.roots.map((root, i) => {
    if (!root.requiresGrad) {
      throw new RuntimeError(`element ${i} of tensors does not require grad and does not have a grad_fn`);
    }
    const grad = spec.seeds[i];
    if (grad === undefined || grad === null) {
      if (root.numel() !== 1) {
        throw new RuntimeError(
          'grad can be implicitly created only for scalar outputs\n' +
            `The output has shape ${fmtShape(root.shape)}: reduce it first (y.sum().backward()) or pass a gradient of that shape (y.backward(torch.onesLike(y))).`,
        );
      }
      return noGrad(() => root.detach().onesLike());
    }
    if (typeof grad !== 'object' || typeof (grad as Tensor).detach !== 'function') {
      throw new ArgumentTypeError(`backward(): the gradient of output ${i} must be a Tensor or null, not ${typeName(grad)}`);
    }
    if (!shapeEq(grad.shape, root.shape)) {
      throw new ShapeError(
        `Mismatch in shape: grad_output[${i}] has a shape of ${fmtSize(grad.shape)} and output[${i}] has a shape of ${fmtSize(root.shape)}.`,
      );
    }
    const g = spec.createGraph ? grad : grad.detach();
    return g.dtype === root.dtype ? g : noGrad(() => g.to(root.dtype));
  });
}

/** A hook's result: the replacement gradient (same shape), or the gradient unchanged. */
function runHook(fn: TensorHook, g: Tensor): Tensor {
  const r = fn(g);
  if (r === undefined || r === null) return g;
  if (!shapeEq(r.shape, g.shape)) {
    throw new RuntimeError(`hook '${fn.name || '<anonymous>'}' has changed the size of value`);
  }
  return r;
}

/**
 * The engine: backpropagate from `roots`. Returns, in capture mode, each input's gradient (null
 * when it got none); otherwise accumulates into leaves' `.grad` and returns an empty list.
 */
function run(spec: RunSpec): (Tensor | null)[] {
  const seeds = makeSeeds(spec);
  const capture = spec.inputs;
  const ctx = { retainGraph: spec.retainGraph, createGraph: spec.createGraph };
  // Targets of autograd.grad: leaves by identity, non-leaves by (node, output index).
  const leafTarget = new Map<Tensor, number[]>();
  const nodeTarget = new Map<GradNode, Map<number, number[]>>();
  if (capture) {
    capture.forEach((t, i) => {
      if (!t.requiresGrad) throw new RuntimeError('One of the differentiated Tensors does not require grad');
      if (t.gradFn === null) {
        leafTarget.set(t, [...(leafTarget.get(t) ?? []), i]);
      } else {
        const m = nodeTarget.get(t.gradFn) ?? new Map<number, number[]>();
        m.set(t.outputIndex, [...(m.get(t.outputIndex) ?? []), i]);
        nodeTarget.set(t.gradFn, m);
      }
    });
  }

  // Topological order of the nodes reachable from the roots (iterative DFS, post-order).
  const order: GradNode[] = [];
  const seen = new Set<GradNode>();
  for (const root of spec.roots) {
    const rootNode = root.gradFn;
    if (rootNode === null || seen.has(rootNode)) continue;
    seen.add(rootNode);
    const stack: [GradNode, number][] = [[rootNode, 0]];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [node, i] = top;
      if (i < node.inputs.length) {
        top[1]++;
        const child = node.edges[i]?.fn ?? null;
        if (child !== null && !seen.has(child)) {
          seen.add(child);
          stack.push([child, 0]);
        }
      } else {
        stack.pop();
        order.push(node);
      }
    }
  }
  // In capture mode only the nodes that lead to an input run (PyTorch's exec_info).
  let runs: ((n: GradNode) => boolean) | null = null;
  if (capture) {
    const needed = new Set<GradNode>();
    for (const node of order) {
      // Post-order: a node's children come before it.
      const leadsToInput = (e: GradNode['edges'][number], t: Tensor): boolean =>
        e !== null && (e.fn === null ? leafTarget.has(t) : needed.has(e.fn) || (nodeTarget.get(e.fn)?.has(e.index) ?? false));
      if (node.inputs.some((t, k) => leadsToInput(node.edges[k], t))) {
        needed.add(node);
      }
    }
    runs = (n) => needed.has(n);
  }

  const grads = new Map<GradNode, (Tensor | null)[]>();
  const leafGrads = new Map<Tensor, Tensor>();
  const results: (Tensor | null)[] = capture ? capture.map(() => null) : [];
  const toLeaf = (t: Tensor, g: Tensor): void => {
    if (capture && !leafTarget.has(t)) return;
    leafGrads.set(t, accumulate(leafGrads.get(t) ?? null, g));
  };
  const toNode = (node: GradNode, k: number, g: Tensor): void => {
    let slot = grads.get(node);
    if (slot === undefined) {
      slot = new Array<Tensor | null>(node.numOutputs).fill(null);
      grads.set(node, slot);
    }
    slot[k] = accumulate(slot[k] ?? null, g);
  };

  const body = (): void => {
    spec.roots.forEach((root, i) => {
      if (root.gradFn === null) toLeaf(root, seeds[i]);
      else toNode(root.gradFn, root.outputIndex, seeds[i]);
    });
    for (let n = order.length - 1; n >= 0; n--) {
      const node = order[n];
      const gOut = grads.get(node);
      grads.delete(node);
      if (gOut === undefined) continue;
      const caught = nodeTarget.get(node);
      if (caught) {
        for (const [k, idx] of caught) for (const i of idx) results[i] = gOut[k] ?? null;
      }
      if (runs && !runs(node)) continue;
      if (gOut.every((g) => g === null)) continue;
      // Tensor hooks and retainGrad() of this node's outputs, in registration order.
      for (const [k, hooks] of node.hooks ?? []) {
        for (const h of [...hooks]) {
          const g = gOut[k];
          if (g === null || g === undefined) continue;
          if (h.fn === 'retain') h.tensor._retainGradValue(g, spec.createGraph);
          else gOut[k] = runHook(h.fn, g);
        }
      }
      const gIn = node.apply(gOut, ctx);
      node.inputs.forEach((inp, k) => {
        const g0 = gIn[k];
        const edge = node.edges[k];
        if (g0 === null || g0 === undefined || !edge) return;
        // A gradient has its input's dtype (float32 x * float64 y gives x a float32 gradient).
        const g = g0.dtype === inp.dtype ? g0 : g0.to(inp.dtype);
        if (!shapeEq(g.shape, inp.shape)) {
          throw new RuntimeError(
            `Function ${node.name} returned an invalid gradient at index ${k} - got ${fmtShape(g.shape)} but expected shape compatible with ${fmtShape(inp.shape)}`,
          );
        }
        if (edge.fn === null) toLeaf(inp, g);
        else toNode(edge.fn, edge.index, g);
      });
    }
    if (capture) {
      for (const [t, idx] of leafTarget) for (const i of idx) results[i] = leafGrads.get(t) ?? null;
      return;
    }
    // Leaves: their hooks on the summed gradient, then accumulation (nothing before this point
    // touched a .grad, so an error above leaves every .grad as it was).
    const finals: [Tensor, Tensor][] = [];
    for (const [t, g0] of leafGrads) {
      let g = g0;
      for (const h of t._leafHooks()) g = runHook(h, g);
      finals.push([t, g]);
    }
    for (const [t, g] of finals) t._accumulateGrad(g, spec.createGraph);
  };
  if (spec.createGraph) enableGrad(body);
  else noGrad(body);
  return results;
}

/** Wrap the engine's "freed graph" error with torchlet's hint. */
function withHint<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RuntimeError && e.message === ERR_BACKWARD_TWICE) {
      const err = new RuntimeError(ERR_BACKWARD_TWICE + BACKWARD_TWICE_HINT);
      throw err;
    }
    throw e;
  }
}

/**
 * Backpropagate from `root` with seed gradient `grad` (ones for a one-element root),
 * accumulating into `.grad` of every leaf that requires grad. Non-leaf tensors get no `.grad`
 * unless they asked for `retainGrad()`, as in PyTorch. PyTorch: `tensor.backward(gradient,
 * retain_graph, create_graph)`.
 */
export function runBackward(root: Tensor, grad: Tensor | null | undefined, opts: BackwardOptions = {}): void {
  const createGraph = opts.createGraph ?? false;
  withHint(() => run({ roots: [root], seeds: [grad], retainGraph: opts.retainGraph ?? createGraph, createGraph, inputs: null }));
}

function tensorList(v: unknown, what: string, where: string): Tensor[] {
  const list = Array.isArray(v) ? v : [v];
  return list.map((t, i) => {
    if (t === null || typeof t !== 'object' || typeof (t as Tensor).detach !== 'function' || !('gradFn' in (t as object))) {
      throw new ArgumentTypeError(
        `${where}(): argument '${what}' must be a Tensor or a list of Tensors, not ${typeName(t)}${Array.isArray(v) ? ` at index ${i}` : ''}`,
      );
    }
    return t as Tensor;
  });
}

/**
 * The gradients of `outputs` with respect to `inputs`, returned (one per input, in order)
 * instead of accumulated into `.grad`. `outputs` and `inputs` are a Tensor or an array of them;
 * a one-element output needs no gradOutput. PyTorch: `torch.autograd.grad(outputs, inputs,
 * grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False)`.
 */
export function grad(outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], options?: GradOptions): (Tensor | null)[] {
  const opts = GRAD_OPTIONS.parse(options);
  const outs = tensorList(outputs, 'outputs', 'autograd.grad');
  const ins = tensorList(inputs, 'inputs', 'autograd.grad');
  const createGraph = opts.createGraph ?? false;
  const retainGraph = opts.retainGraph ?? createGraph;
  const allowUnused = opts.allowUnused ?? false;
  const go = opts.gradOutputs;
  const seeds: (Tensor | null | undefined)[] = go === undefined || go === null ? outs.map(() => null) : Array.isArray(go) ? [...go] : [go as Tensor];
  if (seeds.length !== outs.length) throw new RuntimeError(`got ${outs.length} tensors and ${seeds.length} gradients`);
  const res = withHint(() => run({ roots: outs, seeds, retainGraph, createGraph, inputs: ins }));
  if (!allowUnused && res.some((g) => g === null)) {
    throw new RuntimeError(
      'One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.\n' +
        'torchlet: pass { allowUnused: true } to get null for it.',
    );
  }
  return res.map((g) => (g === null || createGraph ? g : g.detach()));
}

/**
 * Backpropagate from several tensors at once (their gradients summed into the leaves).
 * PyTorch: `torch.autograd.backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False)`.
 */
export function backward(tensors: Tensor | readonly Tensor[], gradTensors?: Tensor | readonly (Tensor | null | undefined)[] | null, options?: BackwardOptions): void {
  const opts = AUTOGRAD_BACKWARD_OPTIONS.parse(options);
  const roots = tensorList(tensors, 'tensors', 'autograd.backward');
  const createGraph = opts.createGraph ?? false;
  const retainGraph = opts.retainGraph ?? createGraph;
  const seeds: (Tensor | null | undefined)[] =
    gradTensors === undefined || gradTensors === null ? roots.map(() => null) : Array.isArray(gradTensors) ? [...gradTensors] : [gradTensors as Tensor];
  if (seeds.length !== roots.length) throw new RuntimeError(`got ${roots.length} tensors and ${seeds.length} gradients`);
  withHint(() => run({ roots, seeds, retainGraph, createGraph, inputs: null }));
}

/** Parse `backward(gradient?, options?)` / `backward(options)` as Tensor.backward takes them. */
export function tensorBackward(root: Tensor, a?: unknown, b?: unknown): void {
  const isTensorLike = (v: unknown): boolean => v !== null && typeof v === 'object' && typeof (v as Tensor).detach === 'function' && 'gradFn' in (v as object);
  let gradient: Tensor | null | undefined;
  let options: unknown;
  if (a === undefined || a === null || isTensorLike(a)) {
    gradient = a as Tensor | null | undefined;
    options = b;
  } else if (typeof a === 'object' && !Array.isArray(a) && b === undefined) {
    options = a;
  } else {
    throw new ArgumentTypeError(`backward(): argument 'gradient' (position 1) must be Tensor, not ${typeName(a)}`);
  }
  const opts = BACKWARD_OPTIONS.parse(options);
  const createGraph = opts.createGraph ?? false;
  const retainGraph = opts.retainGraph;
  runBackward(root, gradient, { createGraph, retainGraph: retainGraph ?? createGraph });
}
