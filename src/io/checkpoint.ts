/**
 * PyTorch checkpoints (`torch.save(obj, 'model.pt')`, the zip format PyTorch has written since
 * 1.6) read directly, with nothing executed. PyTorch twin: `torch.load(f, map_location='cpu',
 * weights_only=True)`.
 *
 * The zip holds `<name>/data.pkl` (a protocol-2 pickle of the saved object), one entry
 * `<name>/data/<key>` per tensor storage (raw little-endian elements), and `<name>/version`.
 * Tensors in the pickle are calls `torch._utils._rebuild_tensor_v2(storage, offset, size,
 * stride, requires_grad, hooks)` whose storage is a persistent id
 * `('storage', torch.FloatStorage, key, location, numel)`.
 *
 * The allow-list of globals is in `./torch-pickle.ts`; the legacy (pre-1.6) format in `./legacy.ts`.
 *
 * Tensors keep their saved views: storage offset, size and stride (non-contiguous saved
 * tensors stay non-contiguous views), and tensors that shared a storage in PyTorch share one
 * here. Dtypes convert as in `./dtypes.ts`: float16/bfloat16 → float32, float64 → float32
 * unless `keepFloat64`, int64 and smaller integers → int32.
 */

import { FormatError, SizeError, ValueError } from '../errors.js';
import type { StateDict } from '../nn/module.js';
import { Tensor } from '../tensor/tensor.js';
import { decodeElements, FILE_DTYPE_BYTES, LOADED_DTYPE_BYTES, loadedDType } from './dtypes.js';
import { loadLegacy } from './legacy.js';
import type { PickleDict, PickleValue } from './pickle.js';
import { unpickle } from './pickle.js';
import { checkpointHooks, StorageRef } from './torch-pickle.js';
import { ZipArchive } from './zip.js';
import { checkMaxBytes, defaultMaxBytes, LoadBudget } from './budget.js';
import { defineOptions, opt } from '../options.js';

/** Options of `load`. PyTorch: `torch.load(f, map_location=..., weights_only=True)` (torchlet always loads weights only). */
export interface LoadOptions {
  /** Keep float64 tensors as float64 instead of rounding them to float32. Default false. */
  keepFloat64?: boolean;
  /**
   * The most bytes loading this file may allocate (decoded storages, inflated entries), checked
   * before allocating: past it, a SizeError that says how to raise it. Default: the larger of
   * 1 GiB and 20 times the file's size (a real checkpoint needs at most 4 times its size).
   */
  maxBytes?: number;
}
/** Run-time check of `LoadOptions` (src/options.ts). */
export const LOAD_OPTIONS = defineOptions<LoadOptions>('load', { keepFloat64: opt.bool, maxBytes: opt.number });

/**
 * Load a PyTorch checkpoint from its bytes. PyTorch: `torch.load(f, map_location='cpu',
 * weights_only=True)`. Returns what was saved: for `torch.save(model.state_dict(), f)` a plain
 * object of Tensors by state-dict key (pass it to `model.loadStateDict`, after `toStateDict`
 * to get its type); for a checkpoint dict, plain objects with numbers, strings, arrays and
 * Tensors. Everything loads to the CPU.
 *
 *   const ckpt = torch.load(bytes);
 *   model.loadStateDict(torch.io.toStateDict(ckpt, 'model'));
 *
 * Reads the zip format (PyTorch ≥ 1.6) and the legacy format (`_use_new_zipfile_serialization=False`).
 * Throws FormatError for a file that is neither, is truncated or corrupt, or asks for any global
 * outside the allow-list (`Unsupported global: os.system ...`; see `./torch-pickle.ts`).
 */
export function load(bytes: Uint8Array, options: LoadOptions = {}): PickleValue {
  options = LOAD_OPTIONS.parse(options);
  if (!(bytes instanceof Uint8Array)) throw new ValueError('torch.load: expected the file contents as a Uint8Array');
  const keep64 = options.keepFloat64 ?? false;
  checkMaxBytes(options.maxBytes, 'torch.load');
  const budget = new LoadBudget(options.maxBytes ?? defaultMaxBytes(bytes.length), { what: 'torch.load', example: 'torch.load(bytes, { maxBytes: N })' });
  // A pickle's PROTO opcode first: the legacy format; otherwise the zip format.
  return guard(() => (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] <= 5 ? loadLegacy(bytes, keep64, budget) : loadZip(bytes, keep64, budget)));
}

/** Turn any unexpected exception from hostile input into a FormatError (the loaders' contract). */
function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FormatError || e instanceof SizeError) throw e;
    if (e instanceof RangeError || e instanceof TypeError) {
      throw new FormatError(`torch.load: the file is corrupt (${e.message})`);
    }
    throw e;
  }
}

function loadZip(bytes: Uint8Array, keepFloat64: boolean, budget: LoadBudget): PickleValue {
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    throw new FormatError(`torch.load: not a PyTorch checkpoint (a zip file starts with "PK"; this file has ${bytes.length} bytes starting ${[...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')})`);
  }
  const zip = new ZipArchive(bytes, 'torch.load');
  // Inflating allocates each deflated entry's size: all of it charged before anything is read
  // (PyTorch stores its entries, so a real checkpoint charges nothing here).
  budget.charge(zip.inflatedBytes(), 'inflating the deflated entries');
  const pkl = zip.names().filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkl.length !== 1) {
    throw new FormatError(`torch.load: expected one "<name>/data.pkl" in the archive, found ${pkl.length}; is this a torch.save file?`);
  }
  const prefix = pkl[0].slice(0, -'data.pkl'.length);
  if (zip.has(`${prefix}constants.pkl`)) {
    throw new FormatError(
      'torch.load: this is a TorchScript archive (torch.jit.save), which holds code as well as weights; torchlet reads weights only. In PyTorch, save the weights with torch.save(torch.jit.load(f).state_dict(), f2)',
    );
  }
  if (zip.has(`${prefix}byteorder`)) {
    const order = new TextDecoder().decode(zip.read(`${prefix}byteorder`, 'torch.load'));
    if (order !== 'little') throw new FormatError(`torch.load: byte order "${order.slice(0, 20)}" is not read (only little-endian)`);
  }

  const storages = new Map<string, StorageRef>();
  const hooks = checkpointHooks((pid) => {
    const { type, key, numel } = pid;
    if (pid.rest.length !== 0) throw new FormatError('torch.load: persistent id is not a (storage, type, key, location, numel) tuple');
    const loaded = loadedDType(type.dtype, keepFloat64);
    const cached = storages.get(key);
    if (cached !== undefined) {
      if (cached.dtype !== loaded || cached.storage.length !== numel) {
        throw new FormatError(`torch.load: storage ${key} is used with two different types or sizes`);
      }
      return cached;
    }
    const entry = `${prefix}data/${key}`;
    if (!zip.has(entry)) throw new FormatError(`torch.load: storage ${key} has no "${entry}" in the archive (truncated?)`);
    const width = FILE_DTYPE_BYTES[type.dtype];
    const stored = zip.size(entry);
    if (stored !== numel * width) {
      throw new FormatError(`torch.load: storage ${key} declares ${numel} elements of ${type.className} (${numel * width} bytes), but ${entry} holds ${stored} bytes`);
    }
    budget.charge(numel * LOADED_DTYPE_BYTES[loaded], `storage ${key} (${numel} elements of ${type.className})`);
    const raw = zip.read(entry, 'torch.load');
    const ref = new StorageRef(key, loaded, decodeElements(raw, 0, numel, type.dtype, keepFloat64, `torch.load: storage ${key}`));
    storages.set(key, ref);
    return ref;
  });
  return unpickle(zip.read(pkl[0], 'torch.load'), hooks);
}

/**
 * Narrow a loaded checkpoint to a state dict (an object whose values are all Tensors), for
 * `Module.loadStateDict`. No PyTorch twin: in Python `ckpt['model']` needs no narrowing. `path` picks a nested entry: `toStateDict(ckpt, 'model')` for
 * `torch.save({'model': model.state_dict(), 'epoch': 3}, f)`; `['a', 'b']` for deeper ones.
 * Throws ValueError naming the first entry that is not a Tensor.
 */
export function toStateDict(value: PickleValue, path: string | readonly string[] = []): StateDict {
  const keys = typeof path === 'string' ? [path] : path;
  let v: PickleValue = value;
  const isDict = (x: PickleValue): x is PickleDict =>
    x !== null && typeof x === 'object' && !Array.isArray(x) && !(x instanceof Tensor) && !(x instanceof Uint8Array);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (!isDict(v) || !Object.hasOwn(v, k)) {
      const where = keys.slice(0, i).map((s) => `[${JSON.stringify(s)}]`).join('');
      const avail = isDict(v) ? ` (keys: ${Object.keys(v).slice(0, 10).map((s) => JSON.stringify(s)).join(', ')})` : '';
      throw new ValueError(`toStateDict: the checkpoint${where} has no key ${JSON.stringify(k)}${avail}`);
    }
    v = v[k];
  }
  if (!isDict(v)) throw new ValueError(`toStateDict: expected a dict of tensors, got ${describe(v)}`);
  const out: StateDict = {};
  for (const [k, t] of Object.entries(v)) {
    if (!(t instanceof Tensor)) {
      throw new ValueError(
        `toStateDict: entry ${JSON.stringify(k)} is ${describe(t)}, not a Tensor. If this is a checkpoint dict, pass the key of its state dict, e.g. toStateDict(ckpt, 'model')`,
      );
    }
    Object.defineProperty(out, k, { value: t, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function describe(v: PickleValue): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof Tensor) return 'a Tensor';
  return typeof v === 'object' ? 'a dict' : `a ${typeof v}`;
}
