/**
 * Golden tests against PyTorch 1.13 (test/fixtures/rnn.safetensors, made by
 * tools/fixtures/rnn.py): for every case of the layer grid and every cell case, the outputs, hN,
 * cN and the gradients of the input, the initial states and every parameter of
 *   loss = sum(wy * output) + sum(wh * hN) [+ sum(wc * cN)].
 * The parameters are loaded with `loadStateDict` from PyTorch's state_dict keys. One test body
 * runs against every backend: the reference kernel and the WebAssembly kernel (which falls back
 * to the reference one where WebAssembly SIMD is missing).
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { backend, type Backend, refBackend, setBackend } from '../src/kernels/backend.js';
import { type KernelPreference, setKernelPreference, wasmReady } from '../src/kernels/wasm/index.js';
import { kernelTiers } from './helpers/kernels.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { expectClose, loadFixture, TOL } from './helpers/fixtures.js';

const { nn } = torch;

interface LayerCase {
  name: string;
  kind: 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'LSTM_PROJ' | 'GRU';
  numLayers: number;
  bias: boolean;
  batchFirst: boolean;
  bidirectional: boolean;
  batched: boolean;
  withH0: boolean;
  packed: { lengths: number[]; enforceSorted: boolean } | null;
  inputSize: number;
  hiddenSize: number;
  projSize: number;
  dtype: 'float32' | 'float64';
}

interface CellCase {
  name: string;
  kind: 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';
  bias: boolean;
  batched: boolean;
  withH0: boolean;
  inputSize: number;
  hiddenSize: number;
}

interface Cases {
  layers: LayerCase[];
  cells: CellCase[];
}

const fx = loadFixture<Cases>('rnn');

/** The fixture tensors under `prefix`, keys without the prefix. */
function under(prefix: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(fx.tensors)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

const leaf = (t: Tensor): Tensor => t.clone().requiresGrad_();
const has = (key: string): boolean => Object.hasOwn(fx.tensors, key);

function buildLayer(c: LayerCase): torch.nn.RNNBase {
  const common = {
    numLayers: c.numLayers,
    bias: c.bias,
    batchFirst: c.batchFirst,
    bidirectional: c.bidirectional,
    dtype: c.dtype,
  };
  switch (c.kind) {
    case 'RNN_TANH':
      return new nn.RNN(c.inputSize, c.hiddenSize, common);
    case 'RNN_RELU':
      return new nn.RNN(c.inputSize, c.hiddenSize, { ...common, nonlinearity: 'relu' });
    case 'LSTM':
      return new nn.LSTM(c.inputSize, c.hiddenSize, common);
    case 'LSTM_PROJ':
      return new nn.LSTM(c.inputSize, c.hiddenSize, { ...common, projSize: c.projSize });
    case 'GRU':
      return new nn.GRU(c.inputSize, c.hiddenSize, common);
  }
}

function runLayerCase(c: LayerCase): void {
  const pre = `${c.name}/`;
  const tol = c.dtype === 'float64' ? TOL.f64 : TOL.f32Deep;
  const model = buildLayer(c);
  model.loadStateDict(under(`${pre}p/`));
  const x = leaf(fx.get(`${pre}x`));
  const h0 = has(`${pre}h0`) ? leaf(fx.get(`${pre}h0`)) : null;
  const c0 = has(`${pre}c0`) ? leaf(fx.get(`${pre}c0`)) : null;
  const input = c.packed
    ? new nn.utils.PackedSequence(
        x,
        fx.get(`${pre}batch_sizes`),
        has(`${pre}sorted_indices`) ? fx.get(`${pre}sorted_indices`) : null,
        has(`${pre}unsorted_indices`) ? fx.get(`${pre}unsorted_indices`) : null,
      )
    : x;
  const hx = h0 ? (c0 ? [h0, c0] : h0) : null;
  // The layer is chosen at run time, so go through the common base signature.
  const [out, state] = model.forward(input as Tensor, hx as Tensor & [Tensor, Tensor]);
  const outT = out instanceof nn.utils.PackedSequence ? out.data : (out as Tensor);
  const [hN, cN] = Array.isArray(state) ? state : [state, null];
  if (c.packed) expect(out).toBeInstanceOf(nn.utils.PackedSequence);
  expectClose(outT, fx.get(`${pre}out`), tol, 'output');
  expectClose(hN, fx.get(`${pre}hN`), tol, 'hN');
  let loss = outT.mul(fx.get(`${pre}wy`)).sum().add(hN.mul(fx.get(`${pre}wh`)).sum());
  if (cN) {
    expectClose(cN, fx.get(`${pre}cN`), tol, 'cN');
    loss = loss.add(cN.mul(fx.get(`${pre}wc`)).sum());
  }
  loss.backward();
  expectClose(x.grad, fx.get(`${pre}grad/x`), tol, 'grad input');
  if (h0) expectClose(h0.grad, fx.get(`${pre}grad/h0`), tol, 'grad h0');
  if (c0) expectClose(c0.grad, fx.get(`${pre}grad/c0`), tol, 'grad c0');
  const names = [...model.namedParameters()].map(([n]) => n);
  expect(names).toEqual(Object.keys(under(`${pre}p/`)).sort((a, b) => names.indexOf(a) - names.indexOf(b)));
  for (const [name, p] of model.namedParameters()) expectClose(p.grad, fx.get(`${pre}grad/p/${name}`), tol, `grad ${name}`);
}

function runCellCase(c: CellCase): void {
  const pre = `${c.name}/`;
  const tol = TOL.f32Deep;
  const opts = { bias: c.bias };
  const x = leaf(fx.get(`${pre}x`));
  const h0 = has(`${pre}h0`) ? leaf(fx.get(`${pre}h0`)) : null;
  const c0 = has(`${pre}c0`) ? leaf(fx.get(`${pre}c0`)) : null;
  let h: Tensor;
  let cc: Tensor | null = null;
  let cell: torch.nn.RNNCellBase;
  if (c.kind === 'LSTM') {
    const lstm = new nn.LSTMCell(c.inputSize, c.hiddenSize, opts);
    lstm.loadStateDict(under(`${pre}p/`));
    [h, cc] = lstm.forward(x, h0 && c0 ? [h0, c0] : null);
    cell = lstm;
  } else {
    const m =
      c.kind === 'GRU'
        ? new nn.GRUCell(c.inputSize, c.hiddenSize, opts)
        : new nn.RNNCell(c.inputSize, c.hiddenSize, { ...opts, nonlinearity: c.kind === 'RNN_RELU' ? 'relu' : 'tanh' });
    m.loadStateDict(under(`${pre}p/`));
    h = m.forward(x, h0);
    cell = m;
  }
  expectClose(h, fx.get(`${pre}hN`), tol, 'h');
  let loss = h.mul(fx.get(`${pre}wh`)).sum();
  if (cc) {
    expectClose(cc, fx.get(`${pre}cN`), tol, 'c');
    loss = loss.add(cc.mul(fx.get(`${pre}wc`)).sum());
  }
  loss.backward();
  expectClose(x.grad, fx.get(`${pre}grad/x`), tol, 'grad input');
  if (h0) expectClose(h0.grad, fx.get(`${pre}grad/h0`), tol, 'grad h0');
  if (c0) expectClose(c0.grad, fx.get(`${pre}grad/c0`), tol, 'grad c0');
  for (const [name, p] of cell.namedParameters()) expectClose(p.grad, fx.get(`${pre}grad/p/${name}`), tol, `grad ${name}`);
}

const useWasm = await wasmReady();
/** [name, backend, preference]: the reference, then every fast tier of test/helpers/kernels.ts (the recurrent kernel swapped in). */
const backends: [string, Backend, KernelPreference][] = [['ref', refBackend, 'auto']];
if (useWasm) for (const t of kernelTiers()) backends.push([t.name, { ...refBackend, name: t.name, rnn: t.rnn }, t.preference]);
const initial = backend();
afterAll(() => {
  setBackend(initial);
  setKernelPreference('auto');
});

function describeCase(c: LayerCase): string {
  const opts = [
    `${c.numLayers} layer(s)`,
    c.bias ? 'bias' : 'no bias',
    c.batchFirst ? 'batchFirst' : '',
    c.bidirectional ? 'bidirectional' : '',
    c.packed ? `packed ${c.packed.enforceSorted ? 'sorted' : 'unsorted'} [${c.packed.lengths}]` : c.batched ? 'batched' : 'unbatched',
    c.withH0 ? 'with states' : 'zero states',
    c.dtype === 'float64' ? 'float64' : '',
  ];
  return `${c.name}: ${c.kind} ${opts.filter(Boolean).join(', ')}`;
}

for (const [bname, b, preference] of backends) {
  describe(`rnn golden vs PyTorch (${bname} kernel)`, () => {
    for (const c of fx.cases.layers) {
      it(describeCase(c), () => {
        setBackend(b);
        setKernelPreference(preference);
        runLayerCase(c);
      });
    }
    for (const c of fx.cases.cells) {
      it(`${c.name}: ${c.kind} cell, ${c.bias ? 'bias' : 'no bias'}, ${c.batched ? 'batched' : 'unbatched'}, ${c.withH0 ? 'with hx' : 'zero hx'}`, () => {
        setBackend(b);
        setKernelPreference(preference);
        runCellCase(c);
      });
    }
  });
}
