/**
 * Every recurrent kernel registered in `kernels` against the reference kernel, on every case of
 * test/kernels-wasm-cases.ts (each mode, with and without projection, reverse, packed, bias,
 * NaN/Inf, null gradients; forward alone and two directions through forwardMany, joined): outputs
 * and every gradient within float32 rounding. The kernels are test/helpers/kernels.ts's one list
 * (WebAssembly, native on every instruction set here); src/kernels/rnn.ts says what a kernel must provide.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { refRnnKernel } from '../src/kernels/ref/rnn.js';
import type { RnnKernel, RnnLayerSpec } from '../src/kernels/rnn.js';
import { setKernelPreference } from '../src/kernels/wasm/loader.js';
import { kernelTiers } from './helpers/kernels.js';
import { allCases, caseName, runCase, runPairCase } from './kernels-wasm-cases.js';

/** [name, kernel, what to switch on before running it]: every tier of test/helpers/kernels.ts, and the reference. */
const kernels: [string, RnnKernel, () => void][] = [
  ...kernelTiers().map((t): [string, RnnKernel, () => void] => [t.name, t.rnn, () => setKernelPreference(t.preference)]),
  ['reference (through its own forwardMany)', refRnnKernel, () => {}],
];

afterEach(() => setKernelPreference('auto'));

for (const [name, kernel, use] of kernels) {
  describe(`${name} vs the reference kernel`, () => {
    for (const c of allCases()) {
      it(caseName(c), () => {
        use();
        expect(runCase(c, kernel)).toEqual([]);
        expect(runPairCase(c, true, kernel)).toEqual([]);
      });
    }

    it('takes float64 too (its own fallback), with the reference results', () => {
      use();
      const spec: RnnLayerSpec = { mode: 'GRU', inputSize: 2, hiddenSize: 3, projSize: 0, batchSizes: Int32Array.from([2, 1]), reverse: false };
      const weights = { wIh: new Float64Array(18).fill(0.1), wHh: new Float64Array(27).fill(-0.2), bIh: null, bHh: new Float64Array(9).fill(0.3), wHr: null };
      const args = { spec, weights, x: Float64Array.from([1, 2, 3, 4, 5, 6]), h0: new Float64Array(6).fill(0.5), c0: null, needsGrad: true };
      const got = kernel.forward(args);
      const want = refRnnKernel.forward(args);
      expect(got.y).toBeInstanceOf(Float64Array);
      expect([...got.y]).toEqual([...want.y]);
      const g = { dy: new Float64Array(9).fill(1), dhN: null, dcN: null };
      expect([...got.backward!(g).dWHh]).toEqual([...want.backward!(g).dWHh]);
    });
  });
}
