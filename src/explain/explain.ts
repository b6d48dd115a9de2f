/**
 * `torch.explain(module, input)`: the shapes going in and out of a module and of every submodule,
 * and inside a recurrent stack of every layer and direction, with PyTorch's symbolic names and
 * the numbers; the initial and final states and where they come from; every parameter's
 * PyTorch name, shape and count; FLOPs and activation memory; and the classic slips of the
 * seed tutorial, each with its fix. No PyTorch twin (the nearest are `print(model)`,
 * `torchinfo.summary` and forward hooks printing shapes).
 *
 * A recurrent layer or cell on its own is described symbolically (nothing runs, so any size is
 * instant). Anything else (Sequential, ModuleList, the other layers, user Modules) runs once on
 * zeros with every module call recorded (./trace.ts), in eval mode and without autograd, and
 * each recurrent layer met on the way is then described symbolically as above. Either way the
 * module's parameters, grads, training mode and the random generator are left as they were.
 */

import { ArgumentTypeError, typeName, ValueError } from '../errors.js';
import { defineOptions, opt } from '../options.js';
import { Tensor } from '../tensor/tensor.js';
import { zeros } from '../ops/creation.js';
import { Conv1d } from '../nn/layers/conv.js';
import { Embedding, Linear } from '../nn/layers/linear.js';
import { Dropout } from '../nn/layers/dropout.js';
import { Module } from '../nn/module.js';
import { RNNBase } from '../nn/rnn/base.js';
import { RNNCellBase } from '../nn/rnn/cells.js';
import { PackedSequence } from '../nn/utils/packed.js';
import { packPaddedSequence } from '../nn/utils/rnn.js';
import type { InputForm, RecurrentDescription } from './recurrent.js';
import { describeCell, describeRecurrent, TRAINING_FACTOR } from './recurrent.js';
import type { Cost, Dim, ExplainNode, ExplainReport, ExplainWarning, ParamInfo, TensorInfo } from './report.js';
import { LEGEND } from './report.js';
import type { Call } from './trace.js';
import { traceCalls } from './trace.js';
import { moduleTypeName } from '../nn/type-name.js';

/**
 * What to explain the module on: a Tensor (only its shape is used), a shape (`[32, 100, 60]`), a
 * PackedSequence, or a padded shape with each sequence's length (packed as
 * `packPaddedSequence(x, lengths, { batchFirst, enforceSorted })` would).
 * No PyTorch twin.
 */
export type ExplainInput = Tensor | readonly number[] | PackedSequence | ExplainPaddedInput;

/** A padded batch given by its shape and lengths, read as `packPaddedSequence` would. No PyTorch twin. */
export interface ExplainPaddedInput {
  readonly shape: readonly number[];
  readonly lengths: readonly number[];
  readonly batchFirst?: boolean;
  readonly enforceSorted?: boolean;
}
/** @internal The run-time check of `ExplainPaddedInput` (src/options.ts): a `{ batch_first }` slip is refused by name. */
export const EXPLAIN_INPUT_OPTIONS = defineOptions<ExplainPaddedInput>('explain.input', {
  shape: opt.required(opt.arrayOf(opt.int)),
  lengths: opt.required(opt.arrayOf(opt.number)),
  batchFirst: opt.bool,
  enforceSorted: opt.bool,
});

/** Part of `torch.explain` (see src/explain/). No PyTorch twin. */
export interface ExplainOptions {
  /** Whether the caller passes h0 (and c0) to a recurrent layer. Default false (zeros). */
  statesGiven?: boolean;
}
/** @internal The run-time check of `ExplainOptions` (src/options.ts). */
export const EXPLAIN_OPTIONS = defineOptions<ExplainOptions>('explain', { statesGiven: opt.bool });

const d = (sym: string, size: number): Dim => ({ sym, size });

/**
 * Explain a module on an input. Returns a plain JSON-serialisable report; `renderExplain(report)`
 * prints it as text.
 *
 *   const report = torch.explain(new nn.LSTM(60, 20, { numLayers: 2, batchFirst: true }), [32, 100, 60]);
 *   report.nodes[0].outputs[0].dims // [{ sym: 'N', size: 32 }, { sym: 'L', size: 100 }, { sym: 'D*Hout', size: 20 }]
 */
export function explain(module: Module, input: ExplainInput, options: ExplainOptions = {}): ExplainReport {
  if (!(module instanceof Module)) {
    throw new ArgumentTypeError(`explain(): argument 'module' (position 1) must be Module, not ${typeName(module)}`);
  }
  input = checkInput(input);
  options = EXPLAIN_OPTIONS.parse(options);
  const bytes = module.parameters()[0]?.dtype === 'float64' ? 8 : 4;
  const statesGiven = options.statesGiven ?? false;
  const form = inputForm(module, input);
  let described: { nodes: ExplainNode[]; warnings: ExplainWarning[]; error?: string };
  if (module instanceof RNNBase) {
    const r = describeRecurrent(module, '', 0, form, statesGiven, bytes);
    described = { nodes: [r.node, ...r.children], warnings: r.warnings, ...(r.error ? { error: r.error } : {}) };
  } else if (module instanceof RNNCellBase) {
    const r = describeCell(module, '', 0, form.kind === 'padded' ? form.shape : [form.features], statesGiven, bytes);
    described = { nodes: [r.node], warnings: r.warnings, ...(r.error ? { error: r.error } : {}) };
  } else {
    described = traced(module, form, input, bytes);
  }
  const { nodes, warnings } = described;
  const rootNode = nodes[0];
  const params = module.parameters();
  const leaves = nodes.filter((n) => n.kind === 'module' && n.cost !== undefined);
  const inference = leaves.reduce((a, n) => a + n.cost!.flops.inference, 0);
  const inputInfo: TensorInfo = rootNode?.inputs[0] ?? { name: 'input', dims: formDims(form) };
  return {
    version: 1,
    model: reprLine(module),
    input: inputInfo,
    nodes,
    totals: {
      params: params.reduce((a, p) => a + p.numel(), 0),
      paramBytes: params.reduce((a, p) => a + p.numel() * (p.dtype === 'float64' ? 8 : 4), 0),
      flops: { inference, trainingStep: TRAINING_FACTOR * inference },
      activationBytes: {
        noGrad: Math.max(0, ...leaves.map((n) => n.cost!.activationBytes.noGrad)),
        grad: leaves.reduce((a, n) => a + n.cost!.activationBytes.grad, 0),
      },
    },
    warnings: dedupe(warnings),
    ...(described.error !== undefined ? { error: described.error } : {}),
    legend: LEGEND,
  };
}

/** The input forms `explain` reads, refused by type before anything is traced. */
function checkInput(input: unknown): ExplainInput {
  if (input instanceof Tensor || input instanceof PackedSequence || Array.isArray(input)) return input as ExplainInput;
  if (input !== null && typeof input === 'object' && Object.getPrototypeOf(input) === Object.prototype) return EXPLAIN_INPUT_OPTIONS.parse(input);
  throw new ArgumentTypeError(
    `explain(): argument 'input' (position 2) must be a Tensor, a shape such as [32, 100, 60], a PackedSequence or { shape, lengths }, not ${typeName(input)}`,
  );
}

function inputForm(module: Module, input: ExplainInput): InputForm {
  if (input instanceof Tensor) return { kind: 'padded', shape: input.shape };
  if (input instanceof PackedSequence) {
    return { kind: 'packed', lengths: lengthsOf(input), features: input.data.shape[1] ?? 0, enforceSorted: false };
  }
  if (Array.isArray(input)) {
    checkShape(input);
    return { kind: 'padded', shape: [...input] };
  }
  const spec = input as Exclude<ExplainInput, Tensor | PackedSequence | readonly number[]>;
  checkShape(spec.shape);
  const batchFirst = spec.batchFirst ?? (module instanceof RNNBase ? module.batchFirst : false);
  const N = batchFirst ? spec.shape[0] : spec.shape[1];
  if (spec.shape.length !== 3 || spec.lengths.length !== N) {
    throw new ValueError(`explain: lengths has ${spec.lengths.length} entries, but the padded shape [${spec.shape.join(', ')}] has a batch of ${N}`);
  }
  const L = batchFirst ? spec.shape[1] : spec.shape[0];
  if (spec.lengths.some((v) => !Number.isInteger(v) || v < 1 || v > L)) {
    throw new ValueError(`explain: every length must be an integer from 1 to L = ${L}, got [${spec.lengths.join(', ')}]`);
  }
  return { kind: 'packed', lengths: [...spec.lengths], features: spec.shape[2], enforceSorted: spec.enforceSorted ?? true };
}

function checkShape(shape: readonly number[]): void {
  if (shape.length === 0 || shape.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new ValueError(`explain: a shape is a list of positive integers, got [${shape.join(', ')}]`);
  }
}

/** Each sequence's length in the caller's order, from a PackedSequence's batch sizes and indices. */
function lengthsOf(p: PackedSequence): number[] {
  const bs = p.batchSizesArray();
  const B = bs[0] ?? 0;
  const sortedLengths = Array.from({ length: B }, (_, i) => bs.filter((b) => b > i).length);
  if (!p.sortedIndices) return sortedLengths;
  const idx = p.sortedIndices.contiguousData();
  const out = new Array<number>(B);
  for (let i = 0; i < B; i++) out[idx[i]] = sortedLengths[i];
  return out;
}

function formDims(form: InputForm): Dim[] {
  return form.kind === 'padded' ? form.shape.map((s) => d('', s)) : [d('sum(lengths)', form.lengths.reduce((a, b) => a + b, 0)), d('Hin', form.features)];
}

/** Build the zeros the traced run is fed. */
function example(form: InputForm, input: ExplainInput): Tensor | PackedSequence {
  if (form.kind === 'padded') return zeros(form.shape as number[]);
  if (input instanceof PackedSequence) return new PackedSequence(zeros(input.data.shape as number[]), input.batchSizes, input.sortedIndices, input.unsortedIndices);
  const spec = input as { shape: readonly number[]; batchFirst?: boolean };
  return packPaddedSequence(zeros(spec.shape as number[]), form.lengths, { batchFirst: spec.batchFirst ?? false, enforceSorted: form.enforceSorted });
}

function traced(module: Module, form: InputForm, input: ExplainInput, bytes: number): { nodes: ExplainNode[]; warnings: ExplainWarning[]; error?: string } {
  const { calls, error } = traceCalls(module, () => (module as unknown as { forward(x: unknown): unknown }).forward(example(form, input)));
  const nodes: ExplainNode[] = [];
  const warnings: ExplainWarning[] = [];
  const convOutputs = new Set<unknown>();
  const seen = new Map<string, number>();
  let firstError: string | undefined;
  for (const call of calls) {
    const count = (seen.get(call.path) ?? 0) + 1;
    seen.set(call.path, count);
    const path = count > 1 ? `${call.path}#${count}` : call.path;
    const m = call.module;
    if (m instanceof RNNBase || m instanceof RNNCellBase) {
      const x = call.args[0];
      const statesGiven = call.args[1] !== undefined && call.args[1] !== null;
      if (convOutputs.has(x)) {
        warnings.push({
          code: 'conv-before-rnn',
          path,
          message: `${moduleTypeName(m)} is fed a Conv1d's output directly: a Conv1d returns (N, C, L), channels before time, but ${m instanceof RNNBase && m.batchFirst ? 'a batch-first RNN reads (N, L, Hin)' : 'an RNN reads (L, N, Hin)'}`,
          fix: m instanceof RNNBase && m.batchFirst ? 'x.transpose(1, 2) between the Conv1d and the RNN' : 'x.permute(2, 0, 1) between the Conv1d and the RNN (or batchFirst: true and x.transpose(1, 2))',
        });
      }
      let r: RecurrentDescription;
      if (m instanceof RNNBase) {
        const f: InputForm = x instanceof PackedSequence ? { kind: 'packed', lengths: lengthsOf(x), features: x.data.shape[1], enforceSorted: false } : { kind: 'padded', shape: (x as Tensor).shape };
        r = describeRecurrent(m, path, call.depth, f, statesGiven, bytes);
      } else {
        r = describeCell(m, path, call.depth, (x as Tensor).shape, statesGiven, bytes);
      }
      nodes.push(r.node, ...r.children);
      warnings.push(...r.warnings);
      firstError ??= r.error;
      continue;
    }
    const outs = tensorsIn(call.output);
    if (m instanceof Conv1d) for (const t of outs) convOutputs.add(t);
    nodes.push({
      path,
      kind: 'module',
      type: moduleTypeName(m),
      repr: reprLine(m),
      depth: call.depth,
      called: true,
      inputs: tensorsIn(call.args).map((t, i) => tensorInfo(i === 0 ? 'input' : `input ${i}`, t, m, 'in')),
      outputs: call.done ? outs.map((t, i) => tensorInfo(i === 0 ? 'output' : `output ${i}`, t, m, 'out')) : [],
      params: ownParams(m),
      ...(call.done && isLeaf(m) ? { cost: leafCost(m, tensorsIn(call.args), outs, bytes) } : {}),
    });
  }
  // Registered submodules the forward never called.
  const called = new Set(calls.map((c) => c.module));
  for (const [path, m] of module.namedModules()) {
    if (called.has(m)) continue;
    nodes.push({ path, kind: 'module', type: moduleTypeName(m), repr: reprLine(m), depth: path.split('.').length, called: false, inputs: [], outputs: [], params: ownParams(m) });
  }
  if (error === undefined) return { nodes, warnings };
  if (!(error instanceof Error)) throw error;
  return { nodes, warnings, error: firstError ?? error.message };
}

/** A module's repr when it fits on one line (leaf layers), else its class name (containers, user Modules). */
function reprLine(m: Module): string {
  const text = m.toString();
  return text.includes('\n') ? moduleTypeName(m) : text;
}

function isLeaf(m: Module): boolean {
  return m.children().length === 0;
}

function ownParams(m: Module): ParamInfo[] {
  return [...m.namedParameters('', false)].map(([name, p]) => ({ name, dims: p.shape.map((s) => d('', s)), count: p.numel() }));
}

/** Every Tensor (or PackedSequence data) inside a value: arrays and tuples flattened, in order. */
function tensorsIn(v: unknown, out: Tensor[] = []): Tensor[] {
  if (v instanceof Tensor) out.push(v);
  else if (v instanceof PackedSequence) out.push(v.data);
  else if (Array.isArray(v)) for (const x of v) tensorsIn(x, out);
  return out;
}

/** A tensor's dims, with the symbols the layer's docs use where it has them. */
function tensorInfo(name: string, t: Tensor, m: Module, side: 'in' | 'out'): TensorInfo {
  const s = t.shape;
  let syms: string[] = s.map(() => '');
  if (m instanceof Conv1d) syms = s.length === 3 ? ['N', 'C', 'L'] : ['C', 'L'];
  else if (m instanceof Linear) syms = s.map((_, i) => (i === s.length - 1 ? (side === 'in' ? 'in_features' : 'out_features') : ''));
  else if (m instanceof Embedding && side === 'out') syms = s.map((_, i) => (i === s.length - 1 ? 'embedding_dim' : ''));
  return { name, dims: s.map((v, i) => d(syms[i], v)) };
}

function numel(t: Tensor): number {
  return t.shape.reduce((a, b) => a * b, 1);
}

/** FLOPs and memory of a leaf layer (see docs/explain.md for the formulas). */
function leafCost(m: Module, ins: Tensor[], outs: Tensor[], bytes: number): Cost {
  const out = outs.reduce((a, t) => a + numel(t), 0);
  const inn = ins.reduce((a, t) => a + numel(t), 0);
  let flops: number;
  if (m instanceof Linear) flops = (out / m.outFeatures) * (2 * m.inFeatures * m.outFeatures + (m.bias ? m.outFeatures : 0));
  else if (m instanceof Conv1d) flops = out * (2 * (m.inChannels / m.groups) * m.kernelSize + (m.bias ? 1 : 0));
  else if (m instanceof Embedding || m instanceof Dropout) flops = 0;
  else if (/Norm/.test(moduleTypeName(m))) flops = 5 * out;
  else flops = out;
  return {
    flops: { inference: flops, trainingStep: TRAINING_FACTOR * flops },
    activationBytes: { noGrad: (inn + out) * bytes, grad: (inn + out) * bytes },
  };
}

function dedupe(ws: ExplainWarning[]): ExplainWarning[] {
  const seen = new Set<string>();
  return ws.filter((w) => {
    const key = `${w.code}|${w.path.replace(/#\d+$/, '')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export type { Call };
