/**
 * torchlet through its public API, what users get: `new nn.LSTM(...)` / `new nn.GRU(...)`,
 * forward under `noGrad` for inference, forward + `out.sum().backward()` for a training step,
 * on the backend with the WebAssembly kernels plugged in.
 */
import * as torch from '../src/index.js';
import { nativeBackend, setBackend, wasmBackend } from '../src/kernels/backend.js';
import type { Runner } from './torchlet-kernel.js';
import type { Workload } from './workloads.js';

/** The default backend: WebAssembly GEMM, recurrent kernel and activations (reference kernels elsewhere). */
export function useWasmBackend(): void {
  setBackend(wasmBackend);
}

/**
 * The default backend: native kernels in Node where they load and the kernel preference allows
 * ('auto' / 'native*'), the WebAssembly ones under 'simd' / 'relaxed' (each entry falls back by itself).
 */
export function useDefaultBackend(): void {
  setBackend(nativeBackend);
}

export function apiRunner(w: Workload): Runner {
  const opts = { numLayers: w.layers, bidirectional: w.bidirectional, batchFirst: w.batchFirst };
  const model = w.mode === 'LSTM' ? new torch.nn.LSTM(w.input, w.hidden, opts) : new torch.nn.GRU(w.input, w.hidden, opts);
  const x = w.batchFirst ? torch.randn(w.batch, w.steps, w.input) : torch.randn(w.steps, w.batch, w.input);
  const out = (): torch.Tensor => {
    const [y] = model.forward(x);
    if (!(y instanceof torch.Tensor)) throw new Error('expected a Tensor output');
    return y;
  };
  return {
    infer: () => void torch.noGrad(out),
    train: () => {
      model.zeroGrad();
      out().sum().backward();
    },
  };
}
