/**
 * Constructor strings: `nn.LSTM(60, 20, num_layers=2, batch_first=True)` pasted from Python, or
 * torchlet's spelling `new nn.LSTM(60, 20, { numLayers: 2, batchFirst: true })`, parsed into a
 * `LayerSpec` (the layer's type and its arguments by camelCase name) and built into a Module.
 * No PyTorch twin: Python would `eval` the string; this reads it as data and runs nothing.
 *
 * Grammar (both spellings mix freely):
 *   call   := ['new'] name '(' [arg (',' arg)*] [','] ')'        name: LSTM, nn.LSTM, torch.nn.LSTM
 *   arg    := value | key '=' value | '{' [key ':' value (',' key ':' value)*] [','] '}'
 *   value  := number | 'string' | "string" | True | False | None | true | false | null
 *           | '(' values ')' | '[' values ']' | dotted.name (torch.float64) | call (inside Sequential)
 * A syntax error says the column: `expected ')' at column 31`.
 */

import { ValueError } from '../errors.js';

/** A parsed argument value. No PyTorch twin. */
export type SpecValue = number | string | boolean | null | readonly SpecValue[] | LayerSpec | { readonly ident: string };

/**
 * One layer: its PyTorch class name (`LSTM`, `Linear`, ...) and its arguments by torchlet's
 * camelCase names (`inputSize`, `numLayers`, ...), every positional argument already named.
 * `children` holds a Sequential's layers.
 */
export interface LayerSpec {
  readonly type: string;
  readonly args: Readonly<Record<string, SpecValue>>;
  readonly children?: readonly LayerSpec[];
}

/** A constructor string that does not parse, or names an unknown layer or argument. No PyTorch twin. */
export class SpecError extends ValueError {
  constructor(message: string) {
    super(message);
    this.name = 'SpecError';
  }
}

type Tok = { kind: 'num' | 'str' | 'name' | 'punct' | 'end'; text: string; col: number; value?: number | string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const col = i + 1;
    const num = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(src.slice(i));
    if (num && (/[\d.]/.test(c) || ((c === '-' || c === '+') && !/[\w)\]]$/.test(src.slice(0, i).trimEnd())))) {
      out.push({ kind: 'num', text: num[0], col, value: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*/.exec(src.slice(i))!;
      out.push({ kind: 'name', text: m[0], col });
      i += m[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new SpecError(`unterminated string starting at column ${col}`);
      out.push({ kind: 'str', text: src.slice(i, end + 1), col, value: src.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    if ('(){}[],=:'.includes(c)) {
      out.push({ kind: 'punct', text: c, col });
      i++;
      continue;
    }
    throw new SpecError(`unexpected character '${c}' at column ${col}`);
  }
  out.push({ kind: 'end', text: 'the end of the string', col: src.length + 1 });
  return out;
}

interface RawCall {
  name: string;
  col: number;
  positional: SpecValue[];
  keywords: [string, SpecValue, number][];
}

class Parser {
  private at = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok {
    return this.toks[this.at];
  }
  private next(): Tok {
    return this.toks[this.at++];
  }
  private isPunct(text: string): boolean {
    const t = this.peek();
    return t.kind === 'punct' && t.text === text;
  }
  private expect(text: string, what: string): void {
    const t = this.next();
    if (t.kind === 'end') throw new SpecError(`the string ends at column ${t.col} before its closing ')'`);
    if (t.kind !== 'punct' || t.text !== text) throw new SpecError(`expected '${text}' ${what} at column ${t.col}, found ${show(t)}`);
  }

  call(): RawCall {
    let t = this.next();
    if (t.kind === 'name' && t.text === 'new') t = this.next();
    if (t.kind !== 'name') throw new SpecError(`expected a layer name such as nn.LSTM at column ${t.col}, found ${show(t)}`);
    const name = t.text.replace(/^(torch\.nn\.|nn\.)/, '');
    this.expect('(', `after ${t.text}`);
    const positional: SpecValue[] = [];
    const keywords: [string, SpecValue, number][] = [];
    while (!this.isPunct(')')) {
      const here = this.peek();
      if (here.kind === 'punct' && here.text === '{') {
        this.next();
        while (!this.isPunct('}')) {
          const k = this.next();
          if (k.kind !== 'name' && k.kind !== 'str') throw new SpecError(`expected an option name at column ${k.col}, found ${show(k)}`);
          this.expect(':', `after the option name ${k.text}`);
          keywords.push([k.kind === 'str' ? String(k.value) : k.text, this.value(), k.col]);
          if (!this.isPunct('}')) this.expect(',', 'between options');
        }
        this.next();
      } else if (here.kind === 'name' && this.toks[this.at + 1]?.text === '=') {
        this.next();
        this.next();
        keywords.push([here.text, this.value(), here.col]);
      } else {
        if (keywords.length > 0) throw new SpecError(`positional argument follows keyword argument at column ${here.col}`);
        positional.push(this.value());
      }
      if (!this.isPunct(')')) this.expect(',', 'between arguments');
    }
    this.next();
    return { name, col: t.col, positional, keywords };
  }

  value(): SpecValue {
    const t = this.peek();
    if (t.kind === 'num' || t.kind === 'str') {
      this.next();
      return t.value!;
    }
    if (t.kind === 'punct' && (t.text === '(' || t.text === '[')) {
      this.next();
      const close = t.text === '(' ? ')' : ']';
      const items: SpecValue[] = [];
      while (!this.isPunct(close)) {
        items.push(this.value());
        if (!this.isPunct(close)) this.expect(',', 'between items');
      }
      this.next();
      return items;
    }
    if (t.kind === 'name') {
      const nextTok = this.toks[this.at + 1];
      if (t.text === 'new' || nextTok?.text === '(') return buildSpec(this.call());
      this.next();
      const lit: Record<string, SpecValue> = { True: true, False: false, None: null, true: true, false: false, null: null };
      if (Object.hasOwn(lit, t.text)) return lit[t.text];
      return { ident: t.text };
    }
    throw new SpecError(`expected a value at column ${t.col}, found ${show(t)}`);
  }

  end(): void {
    const t = this.peek();
    if (t.kind !== 'end') throw new SpecError(`unexpected ${show(t)} at column ${t.col} after the closing ')'`);
  }
}

function show(t: Tok): string {
  return t.kind === 'end' ? t.text : `'${t.text}'`;
}

/** snake_case → camelCase (`num_layers` → `numLayers`); camelCase passes through. */
function camel(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** camelCase → snake_case, for printing PyTorch code. */
export function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Each known layer's arguments in PyTorch's positional order (camelCase) and defaults. Those
 * after `|` are keyword-only in torchlet's own constructor, but PyTorch accepts them by position.
 */
const RNN_ARGS = ['inputSize', 'hiddenSize', 'numLayers', 'bias', 'batchFirst', 'dropout', 'bidirectional'];
export const LAYER_ARGS: Readonly<Record<string, { args: readonly string[]; extra?: readonly string[] }>> = {
  // PyTorch 1.13: nn.RNN(*args) takes nonlinearity as its 4th positional argument.
  RNN: { args: ['inputSize', 'hiddenSize', 'numLayers', 'nonlinearity', 'bias', 'batchFirst', 'dropout', 'bidirectional'] },
  LSTM: { args: [...RNN_ARGS, 'projSize'] },
  GRU: { args: RNN_ARGS },
  RNNCell: { args: ['inputSize', 'hiddenSize', 'bias', 'nonlinearity'] },
  LSTMCell: { args: ['inputSize', 'hiddenSize', 'bias'] },
  GRUCell: { args: ['inputSize', 'hiddenSize', 'bias'] },
  Linear: { args: ['inFeatures', 'outFeatures', 'bias'] },
  Conv1d: { args: ['inChannels', 'outChannels', 'kernelSize', 'stride', 'padding', 'dilation', 'groups', 'bias', 'paddingMode'] },
  Dropout: { args: ['p', 'inplace'] },
  Embedding: { args: ['numEmbeddings', 'embeddingDim', 'paddingIdx'] },
  LayerNorm: { args: ['normalizedShape', 'eps', 'elementwiseAffine'] },
  GroupNorm: { args: ['numGroups', 'numChannels', 'eps', 'affine'] },
  BatchNorm1d: { args: ['numFeatures', 'eps', 'momentum', 'affine', 'trackRunningStats'] },
  ReLU: { args: ['inplace'] },
  Tanh: { args: [] },
  Sigmoid: { args: [] },
  GELU: { args: ['approximate'] },
  ELU: { args: ['alpha', 'inplace'] },
  LeakyReLU: { args: ['negativeSlope', 'inplace'] },
  Softmax: { args: ['dim'] },
  LogSoftmax: { args: ['dim'] },
  Identity: { args: [] },
  Sequential: { args: [] },
};
/** Accepted everywhere and ignored (torchlet runs on the CPU); `dtype` is kept. */
const COMMON = ['device', 'dtype'];

function buildSpec(raw: RawCall): LayerSpec {
  const known = LAYER_ARGS[raw.name];
  if (known === undefined) {
    const near = Object.keys(LAYER_ARGS).find((k) => k.toLowerCase() === raw.name.toLowerCase());
    throw new SpecError(
      `unknown layer '${raw.name}' at column ${raw.col}${near ? `; did you mean ${near}?` : `; known: ${Object.keys(LAYER_ARGS).join(', ')}`}`,
    );
  }
  if (raw.name === 'Sequential') {
    const children = raw.positional.map((v, i) => {
      if (!isSpec(v)) throw new SpecError(`Sequential: argument ${i + 1} is not a layer (write nn.Linear(...), not a value)`);
      return v;
    });
    if (raw.keywords.length > 0) throw new SpecError('Sequential() takes layers only, no keyword arguments');
    return { type: 'Sequential', args: {}, children };
  }
  const args: Record<string, SpecValue> = {};
  if (raw.positional.length > known.args.length) {
    throw new SpecError(`${raw.name}() takes at most ${known.args.length} positional arguments but ${raw.positional.length} were given`);
  }
  raw.positional.forEach((v, i) => {
    args[known.args[i]] = v;
  });
  for (const [key, value, col] of raw.keywords) {
    const name = camel(key);
    if (!known.args.includes(name) && !COMMON.includes(name)) {
      const hint = known.args.length ? `; ${raw.name} takes ${known.args.map(snake).join(', ')}` : '';
      throw new SpecError(`${raw.name}() got an unexpected keyword argument '${key}' at column ${col}${hint}`);
    }
    if (Object.hasOwn(args, name)) throw new SpecError(`${raw.name}() got multiple values for argument '${snake(name)}' at column ${col}`);
    if (name === 'device') continue;
    args[name] = name === 'dtype' ? dtypeName(value) : value;
  }
  return { type: raw.name, args };
}

function dtypeName(v: SpecValue): string {
  const text = typeof v === 'string' ? v : v !== null && typeof v === 'object' && 'ident' in v ? v.ident : '';
  const name = text.replace(/^torch\./, '');
  const map: Record<string, string> = { float32: 'float32', float: 'float32', float64: 'float64', double: 'float64' };
  const dt = map[name];
  if (dt === undefined) throw new SpecError(`dtype ${text || JSON.stringify(v)} is not a parameter dtype here (use torch.float32 or torch.float64)`);
  return dt;
}

/** True for a parsed layer (as opposed to a plain value). No PyTorch twin. */
export function isSpec(v: SpecValue | undefined): v is LayerSpec {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && 'type' in v && 'args' in v;
}

/**
 * Parse a constructor string into a LayerSpec. Throws SpecError saying where it fails.
 *
 *   parseLayer('nn.LSTM(60, 20, num_layers=2, batch_first=True)')
 *   // { type: 'LSTM', args: { inputSize: 60, hiddenSize: 20, numLayers: 2, batchFirst: true } }
 * No PyTorch twin.
 */
export function parseLayer(src: string): LayerSpec {
  if (typeof src !== 'string' || src.trim() === '') throw new SpecError('empty constructor string; write e.g. "nn.LSTM(60, 20, batch_first=True)"');
  const p = new Parser(tokenize(src));
  const spec = buildSpec(p.call());
  p.end();
  return spec;
}

/** Python's repr of a value, for printing PyTorch code. */
function pyValue(v: SpecValue): string {
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === null) return 'None';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return `(${v.map(pyValue).join(', ')}${v.length === 1 ? ',' : ''})`;
  if (isSpec(v)) return toPython(v);
  return (v as { ident: string }).ident;
}

function jsValue(v: SpecValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(jsValue).join(', ')}]`;
  if (isSpec(v)) return toTorchlet(v);
  return (v as { ident: string }).ident;
}

/** How many leading arguments torchlet's constructor takes by position (the rest go in the options object). */
export const TS_POSITIONAL: Readonly<Record<string, number>> = {
  RNN: 2, LSTM: 2, GRU: 2, RNNCell: 2, LSTMCell: 2, GRUCell: 2, Linear: 2, Conv1d: 3, Embedding: 2, LayerNorm: 1, GroupNorm: 2, BatchNorm1d: 1,
  Dropout: 1, ELU: 1, LeakyReLU: 1, Softmax: 1, LogSoftmax: 1, GELU: 1,
};

/** The spec as PyTorch code: `nn.LSTM(60, 20, num_layers=2, batch_first=True)`. */
export function toPython(spec: LayerSpec): string {
  if (spec.type === 'Sequential') return `nn.Sequential(${(spec.children ?? []).map(toPython).join(', ')})`;
  const order = LAYER_ARGS[spec.type]?.args ?? [];
  const parts: string[] = [];
  const pos = Math.min(TS_POSITIONAL[spec.type] ?? 0, order.length);
  for (let i = 0; i < pos; i++) if (Object.hasOwn(spec.args, order[i])) parts.push(pyValue(spec.args[order[i]]));
  for (const [k, v] of Object.entries(spec.args)) {
    if (order.indexOf(k) >= 0 && order.indexOf(k) < pos) continue;
    parts.push(k === 'dtype' ? `dtype=torch.${String(v)}` : `${snake(k)}=${pyValue(v)}`);
  }
  return `nn.${spec.type}(${parts.join(', ')})`;
}

/** The spec as torchlet code: `new nn.LSTM(60, 20, { numLayers: 2, batchFirst: true })`. No PyTorch twin. */
export function toTorchlet(spec: LayerSpec): string {
  if (spec.type === 'Sequential') return `new nn.Sequential(${(spec.children ?? []).map(toTorchlet).join(', ')})`;
  const order = LAYER_ARGS[spec.type]?.args ?? [];
  const pos = Math.min(TS_POSITIONAL[spec.type] ?? 0, order.length);
  const parts: string[] = [];
  for (let i = 0; i < pos; i++) if (Object.hasOwn(spec.args, order[i])) parts.push(jsValue(spec.args[order[i]]));
  const opts = Object.entries(spec.args).filter(([k]) => !(order.indexOf(k) >= 0 && order.indexOf(k) < pos));
  if (opts.length > 0) parts.push(`{ ${opts.map(([k, v]) => `${k}: ${jsValue(v)}`).join(', ')} }`);
  return `new nn.${spec.type}(${parts.join(', ')})`;
}
