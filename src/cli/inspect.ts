/**
 * `torchlet inspect FILE`: what a `.pt` (zip or legacy), `.safetensors`, `.onnx` or torchlet
 * model config holds: every tensor's name, dtype and shape, the totals, the metadata, the entries
 * of a nested checkpoint and which holds the weights, and the layers recognised from the key names
 * and shapes, printed as PyTorch code and as torchlet code.
 */

import type { InferredArchitecture } from '../explain/infer.js';
import { inferArchitecture } from '../explain/infer.js';
import { toPython, toTorchlet } from '../explain/parse.js';
import type { Style } from '../explain/render.js';
import { bytesText } from '../explain/render.js';
import type { ModelFile } from './files.js';
import { loadModelFile } from './files.js';
import { out, outJson } from './ui.js';

const FORMAT_NAMES: Record<ModelFile['format'], string> = {
  pt: 'PyTorch checkpoint (zip format)',
  'pt-legacy': 'PyTorch checkpoint (legacy format, before 1.6)',
  safetensors: 'safetensors',
  onnx: 'ONNX model',
  config: 'torchlet model config',
};

const ELEMENT_BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1, float64: 8, float32: 4, float16: 2, bfloat16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1 };

export function inspectCommand(path: string, o: { json?: boolean }, s: Style): number {
  const file = loadModelFile(path);
  const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  const total = file.tensors.reduce((a, t) => a + numel(t.shape), 0);
  const bytes = file.tensors.reduce((a, t) => a + numel(t.shape) * (ELEMENT_BYTES[t.dtype] ?? 4), 0);
  const inferred = inferArchitecture(file.tensors.map((t) => ({ name: t.name, shape: t.shape })));
  // An ONNX graph names its weights freely: its recurrent layers are read from the LSTM/GRU/RNN nodes.
  const arch: InferredArchitecture = file.onnx
    ? {
        layers: file.onnx.recurrent.map((r) => ({
          prefix: `${r.name} `,
          spec: { type: r.opType, args: { inputSize: r.inputSize ?? 0, hiddenSize: r.hiddenSize, ...(r.direction === 'bidirectional' ? { bidirectional: true } : {}) } },
          keys: [],
          notes: ['read from the ONNX node (one layer per node; batch_first and dropout are not stored)'],
        })),
        unrecognized: [],
      }
    : inferred;
  const layers = arch.layers.map((l) => ({
    prefix: l.prefix,
    type: l.spec.type,
    ...l.spec.args,
    pytorch: toPython(l.spec),
    torchlet: toTorchlet(l.spec),
    keys: l.keys.length,
    notes: l.notes,
  }));
  if (o.json) {
    outJson({
      path: file.path,
      format: file.format,
      fileBytes: file.bytes,
      tensors: file.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, count: numel(t.shape) })),
      totalParameters: total,
      totalBytes: bytes,
      metadata: file.metadata,
      entries: file.entries,
      weightsKey: file.weightsKey,
      layers,
      unrecognized: arch.unrecognized,
      onnx: file.onnx,
      config: file.config,
    });
    return 0;
  }
  out(`${s.bold(file.path)}  ${FORMAT_NAMES[file.format]}, ${bytesText(file.bytes)}`);
  if (file.config) {
    const c = file.config;
    const m = c.model;
    out('');
    out(s.bold(`model config (format ${c.format}, version ${c.version})`));
    out(`  model    ${m.type}(inputSize ${m.inputSize}, hiddenSize ${m.hiddenSize}, numLayers ${m.numLayers}${m.bidirectional ? ', bidirectional' : ''}${m.dropout ? `, dropout ${m.dropout}` : ''}) → Linear → 1`);
    out(`  data     target "${c.data.target}" from columns ${c.data.columns.map((x) => `"${x}"`).join(', ')}${c.data.dateColumn ? ` (dates in "${c.data.dateColumn}")` : ''}; window ${c.data.window}, horizon ${c.data.horizon}, season ${c.data.season}${c.data.fold > 1 ? `, read ${c.data.fold} steps per RNN step` : ''}`);
    const t = c.training;
    out(`  trained  ${t.epochsDone}/${t.epochs} epochs on ${t.data} (${t.rows} rows), lr ${t.lr}, batch ${t.batchSize}, seed ${t.seed}`);
    if (t.valMae !== null && t.baselineMae !== null) out(`  score    validation MAE ${t.valMae.toFixed(2)} vs seasonal naive ${t.baselineMae.toFixed(2)}`);
    out(`  weights  ${c.weights}`);
  }
  if (file.entries) {
    out('');
    out(s.bold('entries (a checkpoint dict)'));
    const w = Math.max(...file.entries.map((e) => e.key.length));
    for (const e of file.entries) out(`  ${e.key.padEnd(w)}  ${e.what}${e.key === file.weightsKey ? s.green('  ← the weights') : ''}`);
  }
  if (file.onnx) {
    const g = file.onnx;
    out('');
    out(s.bold(`graph (opset ${g.opset})`));
    for (const i of g.inputs) out(`  input   ${i.name} [${i.dims.join(', ')}]`);
    for (const i of g.outputs) out(`  output  ${i.name} [${i.dims.join(', ')}]`);
    out(`  nodes   ${Object.entries(g.ops).map(([k, v]) => `${k} ×${v}`).join(', ')}`);
    for (const r of g.recurrent) {
      out(`  ${r.opType} node ${r.name}: hidden_size ${r.hiddenSize}, direction ${r.direction}${r.inputSize !== null ? `, input size ${r.inputSize}` : ''}`);
    }
  }
  out('');
  out(s.bold(`tensors (${file.tensors.length}${file.weightsKey ? ` in "${file.weightsKey}"` : ''})`));
  const nw = Math.max(4, ...file.tensors.map((t) => t.name.length));
  const dw = Math.max(5, ...file.tensors.map((t) => t.dtype.length));
  out(s.dim(`  ${'name'.padEnd(nw)}  ${'dtype'.padEnd(dw)}  shape`));
  for (const t of file.tensors) out(`  ${t.name.padEnd(nw)}  ${t.dtype.padEnd(dw)}  [${t.shape.join(', ')}]  ${s.dim(numel(t.shape).toLocaleString('en-US'))}`);
  out(`  ${s.bold('total')} ${total.toLocaleString('en-US')} elements, ${bytesText(bytes)}`);
  const meta = Object.entries(file.metadata).filter(([, v]) => v !== '');
  if (meta.length > 0) {
    out('');
    out(s.bold('metadata'));
    for (const [k, v] of meta) out(`  ${k}: ${v.length > 120 ? `${v.slice(0, 120)}…` : v}`);
  }
  out('');
  if (arch.layers.length === 0) out(s.dim('no recurrent, Linear or Conv1d layer recognised from the key names'));
  else out(s.bold('recognised layers'));
  for (const l of arch.layers) {
    const a = l.spec.args;
    const rec = ['RNN', 'LSTM', 'GRU'].includes(l.spec.type);
    const summary = rec
      ? `inputSize ${a.inputSize}, hiddenSize ${a.hiddenSize}, numLayers ${a.numLayers ?? 1}, bidirectional ${a.bidirectional ?? false}, projSize ${a.projSize ?? 0}, bias ${a.bias ?? true}`
      : Object.entries(a).map(([k, v]) => `${k} ${String(v)}`).join(', ');
    out(`  ${s.cyan(l.prefix || '(root)')}  ${s.bold(l.spec.type)}  ${summary}`);
    out(`      PyTorch:  ${toPython(l.spec)}`);
    out(`      torchlet: ${toTorchlet(l.spec)}`);
    for (const n of l.notes) out(s.dim(`      note: ${n}`));
  }
  if (arch.unrecognized.length > 0) out(s.dim(`  not part of a recognised layer: ${arch.unrecognized.slice(0, 8).join(', ')}${arch.unrecognized.length > 8 ? `, … (${arch.unrecognized.length})` : ''}`));
  return 0;
}
