/**
 * The model a command works on, from what the user typed: a constructor string (`nn.LSTM(...)`,
 * exactly as pasted from Python, or torchlet's spelling), a torchlet model config (or the folder
 * `train --out` wrote), or a weights file whose architecture is inferred from its keys and shapes.
 */

import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { buildLayer } from '../explain/build.js';
import type { InferredLayer } from '../explain/infer.js';
import { inferArchitecture } from '../explain/infer.js';
import type { LayerSpec } from '../explain/parse.js';
import { parseLayer, SpecError, toPython } from '../explain/parse.js';
import { Forecaster } from '../forecast/model.js';
import type { Module, StateDict } from '../nn/module.js';
import type { ModelFile } from './files.js';
import { loadModelFile, stateDictOf } from './files.js';
import { CliError, UsageError } from './ui.js';
import { moduleTypeName } from '../nn/type-name.js';

/** True when the argument names a file or folder rather than a constructor string. */
export function looksLikePath(arg: string): boolean {
  if (/^\s*(new\s+)?(torch\.nn\.|nn\.)?[A-Za-z]\w*\s*\(/.test(arg)) return false;
  return existsSync(arg) || ['.pt', '.pth', '.bin', '.safetensors', '.onnx', '.json'].includes(extname(arg).toLowerCase());
}

/** Parse a constructor string; a parse error is a usage error (exit 2) saying where. */
export function specFrom(text: string): LayerSpec {
  try {
    return parseLayer(text);
  } catch (e) {
    if (e instanceof SpecError) throw new UsageError(`cannot read the constructor "${text}": ${e.message}`);
    throw e;
  }
}

/** Build a module from a spec; the layer's own complaint (a ValueError) becomes a usage error. */
export function moduleFrom(spec: LayerSpec, text: string): Module {
  try {
    return buildLayer(spec);
  } catch (e) {
    throw new UsageError(`${text}: ${(e as Error).message}`);
  }
}

/** A state dict's keys without `prefix`. */
function strip(sd: StateDict, prefix: string, keys: readonly string[]): StateDict {
  const out: StateDict = {};
  for (const k of keys) out[k.slice(prefix.length)] = sd[k];
  return out;
}

export interface ResolvedModel {
  readonly module: Module;
  /** How it was found ('config', 'inferred', 'arch'). */
  readonly how: 'config' | 'inferred' | 'arch';
  readonly file: ModelFile;
  readonly layer?: InferredLayer;
}

/**
 * The module a weights file describes, with its weights loaded: the torchlet config's Forecaster,
 * the `--arch` given, or the one layer inferred from the keys. Throws CliError when the file holds
 * several layers whose wiring cannot be known, listing them.
 */
export function moduleFromFile(file: ModelFile, arch?: string): ResolvedModel {
  const sd = stateDictOf(file);
  const load = (m: Module, weights: StateDict): void => {
    try {
      m.loadStateDict(weights);
    } catch (e) {
      throw new CliError(`the weights in ${file.path} do not fit ${arch ?? moduleTypeName(m)}: ${(e as Error).message.replace(/\s+/g, ' ')}`);
    }
  };
  if (arch !== undefined) {
    const m = moduleFrom(specFrom(arch), arch);
    load(m, sd);
    return { module: m, how: 'arch', file };
  }
  if (file.config) {
    const m = new Forecaster(file.config.model);
    load(m, sd);
    return { module: m, how: 'config', file };
  }
  const inferred = inferArchitecture(file.tensors.map((t) => ({ name: t.name, shape: t.shape })));
  if (inferred.layers.length === 1 && inferred.unrecognized.length === 0) {
    const layer = inferred.layers[0];
    const m = buildLayer(layer.spec);
    load(m, strip(sd, layer.prefix, layer.keys));
    return { module: m, how: 'inferred', file, layer };
  }
  const found = inferred.layers.map((l) => `${l.prefix || '(root)'} ${toPython(l.spec)}`).join('; ');
  throw new CliError(
    `${file.path}: ${inferred.layers.length === 0 ? 'no layer recognised from the key names' : `${inferred.layers.length} layers (${found})${inferred.unrecognized.length ? ` and ${inferred.unrecognized.length} other tensors` : ''}`}, and weights do not say how they connect; pass the model with --arch "nn.LSTM(...)" (a single layer or an nn.Sequential)`,
  );
}

/** Load the file at `path` and resolve its module. */
export function resolveModelPath(path: string, arch?: string): ResolvedModel {
  return moduleFromFile(loadModelFile(path), arch);
}
