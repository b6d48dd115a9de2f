/**
 * The recurrent kernel contract's `retain` flag (src/kernels/rnn.ts): a backward called with
 * retain keeps the forward's saved state, so it gives the same gradients again; the call without
 * it releases the state and a later call throws. Checked on the WebAssembly kernel (pinned or
 * copied-out state), alone and side by side (forwardMany), and on the reference kernel.
 */
import { describe, expect, it } from 'vitest';
import { refRnnKernel } from '../src/kernels/ref/rnn.js';
import type { RnnForwardArgs, RnnKernel, RnnMode } from '../src/kernels/rnn.js';
import { gateCount } from '../src/kernels/rnn.js';
import { wasmReady, wasmRnnKernel } from '../src/kernels/wasm/index.js';
import { Arena } from '../src/kernels/wasm/loader.js';

function det(n: number, seed: number, scale = 0.5): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.7 + seed) * scale);
}

function args(mode: RnnMode, reverse: boolean): RnnForwardArgs<Float32Array> {
  const [I, H, B] = [3, 4, 3];
  const G = gateCount(mode);
  const batchSizes = Int32Array.from([3, 3, 2, 1]);
  return {
    spec: { mode, inputSize: I, hiddenSize: H, projSize: 0, batchSizes, reverse },
    weights: { wIh: det(G * H * I, 0.1), wHh: det(G * H * H, 0.2), bIh: det(G * H, 0.3), bHh: det(G * H, 0.4), wHr: null },
    x: det(9 * I, 0.6, 1),
    h0: det(B * H, 0.7),
    c0: mode === 'LSTM' ? det(B * H, 0.8) : null,
    needsGrad: true,
  };
}

const grads = { dy: det(9 * 4, 0.9, 1), dhN: det(3 * 4, 1.0, 1), dcN: det(3 * 4, 1.1, 1) };
const flat = (g: ReturnType<NonNullable<ReturnType<RnnKernel['forward']>['backward']>>): number[] => [...g.dx!, ...g.dh0, ...g.dWIh, ...g.dWHh, ...g.dBIh!];

const useWasm = await wasmReady();
const kernels: [string, RnnKernel][] = [['ref', refRnnKernel]];
if (useWasm) kernels.push(['wasm', wasmRnnKernel]);

for (const [name, kernel] of kernels) {
  describe(`${name} kernel: backward(grads, retain)`, () => {
    for (const mode of ['LSTM', 'GRU', 'RNN_TANH'] as RnnMode[]) {
      it(`${mode}: retained calls repeat the gradients; the last call releases`, () => {
        const a = args(mode, false);
        const back = kernel.forward(a).backward!;
        const g1 = flat(back({ ...grads, dcN: a.c0 ? grads.dcN : null }, true));
        // Another forward in between reuses the kernel's scratch memory.
        kernel.forward({ ...args(mode, true), needsGrad: false });
        const g2 = flat(back({ ...grads, dcN: a.c0 ? grads.dcN : null }, true));
        const g3 = flat(back({ ...grads, dcN: a.c0 ? grads.dcN : null }));
        expect(g2).toEqual(g1);
        expect(g3).toEqual(g1);
        if (name === 'wasm') expect(() => back({ ...grads, dcN: a.c0 ? grads.dcN : null })).toThrow(/saved buffers were released/);
      });
    }
    if (name === 'wasm') {
      it('LSTM past the pin budget (saved state copied out): retained, with a training forward in between', () => {
        const budget = Arena.pinBudget;
        Arena.pinBudget = 0;
        try {
          const a = args('LSTM', false);
          const back = kernel.forward(a).backward!;
          const g1 = flat(back(grads, true));
          // A forward that keeps state of the same size takes a pooled block if the retained one was released.
          const other = kernel.forward({ ...a, x: det(27, 5.5, 1) }).backward!;
          const g2 = flat(back(grads));
          expect(g2).toEqual(g1);
          other(grads);
        } finally {
          Arena.pinBudget = budget;
        }
      });
    }
    if (kernel.forwardMany) {
      it('forwardMany (both directions): retained then released', () => {
        const list = [args('LSTM', false), args('LSTM', true)];
        const back = kernel.forwardMany!(list, true).backward!;
        const gs = list.map(() => grads);
        const g1 = back(gs, true).map(flat);
        const g2 = back(gs).map(flat);
        expect(g2).toEqual(g1);
        if (name === 'wasm') expect(() => back(gs)).toThrow(/saved buffers were released/);
      });
    }
  });
}
