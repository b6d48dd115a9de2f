/** Reverse-mode differentiation over the recorded graph. PyTorch: `torch.autograd.backward`. */

import { RuntimeError, ShapeError } from '../errors.js';
import { fmtShape, fmtSize, shapeEq } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { noGrad } from './grad-mode.js';
import type { GradNode } from './node.js';

function accumulate(prev: Tensor | null, g: Tensor): Tensor {
  return prev === null ? g : prev.add(g);
}

/**
 * Backpropagate from `root` with seed gradient `grad` (ones for a scalar root), accumulating
 * into `.grad` of every leaf that requires grad. Non-leaf tensors get no `.grad`, as in PyTorch.
 * PyTorch parity: the graph is kept after backward (as with `retain_graph=True`), so a second
 * backward through it works here where PyTorch would raise; the gradients are the same.
 */
export function runBackward(root: Tensor, grad: Tensor | undefined): void {
  if (!root.requiresGrad) {
    throw new RuntimeError('element 0 of tensors does not require grad and does not have a grad_fn');
  }
  let seed: Tensor;
  if (grad === undefined) {
    if (root.numel() !== 1) {
      throw new RuntimeError(
        'grad can be implicitly created only for scalar outputs\n' +
          `The output has shape ${fmtShape(root.shape)}: reduce it first (y.sum().backward()) or pass a gradient of that shape (y.backward(torch.onesLike(y))).`,
      );
    }
    seed = root.detach().onesLike();
  } else {
    if (!shapeEq(grad.shape, root.shape)) {
      throw new ShapeError(
        `Mismatch in shape: grad_output[0] has a shape of ${fmtSize(grad.shape)} and output[0] has a shape of ${fmtSize(root.shape)}.`,
      );
    }
    seed = grad.detach();
  }
  noGrad(() => {
    const rootNode = root.gradFn;
    if (rootNode === null) {
      root._accumulateGrad(seed);
      return;
    }
    // Topological order of nodes (iterative DFS, post-order).
    const order: GradNode[] = [];
    const seen = new Set<GradNode>();
    const stack: [GradNode, number][] = [[rootNode, 0]];
    seen.add(rootNode);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [node, i] = top;
      if (i < node.inputs.length) {
        top[1]++;
        const child = node.inputs[i]!.gradFn;
        if (child !== null && !seen.has(child)) {
          seen.add(child);
          stack.push([child, 0]);
        }
      } else {
        stack.pop();
        order.push(node);
      }
    }
    const grads = new Map<GradNode, (Tensor | null)[]>();
    grads.set(rootNode, Array.from({ length: rootNode.numOutputs }, (_, k) => (k === root.outputIndex ? seed : null)));
    for (let n = order.length - 1; n >= 0; n--) {
      const node = order[n]!;
      const gOut = grads.get(node);
      grads.delete(node);
      if (gOut === undefined || gOut.every((g) => g === null)) continue;
      const gIn = node.backward(gOut);
      node.inputs.forEach((inp, k) => {
        const g0 = gIn[k];
        if (g0 === null || g0 === undefined || !inp.requiresGrad) return;
        // A gradient has its input's dtype (float32 x * float64 y gives x a float32 gradient).
        const g = g0.dtype === inp.dtype ? g0 : g0.to(inp.dtype);
        if (!shapeEq(g.shape, inp.shape)) {
          throw new RuntimeError(
            `Function ${node.name} returned an invalid gradient at index ${k} - got ${fmtShape(g.shape)} but expected shape compatible with ${fmtShape(inp.shape)}`,
          );
        }
        if (inp.gradFn === null) {
          inp._accumulateGrad(g);
        } else {
          let slot = grads.get(inp.gradFn);
          if (slot === undefined) {
            slot = new Array<Tensor | null>(inp.gradFn.numOutputs).fill(null);
            grads.set(inp.gradFn, slot);
          }
          slot[inp.outputIndex] = accumulate(slot[inp.outputIndex] ?? null, g);
        }
      });
    }
  });
}
