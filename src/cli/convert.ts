/**
 * `torchlet convert IN OUT`: weights between `.pt` and `.safetensors`, and a model to `.onnx`.
 * The architecture is the one `inspect` infers, the torchlet config's, or `--arch`. The result is
 * written to a temporary file, reloaded and checked against the input on a random batch (ONNX:
 * run in onnxruntime-node when it is installed, else its weights re-read and compared), and only
 * then renamed into place: a failed check leaves no file behind.
 */

import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { noGrad } from '../autograd/grad-mode.js';
import { Forecaster } from '../forecast/model.js';
import { load } from '../io/checkpoint.js';
import { save } from '../io/save.js';
import { loadSafetensors, saveSafetensors } from '../io/safetensors.js';
import type { Module, StateDict } from '../nn/module.js';
import { RNNBase } from '../nn/rnn/base.js';
import { RNNCellBase } from '../nn/rnn/cells.js';
import { Conv1d } from '../nn/layers/conv.js';
import { Linear } from '../nn/layers/linear.js';
import { exportModel } from '../onnx/export.js';
import { decodeModel } from '../onnx/proto.js';
import { randn } from '../ops/creation.js';
import { Tensor } from '../tensor/tensor.js';
import type { Style } from '../explain/render.js';
import type { ModelFile } from './files.js';
import { loadModelFile, stateDictOf } from './files.js';
import { moduleFromFile } from './model-source.js';
import { CliError, out, outJson, UsageError } from './ui.js';
import { writeChecked } from './write.js';
import { moduleTypeName } from '../nn/type-name.js';

type OutFormat = 'pt' | 'safetensors' | 'onnx';

function outFormat(path: string): OutFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.pt' || ext === '.pth') return 'pt';
  if (ext === '.safetensors') return 'safetensors';
  if (ext === '.onnx') return 'onnx';
  throw new UsageError(`cannot tell the output format of ${path}: name it .pt, .pth, .safetensors or .onnx`);
}

/** A random example input for a module, and the shape's meaning. */
function exampleFor(m: Module): Tensor {
  if (m instanceof Forecaster) return randn(3, 4, m.rnn.inputSize);
  if (m instanceof RNNBase) return m.batchFirst ? randn(3, 5, m.inputSize) : randn(5, 3, m.inputSize);
  if (m instanceof RNNCellBase) return randn(3, m.inputSize);
  if (m instanceof Linear) return randn(3, m.inFeatures);
  if (m instanceof Conv1d) return randn(3, m.inChannels, 16);
  const first = m.modules().find((x) => x instanceof Linear || x instanceof Conv1d || x instanceof RNNBase);
  if (first instanceof Linear) return randn(3, first.inFeatures);
  if (first instanceof Conv1d) return randn(3, first.inChannels, 16);
  throw new CliError(`cannot make an example input for ${moduleTypeName(m)}; ONNX export needs one`);
}

function outputsOf(m: Module, x: Tensor): Tensor[] {
  const y = noGrad(() => (m as unknown as { forward(x: Tensor): unknown }).forward(x));
  const flat: Tensor[] = [];
  const walk = (v: unknown): void => {
    if (v instanceof Tensor) flat.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
  };
  walk(y);
  return flat;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

function compareStateDicts(want: StateDict, got: StateDict, what: string): void {
  const wk = Object.keys(want);
  const gk = Object.keys(got);
  if (wk.length !== gk.length || wk.some((k) => !(k in got))) throw new CliError(`check failed: ${what} has keys ${gk.slice(0, 5).join(', ')}…, expected ${wk.slice(0, 5).join(', ')}…`);
  for (const k of wk) {
    const a = want[k];
    const b = got[k];
    if (a.shape.join() !== b.shape.join()) throw new CliError(`check failed: ${k} has shape [${b.shape}] in ${what}, [${a.shape}] in the input`);
    if (maxDiff(a.contiguousData(), b.contiguousData()) !== 0) throw new CliError(`check failed: ${k} differs between the input and ${what}`);
  }
}

export interface ConvertOptions {
  arch?: string;
  json?: boolean;
}

export async function convertCommand(inPath: string, outPath: string, o: ConvertOptions, s: Style): Promise<number> {
  const format = outFormat(outPath);
  const file: ModelFile = loadModelFile(inPath);
  if (file.format === 'onnx') throw new CliError(`${inPath}: converting from ONNX is not supported (ONNX is written only); convert the original .pt or .safetensors`);
  const weights = stateDictOf(file);
  if (Object.keys(weights).length === 0) throw new CliError(`${inPath}: no tensors to convert`);
  const needModule = format === 'onnx' || o.arch !== undefined || file.config !== null;
  let module: Module | null = null;
  let how = '';
  try {
    const r = moduleFromFile(file, o.arch);
    module = r.module;
    how = r.how === 'arch' ? `--arch ${o.arch}` : r.how === 'config' ? 'the model config' : `inferred: ${r.layer ? r.layer.spec.type : ''}`;
  } catch (e) {
    if (needModule) throw e;
  }
  let check = '';
  let bytes: Uint8Array;
  let verify: (tmp: string) => Promise<void>;
  if (format === 'onnx') {
    const m = module!;
    const x = exampleFor(m);
    const outs = outputsOf(m, x);
    const outputNames = outs.length === 1 ? ['output'] : outs.length === 2 ? ['output', 'hN'] : ['output', 'hN', 'cN'];
    const dyn = m instanceof RNNBase ? (m.batchFirst ? [0, 1] : [0, 1]) : [0];
    const dynamicAxes: Record<string, number[]> = { input: dyn };
    outputNames.forEach((n, i) => {
      dynamicAxes[n] = i === 0 ? dyn : [1];
    });
    bytes = exportModel(m, x, { inputNames: ['input'], outputNames, dynamicAxes });
    verify = async (tmp) => {
      let ort: typeof import('onnxruntime-node') | null = null;
      try {
        ort = await import('onnxruntime-node');
      } catch {
        ort = null;
      }
      if (ort) {
        const session = await ort.InferenceSession.create(readFileSync(tmp), { intraOpNumThreads: 1, interOpNumThreads: 1 });
        const res = await session.run({ input: new ort.Tensor('float32', Float32Array.from(x.contiguousData()), [...x.shape]) });
        let worst = 0;
        outputNames.forEach((n, i) => {
          worst = Math.max(worst, maxDiff(outs[i].contiguousData(), res[n].data as Float32Array));
        });
        if (!(worst <= 1e-4)) throw new CliError(`check failed: onnxruntime's outputs differ from torchlet's by ${worst}`);
        check = `ran in onnxruntime-node on a random batch [${x.shape.join(', ')}]: outputs within ${worst.toExponential(1)} of torchlet's`;
      } else {
        const written = decodeModel(new Uint8Array(readFileSync(tmp)));
        const mem = decodeModel(bytes);
        const want = new Map((mem.graph?.initializer ?? []).map((t) => [t.name, t]));
        for (const t of written.graph?.initializer ?? []) {
          const w = want.get(t.name);
          if (!w || Buffer.compare(Buffer.from(w.rawData ?? []), Buffer.from(t.rawData ?? [])) !== 0) throw new CliError(`check failed: initializer ${t.name} differs`);
        }
        check = `onnxruntime-node is not installed: the written graph was re-read and its ${want.size} weights compared`;
      }
    };
  } else {
    bytes = format === 'safetensors' ? saveSafetensors(weights, { source: inPath.split('/').pop() ?? inPath, converter: 'torchlet convert' }) : save(weights);
    verify = async (tmp) => {
      const raw = new Uint8Array(readFileSync(tmp));
      const got = format === 'safetensors' ? loadSafetensors(raw).tensors : (load(raw) as StateDict);
      compareStateDicts(weights, got, outPath);
      check = `reloaded: ${Object.keys(weights).length} tensors identical`;
      if (module) {
        const x = exampleFor(module);
        const want = outputsOf(module, x);
        // The same architecture with the reloaded weights must give the same outputs.
        const copy = moduleFromFile({ ...file, tensors: Object.entries(got).map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape, tensor: t })) }, o.arch).module;
        const have = outputsOf(copy, x);
        const worst = Math.max(...want.map((t, i) => maxDiff(t.contiguousData(), have[i].contiguousData())));
        if (worst !== 0) throw new CliError(`check failed: the reloaded model's outputs differ by ${worst}`);
        check += `; the model (${how}) gives identical outputs on a random batch [${x.shape.join(', ')}]`;
      }
    };
  }
  await writeChecked(outPath, bytes, verify);
  if (o.json) outJson({ in: inPath, out: outPath, format, bytes: bytes.length, tensors: Object.keys(weights).length, architecture: how || null, check });
  else {
    out(`${s.green('wrote')} ${outPath} (${format}, ${bytes.length.toLocaleString('en-US')} bytes) from ${inPath}${how ? `; architecture: ${how}` : ''}`);
    out(`${s.green('check')} ${check}`);
  }
  return 0;
}
