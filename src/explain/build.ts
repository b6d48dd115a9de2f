/**
 * Build a Module from a LayerSpec (see ./parse.ts). No PyTorch twin: in Python the string would
 * simply be evaluated. The layer's own constructor checks every value, with PyTorch's messages.
 */

import * as nn from '../nn/index.js';
import type { Module } from '../nn/module.js';
import type { LayerSpec, SpecValue } from './parse.js';
import { isSpec, LAYER_ARGS, parseLayer, SpecError, TS_POSITIONAL } from './parse.js';

type Ctor = new (...args: never[]) => Module;

const CTORS: Readonly<Record<string, Ctor>> = {
  RNN: nn.RNN, LSTM: nn.LSTM, GRU: nn.GRU, RNNCell: nn.RNNCell, LSTMCell: nn.LSTMCell, GRUCell: nn.GRUCell,
  Linear: nn.Linear, Conv1d: nn.Conv1d, Dropout: nn.Dropout, Embedding: nn.Embedding, LayerNorm: nn.LayerNorm,
  GroupNorm: nn.GroupNorm, BatchNorm1d: nn.BatchNorm1d, ReLU: nn.ReLU, Tanh: nn.Tanh, Sigmoid: nn.Sigmoid,
  GELU: nn.GELU, ELU: nn.ELU, LeakyReLU: nn.LeakyReLU, Softmax: nn.Softmax, LogSoftmax: nn.LogSoftmax,
  Identity: nn.Identity,
};

/** Arguments torchlet does not take: `inplace` (torchlet's activations never write in place). */
const DROPPED = new Set(['inplace']);

function plain(v: SpecValue): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object' && 'ident' in v) throw new SpecError(`'${v.ident}' is not a value torchlet understands here`);
  return v;
}

/**
 * The Module a spec describes. Throws SpecError for an unknown layer and the layer's own error
 * (ValueError, ...) for a bad value.
 *
 *   buildLayer(parseLayer('nn.GRU(8, 16, bidirectional=True)')) // a torchlet nn.GRU
 * No PyTorch twin.
 */
export function buildLayer(spec: LayerSpec): Module {
  if (spec.type === 'Sequential') {
    return new nn.Sequential(...(spec.children ?? []).map((c) => buildLayer(c) as nn.TensorModule));
  }
  const Ctor = CTORS[spec.type];
  const order = LAYER_ARGS[spec.type]?.args;
  if (Ctor === undefined || order === undefined) throw new SpecError(`unknown layer '${spec.type}'`);
  const npos = TS_POSITIONAL[spec.type] ?? 0;
  const positional: unknown[] = [];
  for (let i = 0; i < npos; i++) {
    const name = order[i];
    if (!Object.hasOwn(spec.args, name)) {
      if (i < requiredCount(spec.type)) throw new SpecError(`${spec.type}() missing required argument: '${name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}'`);
      break;
    }
    positional.push(plain(spec.args[name]));
  }
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec.args)) {
    if (order.indexOf(k) >= 0 && order.indexOf(k) < npos) continue;
    if (DROPPED.has(k)) continue;
    if (isSpec(v)) throw new SpecError(`${spec.type}: argument ${k} cannot be a layer`);
    options[k] = plain(v);
  }
  const args = Object.keys(options).length > 0 || npos > positional.length ? [...positional, options] : positional;
  if (spec.type === 'Dropout' || spec.type === 'ELU' || spec.type === 'LeakyReLU' || spec.type === 'Softmax' || spec.type === 'LogSoftmax' || spec.type === 'GELU') {
    // These take their one argument by position only.
    return new (Ctor as new (...a: unknown[]) => Module)(...positional);
  }
  return new (Ctor as new (...a: unknown[]) => Module)(...args);
}

function requiredCount(type: string): number {
  if (type === 'Conv1d') return 3;
  if (type === 'LayerNorm' || type === 'BatchNorm1d') return 1;
  return TS_POSITIONAL[type] === 2 && !['ELU', 'LeakyReLU'].includes(type) ? 2 : 0;
}

/** Parse and build in one step: `layerFromString('nn.LSTM(60, 20, batch_first=True)')`. No PyTorch twin. */
export function layerFromString(src: string): Module {
  return buildLayer(parseLayer(src));
}
