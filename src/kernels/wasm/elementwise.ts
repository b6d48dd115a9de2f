/**
 * The backend's elementwise `unary` kernel with float32 sigmoid and tanh on the WebAssembly SIMD
 * activations (PyTorch twins: torch.sigmoid, torch.tanh): about 1 ns per element against
 * 15-25 ns for the reference loop's Math.exp. Within 1e-6 of the reference over the whole float
 * range, exact at the limits, NaN in NaN out (test/kernels-wasm.test.ts sweeps it). Every other
 * op, float64 and int32 arrays, arrays too small to pay for the copies in and out, and engines
 * without WebAssembly SIMD go to the reference kernel.
 */
import type { Storage } from '../../tensor/dtype.js';
import { unary as refUnary, type UnaryOp } from '../ref/elementwise.js';
import { wasmKernels } from './loader.js';

/** Below this many elements the reference loop is as fast as the copies. */
const MIN_ELEMENTS = 64;

/** out = op(x), x and out contiguous of the same length (the reference kernel's contract). */
export function unary(op: UnaryOp, x: Storage, out: Storage): void {
  if ((op === 'sigmoid' || op === 'tanh') && x instanceof Float32Array && out instanceof Float32Array && x.length >= MIN_ELEMENTS) {
    if (activation(op, x, out)) return;
  }
  refUnary(op, x, out);
}

/** sigmoid over a float32 array (new array), or null without WebAssembly SIMD. */
export function sigmoidF32(x: Float32Array): Float32Array | null {
  const out = new Float32Array(x.length);
  return activation('sigmoid', x, out) ? out : null;
}

/** tanh over a float32 array (new array), or null without WebAssembly SIMD. */
export function tanhF32(x: Float32Array): Float32Array | null {
  const out = new Float32Array(x.length);
  return activation('tanh', x, out) ? out : null;
}

/** out = sigmoid(x) or tanh(x) on the SIMD kernels; false (out untouched) without WebAssembly SIMD. */
function activation(op: 'sigmoid' | 'tanh', x: Float32Array, out: Float32Array): boolean {
  const w = wasmKernels();
  if (!w) return false;
  w.arena.reset();
  const p = w.arena.put(x);
  if (op === 'sigmoid') w.k.sigmoidArray(p, p, x.length);
  else w.k.tanhArray(p, p, x.length);
  out.set(w.arena.f32().subarray(p >> 2, (p >> 2) + x.length));
  return true;
}
