/**
 * `torchlet explain MODEL --input SHAPE`: the explain report (see `torch.explain`) of a
 * constructor string or a model file, as text or `--json`.
 */

import type { ExplainInput } from '../explain/explain.js';
import { explain } from '../explain/explain.js';
import { renderExplain } from '../explain/render.js';
import type { Module } from '../nn/module.js';
import { RNNBase } from '../nn/rnn/base.js';
import { Forecaster } from '../forecast/model.js';
import { looksLikePath, moduleFrom, resolveModelPath, specFrom } from './model-source.js';
import type { Style } from '../explain/render.js';
import { CliError, out, outJson, parseShape, UsageError } from './ui.js';

export interface ExplainCliOptions {
  input?: string;
  lengths?: string;
  enforceSorted?: boolean;
  states?: boolean;
  arch?: string;
  json?: boolean;
}

/** Run the command; returns the exit code. */
export function explainCommand(target: string, o: ExplainCliOptions, style: Style): number {
  let module: Module;
  let defaultInput: number[] | undefined;
  if (looksLikePath(target)) {
    const r = resolveModelPath(target, o.arch);
    module = r.module;
    if (module instanceof Forecaster && r.file.config) {
      const d = r.file.config.data;
      defaultInput = [1, d.window / d.fold, r.file.config.model.inputSize];
    }
  } else {
    module = moduleFrom(specFrom(target), target);
  }
  if (o.input === undefined && defaultInput === undefined) {
    throw new UsageError('explain needs --input, the input shape, e.g. --input 32,100,60 (N, L, Hin with batch_first=True; L, N, Hin without)');
  }
  const shape = o.input !== undefined ? parseShape(o.input) : defaultInput!;
  let input: ExplainInput = shape;
  if (o.lengths !== undefined) {
    const lengths = parseShape(o.lengths, '--lengths');
    if (shape.length !== 3) throw new UsageError('--lengths needs a 3-D padded --input shape');
    const batchFirst = module instanceof RNNBase ? module.batchFirst : false;
    input = { shape, lengths, batchFirst, enforceSorted: o.enforceSorted ?? true };
  }
  let report: ReturnType<typeof explain>;
  try {
    report = explain(module, input, { statesGiven: o.states ?? false });
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  if (o.json) outJson(report);
  else out(renderExplain(report, style));
  if (report.error !== undefined && o.json) process.stderr.write(`torchlet explain: the model cannot run on this input: ${report.error.split('\n')[0]}\n`);
  return report.error !== undefined ? 1 : 0;
}

export { CliError };
