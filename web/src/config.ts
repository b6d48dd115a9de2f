/**
 * The shapes panel's configuration: a recurrent layer or cell with every option, and the input it
 * is called on. Turned into the explain call (`torch.explain(layer, input)`, the same report
 * `torchlet explain --json` prints) and into PyTorch and torchlet code.
 */
import type { ExplainInput, ExplainReport, LayerSpec, SpecValue, TensorInfo } from '../../src/explain/index.js';
import { toPython, toTorchlet } from '../../src/explain/index.js';

export const LAYER_TYPES = ['RNN', 'LSTM', 'GRU', 'RNNCell', 'LSTMCell', 'GRUCell'] as const;
export type LayerType = (typeof LAYER_TYPES)[number];

export interface ShapeConfig {
  type: LayerType;
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bias: boolean;
  batchFirst: boolean;
  dropout: number;
  bidirectional: boolean;
  projSize: number;
  nonlinearity: 'tanh' | 'relu';
  /** N */
  batch: number;
  /** L (layers only; a cell takes one step) */
  length: number;
  /** the input's last dim (Hin when it fits input_size) */
  features: number;
  unbatched: boolean;
  packed: boolean;
  lengths: number[];
  enforceSorted: boolean;
  /** h0 (and c0) passed in rather than left to zeros */
  statesGiven: boolean;
}

export const DEFAULTS: ShapeConfig = {
  type: 'LSTM',
  inputSize: 10,
  hiddenSize: 20,
  numLayers: 1,
  bias: true,
  batchFirst: false,
  dropout: 0,
  bidirectional: false,
  projSize: 0,
  nonlinearity: 'tanh',
  batch: 3,
  length: 5,
  features: 10,
  unbatched: false,
  packed: false,
  lengths: [5, 3, 2],
  enforceSorted: true,
  statesGiven: false,
};

export const isCell = (t: LayerType): boolean => t.endsWith('Cell');

/** Which options apply to a layer type (the others are disabled in the form). */
export function applies(t: LayerType): Record<'numLayers' | 'batchFirst' | 'dropout' | 'bidirectional' | 'projSize' | 'nonlinearity' | 'length' | 'packed', boolean> {
  const cell = isCell(t);
  return {
    numLayers: !cell,
    batchFirst: !cell,
    dropout: !cell,
    bidirectional: !cell,
    projSize: t === 'LSTM',
    nonlinearity: t === 'RNN' || t === 'RNNCell',
    length: !cell,
    packed: !cell,
  };
}

/** The layer as a LayerSpec: only the arguments that differ from PyTorch's defaults. */
export function specOf(c: ShapeConfig): LayerSpec {
  const a = applies(c.type);
  const args: Record<string, SpecValue> = { inputSize: c.inputSize, hiddenSize: c.hiddenSize };
  if (a.numLayers && c.numLayers !== 1) args.numLayers = c.numLayers;
  if (a.nonlinearity && c.nonlinearity !== 'tanh') args.nonlinearity = c.nonlinearity;
  if (!c.bias) args.bias = false;
  if (a.batchFirst && c.batchFirst) args.batchFirst = true;
  if (a.dropout && c.dropout !== 0) args.dropout = c.dropout;
  if (a.bidirectional && c.bidirectional) args.bidirectional = true;
  if (a.projSize && c.projSize !== 0) args.projSize = c.projSize;
  return { type: c.type, args };
}

const packedOn = (c: ShapeConfig): boolean => c.packed && !c.unbatched && applies(c.type).packed;

/** The padded input's shape: (L, N, Hin), (N, L, Hin) with batch_first, (L, Hin) unbatched; a cell (N, Hin) or (Hin). */
export function inputShape(c: ShapeConfig): number[] {
  if (isCell(c.type)) return c.unbatched ? [c.features] : [c.batch, c.features];
  if (c.unbatched) return [c.length, c.features];
  return c.batchFirst && applies(c.type).batchFirst ? [c.batch, c.length, c.features] : [c.length, c.batch, c.features];
}

/** What `torch.explain` is called on (a shape, or a padded shape with lengths to pack). */
export function explainInput(c: ShapeConfig): ExplainInput {
  const shape = inputShape(c);
  if (packedOn(c)) return { shape, lengths: c.lengths, batchFirst: c.batchFirst, enforceSorted: c.enforceSorted };
  return shape;
}

const pyShape = (t: TensorInfo | undefined): string => (t ? `torch.Size([${t.dims.map((d) => d.size).join(', ')}])` : '');
const jsShape = (t: TensorInfo | undefined): string => (t ? `[${t.dims.map((d) => d.size).join(', ')}]` : '');
const symbols = (dims: readonly { sym: string }[]): string => `(${dims.map((d) => d.sym).join(', ')})`;

function tensorOf(r: ExplainReport, list: 'inputs' | 'outputs', name: string): TensorInfo | undefined {
  return r.nodes[0]?.[list].find((t) => t.name === name);
}

/** What both code listings read from the configuration and its report (`out`/`inp`: a tensor of the layer's by name). */
function listingParts(c: ShapeConfig, r: ExplainReport | null) {
  return {
    spec: specOf(c),
    shape: inputShape(c),
    lstm: c.type === 'LSTM' || c.type === 'LSTMCell',
    packed: packedOn(c),
    out: (name: string) => (r ? tensorOf(r, 'outputs', name) : undefined),
    inp: (name: string) => (r ? tensorOf(r, 'inputs', name) : undefined),
  };
}

/** The configuration as PyTorch code; the printed shapes (comments) come from the report. */
export function pythonCode(c: ShapeConfig, r: ExplainReport | null): string {
  const { spec, shape, lstm, packed, out, inp } = listingParts(c, r);
  const lines = ['import torch', 'from torch import nn'];
  if (packed) lines.push('from torch.nn.utils.rnn import pack_padded_sequence');
  lines.push('');
  const symIn = r?.input && !packed ? `  # ${symbols(r.input.dims)}` : '';
  if (isCell(c.type)) {
    lines.push(`cell = ${toPython(spec)}`);
    lines.push(`x = torch.randn(${shape.join(', ')})${symIn}`);
    const hx = lstm ? 'hx' : 'h';
    if (c.statesGiven) {
      const hIn = inp('h') ?? inp('h0');
      const cIn = inp('c') ?? inp('c0');
      lines.push(lstm ? `hx = (torch.zeros(${hIn?.dims.map((d) => d.size).join(', ')}), torch.zeros(${cIn?.dims.map((d) => d.size).join(', ')}))` : `h = torch.zeros(${hIn?.dims.map((d) => d.size).join(', ')})`);
    }
    const call = c.statesGiven ? `cell(x, ${hx})` : 'cell(x)';
    if (lstm) {
      lines.push(`h1, c1 = ${call}`);
      lines.push(`print(h1.shape)  # ${pyShape(r?.nodes[0]?.outputs[0])}`);
      lines.push(`print(c1.shape)  # ${pyShape(r?.nodes[0]?.outputs[1])}`);
    } else {
      lines.push(`h1 = ${call}`);
      lines.push(`print(h1.shape)  # ${pyShape(r?.nodes[0]?.outputs[0])}`);
    }
    return lines.join('\n');
  }
  lines.push(`rnn = ${toPython(spec)}`);
  lines.push(`x = torch.randn(${shape.join(', ')})${symIn}`);
  if (packed) {
    lines.push(`lengths = torch.tensor([${c.lengths.join(', ')}])`);
    lines.push(`x = pack_padded_sequence(x, lengths${c.batchFirst ? ', batch_first=True' : ''}${c.enforceSorted ? '' : ', enforce_sorted=False'})`);
  }
  if (c.statesGiven) {
    lines.push(`h0 = torch.zeros(${inp('h0')?.dims.map((d) => d.size).join(', ')})  # ${inp('h0') ? symbols(inp('h0')!.dims) : ''}`);
    if (lstm) lines.push(`c0 = torch.zeros(${inp('c0')?.dims.map((d) => d.size).join(', ')})  # ${inp('c0') ? symbols(inp('c0')!.dims) : ''}`);
  }
  const call = c.statesGiven ? (lstm ? 'rnn(x, (h0, c0))' : 'rnn(x, h0)') : 'rnn(x)';
  lines.push(lstm ? `output, (h_n, c_n) = ${call}` : `output, h_n = ${call}`);
  lines.push(`print(output${packed ? '.data' : ''}.shape)  # ${pyShape(out('output'))}`);
  lines.push(`print(h_n.shape)  # ${pyShape(out('hN'))}`);
  if (lstm) lines.push(`print(c_n.shape)  # ${pyShape(out('cN'))}`);
  return lines.join('\n');
}

/** The configuration as torchlet code (plain JavaScript, runs as .mjs or .ts). */
export function torchletCode(c: ShapeConfig, r: ExplainReport | null): string {
  const { spec, shape, lstm, packed, out, inp } = listingParts(c, r);
  const lines = ["import * as torch from 'torchlet';", 'const { nn } = torch;', ''];
  const symIn = r?.input && !packed ? ` // ${symbols(r.input.dims)}` : '';
  if (isCell(c.type)) {
    lines.push(`const cell = ${toTorchlet(spec)};`);
    lines.push(`const x = torch.randn(${shape.join(', ')});${symIn}`);
    let call = 'cell.forward(x)';
    if (c.statesGiven) {
      const hIn = inp('h') ?? inp('h0');
      const cIn = inp('c') ?? inp('c0');
      if (lstm) call = `cell.forward(x, [torch.zeros(${hIn?.dims.map((d) => d.size).join(', ')}), torch.zeros(${cIn?.dims.map((d) => d.size).join(', ')})])`;
      else call = `cell.forward(x, torch.zeros(${hIn?.dims.map((d) => d.size).join(', ')}))`;
    }
    if (lstm) {
      lines.push(`const [h1, c1] = ${call};`);
      lines.push(`console.log(h1.shape); // ${jsShape(r?.nodes[0]?.outputs[0])}`);
      lines.push(`console.log(c1.shape); // ${jsShape(r?.nodes[0]?.outputs[1])}`);
    } else {
      lines.push(`const h1 = ${call};`);
      lines.push(`console.log(h1.shape); // ${jsShape(r?.nodes[0]?.outputs[0])}`);
    }
    return lines.join('\n');
  }
  lines.push(`const rnn = ${toTorchlet(spec)};`);
  lines.push(`${packed ? 'const padded' : 'const x'} = torch.randn(${shape.join(', ')});${symIn}`);
  if (packed) {
    const opts = [c.batchFirst ? 'batchFirst: true' : '', c.enforceSorted ? '' : 'enforceSorted: false'].filter(Boolean);
    lines.push(`const x = nn.utils.rnn.packPaddedSequence(padded, [${c.lengths.join(', ')}]${opts.length ? `, { ${opts.join(', ')} }` : ''});`);
  }
  if (c.statesGiven) {
    lines.push(`const h0 = torch.zeros(${inp('h0')?.dims.map((d) => d.size).join(', ')}); // ${inp('h0') ? symbols(inp('h0')!.dims) : ''}`);
    if (lstm) lines.push(`const c0 = torch.zeros(${inp('c0')?.dims.map((d) => d.size).join(', ')});`);
  }
  const call = c.statesGiven ? (lstm ? 'rnn.forward(x, [h0, c0])' : 'rnn.forward(x, h0)') : 'rnn.forward(x)';
  lines.push(lstm ? `const [output, [hN, cN]] = ${call};` : `const [output, hN] = ${call};`);
  lines.push(`console.log(output${packed ? '.data' : ''}.shape); // ${jsShape(out('output'))}`);
  lines.push(`console.log(hN.shape); // ${jsShape(out('hN'))}`);
  if (lstm) lines.push(`console.log(cN.shape); // ${jsShape(out('cN'))}`);
  return lines.join('\n');
}
