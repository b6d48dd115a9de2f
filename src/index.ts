/**
 * torchlet: PyTorch's recurrent layers for TypeScript.
 *
 *   import * as torch from 'torchlet';
 *   const x = torch.randn(4, 3, { requiresGrad: true });
 *
 * Mirrors the `torch` namespace: ops as functions (`torch.matmul(a, b)`) and as methods
 * (`a.matmul(b)`), `torch.nn`, `torch.optim`, `torch.autograd`, `torch.io`, `torch.onnx`.
 */

import './runtime.js'; // first: refuses a Node.js that is too old, with a clear message
export * as autograd from './autograd/index.js';
export { enableGrad, isGradEnabled, noGrad, setGradEnabled } from './autograd/index.js';
export {
  ArgumentTypeError,
  DTypeError,
  FormatError,
  IndexError,
  OptionError,
  RuntimeError,
  ShapeError,
  SizeError,
  TorchletError,
  ValueError,
} from './errors.js';
export type { PlainErrorType, PyTorchErrorType } from './errors.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as io from './io/index.js';
/** PyTorch: `torch.load(f, weights_only=True)` / `torch.save(obj, f)` on bytes; see `io.load`, `io.save`. */
export { load, save } from './io/index.js';
export * as onnx from './onnx/index.js';
/** `torch.explain(module, input)`: every shape in and out, parameters, costs and the classic slips. */
export { explain, renderExplain } from './explain/index.js';
/** The explain report's types, the constructor-string parser and the architecture inference (`torchlet inspect`). */
export * as explainer from './explain/index.js';
export * as utils from './utils/index.js';
export { areDeterministicAlgorithmsEnabled, isDeterministicAlgorithmsWarnOnlyEnabled, useDeterministicAlgorithms } from './kernels/determinism.js';
export { activeKernels, setKernelPreference, wasmReady } from './kernels/wasm/loader.js';
export type { KernelPreference } from './kernels/wasm/loader.js';
export { type KernelInfo, kernelInfo, type NativeIsa } from './kernels/native/index.js';
/** PyTorch: `torch.set_num_threads(n)` / `torch.get_num_threads()` (async here: workers start up). */
export { getNumThreads, setNumThreads } from './kernels/wasm/threads.js';
export * from './ops/index.js';
export type { Device, DType, DTypeLike, FloatDType, IntDType, ToOptions } from './tensor/dtype.js';
/** PyTorch's dtype constants (`torch.float32`, `torch.long`, ...), `torch.promote_types`, `torch.can_cast`. */
export { bool, canCast, double, float, float32, float64, int, int32, int64, long, promoteTypes } from './tensor/dtype.js';
export type { GeneratorState } from './tensor/random.js';
export { defaultGenerator, Generator, initialSeed, manualSeed, seed } from './tensor/random.js';
export type { NestedArray } from './tensor/tensor.js';
export { Tensor } from './tensor/tensor.js';
