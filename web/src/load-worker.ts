/**
 * The load panel's Web Worker: reads a dropped `.pt` (zip or legacy) or `.safetensors` file with
 * torchlet's loaders, infers the architecture as `torchlet inspect` does (inferArchitecture), builds
 * each recognised layer, loads its weights and runs it once on a random input. Runs in a worker so
 * a hostile or huge file can never freeze the page (the page also gives up after a time limit and
 * terminates the worker); every failure is posted back as the loader's message.
 */
import { inferArchitecture } from '../../src/explain/infer.js';
import { buildLayer, toPython, toTorchlet } from '../../src/explain/index.js';
import type { LayerSpec } from '../../src/explain/index.js';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { load } from '../../src/io/checkpoint.js';
import { loadSafetensors } from '../../src/io/safetensors.js';
import type { Module } from '../../src/nn/module.js';
import { PackedSequence } from '../../src/nn/utils/packed.js';
import { randn } from '../../src/ops/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import type { FromLoadWorker, LoadedLayer, LoadReport, ToLoadWorker } from './load-protocol.js';
import { describePickleValue as describe, isPickleDict as isDict } from '../../src/io/describe.js';

const FORMAT_NAMES: Record<LoadReport['format'], string> = {
  pt: 'PyTorch checkpoint (zip format)',
  'pt-legacy': 'PyTorch checkpoint (legacy format, before 1.6)',
  safetensors: 'safetensors',
};

/** The format from the first bytes (as src/cli/files.ts tells it), the name breaking ties. */
function sniff(bytes: Uint8Array, name: string): LoadReport['format'] {
  if (bytes.length >= 2 && bytes[0] === 0x50 && bytes[1] === 0x4b) return 'pt';
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1]! <= 5) return 'pt-legacy';
  if (bytes.length >= 9 && bytes[8] === 0x7b && bytes[0] !== 0x7b) return 'safetensors';
  const ext = name.toLowerCase().replace(/^.*(\.[^.]+)$/, '$1');
  if (ext === '.safetensors') return 'safetensors';
  if (ext === '.pt' || ext === '.pth' || ext === '.bin') return 'pt';
  throw new Error(`not a model file torchlet reads here (.pt/.pth or .safetensors)${ext === '.onnx' ? ': for ONNX use `torchlet inspect`' : ''}`);
}

/** The summary line of `torchlet inspect` for a recognised layer. */
function summary(spec: LayerSpec): string {
  const a = spec.args;
  if (['RNN', 'LSTM', 'GRU'].includes(spec.type)) {
    return `inputSize ${a.inputSize}, hiddenSize ${a.hiddenSize}, numLayers ${a.numLayers ?? 1}, bidirectional ${a.bidirectional ?? false}, projSize ${a.projSize ?? 0}, bias ${a.bias ?? true}`;
  }
  return Object.entries(a).map(([k, v]) => `${k} ${String(v)}`).join(', ');
}

function shapesOut(v: unknown, name: string, out: { name: string; shape: number[] }[]): void {
  if (v instanceof Tensor) out.push({ name, shape: [...v.shape] });
  else if (v instanceof PackedSequence) out.push({ name: `${name}.data`, shape: [...v.data.shape] });
  else if (Array.isArray(v)) {
    v.forEach((x, i) => {
      shapesOut(x, `${name}[${i}]`, out);
    });
  }
}

/** Build the layer, load its weights, run it on randn of a small input. */
function tryRun(spec: LayerSpec, weights: Record<string, Tensor>, prefix: string, keys: readonly string[]): LoadedLayer['run'] {
  try {
    const m = buildLayer(spec) as Module & { forward(x: Tensor): unknown };
    const own: Record<string, Tensor> = {};
    for (const k of keys) own[k.slice(prefix.length)] = weights[k]!;
    m.loadStateDict(own);
    m.eval();
    const a = spec.args as Record<string, number>;
    let input: number[];
    if (['RNN', 'LSTM', 'GRU'].includes(spec.type)) input = [5, 2, a.inputSize!]; // (L, N, Hin): batch_first is not stored in weights
    else if (spec.type.endsWith('Cell')) input = [2, a.inputSize!];
    else if (spec.type === 'Linear') input = [2, a.inFeatures!];
    else if (spec.type === 'Conv1d') input = [2, a.inChannels!, 16];
    else return { error: `no sample input for ${spec.type}` };
    manualSeed(0);
    const y = noGrad(() => m.forward(randn(...input)));
    const outputs: { name: string; shape: number[] }[] = [];
    if (['RNN', 'GRU'].includes(spec.type)) {
      const [o, hN] = y as [Tensor, Tensor];
      shapesOut(o, 'output', outputs);
      shapesOut(hN, 'h_n', outputs);
    } else if (spec.type === 'LSTM') {
      const [o, [hN, cN]] = y as [Tensor, [Tensor, Tensor]];
      shapesOut(o, 'output', outputs);
      shapesOut(hN, 'h_n', outputs);
      shapesOut(cN, 'c_n', outputs);
    } else if (spec.type === 'LSTMCell') {
      const [h1, c1] = y as [Tensor, Tensor];
      shapesOut(h1, "h'", outputs);
      shapesOut(c1, "c'", outputs);
    } else shapesOut(y, spec.type.endsWith('Cell') ? "h'" : 'output', outputs);
    return { input, outputs };
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0]! };
  }
}

function read(name: string, bytes: Uint8Array): LoadReport {
  const format = sniff(bytes, name);
  let weights: Record<string, Tensor> = {};
  let metadata: Record<string, string> = {};
  let entries: LoadReport['entries'] = null;
  let weightsKey: string | null = null;
  let dtypes: Record<string, string> = {};
  if (format === 'safetensors') {
    const f = loadSafetensors(bytes);
    weights = { ...f.tensors };
    metadata = { ...f.metadata };
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype?: string }>;
    dtypes = Object.fromEntries(Object.entries(header).filter(([k, v]) => k !== '__metadata__' && typeof v?.dtype === 'string').map(([k, v]) => [k, v.dtype!]));
  } else {
    const value = load(bytes);
    if (isDict(value) && Object.values(value).every((v) => v instanceof Tensor)) weights = value as Record<string, Tensor>;
    else if (isDict(value)) {
      const list = Object.entries(value).map(([k, v]) => ({ key: k, what: describe(v), tensors: isDict(v) ? Object.values(v).filter((x) => x instanceof Tensor).length : 0 }));
      entries = list.map(({ key, what }) => ({ key, what }));
      const best = [...list].sort((a, b) => b.tensors - a.tensors)[0];
      const chosen = best ? value[best.key] : undefined;
      if (best && chosen !== undefined && isDict(chosen) && best.tensors > 0) {
        weightsKey = best.key;
        weights = Object.fromEntries(Object.entries(chosen).filter(([, t]) => t instanceof Tensor)) as Record<string, Tensor>;
      }
    } else throw new Error(`holds ${describe(value)}, not a state dict or a checkpoint dict`);
  }
  const tensors = Object.entries(weights).map(([n, t]) => ({ name: n, dtype: dtypes[n] ?? t.dtype, shape: [...t.shape], count: t.shape.reduce((a, b) => a * b, 1) }));
  const arch = inferArchitecture(tensors.map((t) => ({ name: t.name, shape: t.shape })));
  const layers: LoadedLayer[] = arch.layers.map((l) => ({
    prefix: l.prefix,
    type: l.spec.type,
    summary: summary(l.spec),
    pytorch: toPython(l.spec),
    torchlet: toTorchlet(l.spec),
    notes: [...l.notes],
    run: tryRun(l.spec, weights, l.prefix, l.keys),
  }));
  return {
    name,
    format,
    formatName: FORMAT_NAMES[format],
    bytes: bytes.length,
    tensors,
    totalParameters: tensors.reduce((a, t) => a + t.count, 0),
    metadata,
    entries,
    weightsKey,
    layers,
    unrecognized: [...arch.unrecognized],
  };
}

self.onmessage = (e: MessageEvent<ToLoadWorker>) => {
  const { name, bytes } = e.data;
  let m: FromLoadWorker;
  try {
    m = { type: 'report', report: read(name, bytes) };
  } catch (err) {
    m = { type: 'error', message: `${name}: ${(err as Error).message}` };
  }
  (self as unknown as Worker).postMessage(m);
};
