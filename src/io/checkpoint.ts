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
 * Allowed globals (everything else is refused with a FormatError naming the global):
 * `collections.OrderedDict`; `torch._utils._rebuild_tensor_v2`, `_rebuild_parameter`,
 * `_rebuild_parameter_with_state`; `torch._tensor._rebuild_from_type_v2` with `torch.Tensor` or
 * `torch.nn.Parameter`; the storage classes (`torch.FloatStorage`, `DoubleStorage`,
 * `HalfStorage`, `BFloat16Storage`, `LongStorage`, `IntStorage`, `ShortStorage`, `CharStorage`,
 * `ByteStorage`, `BoolStorage`); `torch.Size` (→ number[]); `torch.device` (→ its string);
 * the dtypes `torch.float32`, ... (→ the string `'torch.float32'`); `_codecs.encode` with latin1
 * (how protocol 2 writes bytes).
 *
 * Tensors keep their saved views: storage offset, size and stride (non-contiguous saved
 * tensors stay non-contiguous views), and tensors that shared a storage in PyTorch share one
 * here. Dtypes convert as in `./dtypes.ts`: float16/bfloat16 → float32, float64 → float32
 * unless `keepFloat64`, int64 and smaller integers → int32.
 */

import { FormatError, ValueError } from '../errors.js';
import type { StateDict } from '../nn/module.js';
import type { DType, Storage } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import type { FileDType } from './dtypes.js';
import { decodeElements, FILE_DTYPE_BYTES, loadedDType } from './dtypes.js';
import type { PickleDict, PickleHooks, PickleMachine, PickleValue, Value } from './pickle.js';
import { Opaque, unpickle } from './pickle.js';
import { ZipArchive } from './zip.js';

export interface LoadOptions {
  /** Keep float64 tensors as float64 instead of rounding them to float32. Default false. */
  keepFloat64?: boolean;
}

const STORAGE_DTYPES: Readonly<Record<string, FileDType>> = {
  FloatStorage: 'F32', DoubleStorage: 'F64', HalfStorage: 'F16', BFloat16Storage: 'BF16',
  LongStorage: 'I64', IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
};

const TORCH_DTYPES = new Set([
  'float32', 'float', 'float64', 'double', 'float16', 'half', 'bfloat16', 'int64', 'long', 'int32', 'int',
  'int16', 'short', 'int8', 'uint8', 'bool', 'complex64', 'complex128',
]);

const ALLOWED_FUNCTIONS = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch._tensor._rebuild_from_type_v2',
  'torch._tensor.Tensor',
  'torch.Tensor',
  'torch.nn.parameter.Parameter',
  'torch.Size',
  'torch.device',
  '_codecs.encode',
]);

/** A resolved allow-listed global, callable by REDUCE. */
class GlobalRef extends Opaque {
  constructor(readonly path: string) {
    super(`the global ${path}`);
  }
}

/** A storage class named in a persistent id. */
class StorageType extends Opaque {
  constructor(readonly className: string, readonly dtype: FileDType) {
    super(`the storage class torch.${className}`);
  }
}

/** A decoded storage shared by every tensor that views it. */
class StorageRef extends Opaque {
  constructor(readonly key: string, readonly dtype: DType, readonly storage: Storage) {
    super(`a raw storage (data/${key})`);
  }
}

const isInt = (v: Value): v is number => typeof v === 'number' && Number.isSafeInteger(v);

function intTuple(v: Value, what: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => isInt(x) && x >= 0)) throw new FormatError(`torch.load: ${what} must be a tuple of non-negative integers`);
  return v as number[];
}

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
 * Throws FormatError for a file that is not a zip checkpoint, is truncated or corrupt, or asks
 * for any global outside the allow-list above (`Unsupported global: os.system ...`).
 */
export function load(bytes: Uint8Array, options: LoadOptions = {}): PickleValue {
  if (!(bytes instanceof Uint8Array)) throw new ValueError('torch.load: expected the file contents as a Uint8Array');
  return guard(() => loadZip(bytes, options.keepFloat64 ?? false));
}

/** Turn any unexpected exception from hostile input into a FormatError (the loaders' contract). */
export function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FormatError) throw e;
    if (e instanceof RangeError || e instanceof TypeError) {
      throw new FormatError(`torch.load: the file is corrupt (${e.message})`);
    }
    throw e;
  }
}

function loadZip(bytes: Uint8Array, keepFloat64: boolean): PickleValue {
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1]! <= 5) {
    throw new FormatError(
      'torch.load: this is a legacy (pre-1.6, non-zip) PyTorch file, which torchlet does not read. Re-save it with a current PyTorch: torch.save(torch.load(f), f2)',
    );
  }
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    throw new FormatError(`torch.load: not a PyTorch checkpoint (a zip file starts with "PK"; this file has ${bytes.length} bytes starting ${[...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')})`);
  }
  const zip = new ZipArchive(bytes, 'torch.load');
  const pkl = zip.names().filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkl.length !== 1) {
    throw new FormatError(`torch.load: expected one "<name>/data.pkl" in the archive, found ${pkl.length}; is this a torch.save file?`);
  }
  const prefix = pkl[0]!.slice(0, -'data.pkl'.length);
  if (zip.has(`${prefix}byteorder`)) {
    const order = new TextDecoder().decode(zip.read(`${prefix}byteorder`, 'torch.load'));
    if (order !== 'little') throw new FormatError(`torch.load: byte order "${order.slice(0, 20)}" is not read (only little-endian)`);
  }

  const storages = new Map<string, StorageRef>();
  const hooks: PickleHooks = {
    global(module, name) {
      const path = `${module}.${name}`;
      if (module === 'torch' && Object.hasOwn(STORAGE_DTYPES, name)) return new StorageType(name, STORAGE_DTYPES[name]!);
      if (module === 'torch' && TORCH_DTYPES.has(name)) return `torch.${name}`;
      if (ALLOWED_FUNCTIONS.has(path)) return new GlobalRef(path);
      throw new FormatError(
        `torch.load: Unsupported global: ${path}. torchlet's torch.load only loads tensors and plain containers (like PyTorch's weights_only=True) and never runs code from a file; this file asks for ${path}, so it is refused.`,
      );
    },
    persistentLoad(pid) {
      if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage') {
        throw new FormatError('torch.load: persistent id is not a (storage, type, key, location, numel) tuple');
      }
      const [, type, key, location, numel] = pid;
      if (!(type instanceof StorageType)) throw new FormatError('torch.load: persistent id does not name a storage class');
      if (typeof key !== 'string' || !/^[A-Za-z0-9_]{1,64}$/.test(key)) throw new FormatError(`torch.load: storage key ${JSON.stringify(key)} is invalid`);
      if (typeof location !== 'string') throw new FormatError('torch.load: storage location is not a string');
      if (!isInt(numel) || numel < 0) throw new FormatError(`torch.load: storage ${key} has an invalid size`);
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
      const raw = zip.read(entry, 'torch.load');
      if (raw.length !== numel * width) {
        throw new FormatError(`torch.load: storage ${key} declares ${numel} elements of ${type.className} (${numel * width} bytes), but ${entry} holds ${raw.length} bytes`);
      }
      const ref = new StorageRef(key, loaded, decodeElements(raw, 0, numel, type.dtype, keepFloat64, `torch.load: storage ${key}`));
      storages.set(key, ref);
      return ref;
    },
    call(fn, args, m) {
      if (!(fn instanceof GlobalRef)) throw new FormatError('torch.load: REDUCE calls something that is not an allowed global');
      return callGlobal(fn.path, args, m);
    },
    build(obj, state, m) {
      // OrderedDict's state is its __dict__ (a state dict's `_metadata` of module versions),
      // and a tensor's is its Python attributes; neither has data torchlet keeps.
      if (m.isDict(obj) || obj instanceof Tensor) {
        if (state === null || m.isDict(state) || Array.isArray(state)) return;
      }
      throw new FormatError('torch.load: BUILD on an object torchlet does not rebuild');
    },
  };
  return unpickle(zip.read(pkl[0]!, 'torch.load'), hooks);
}

function callGlobal(path: string, args: Value[], m: PickleMachine): Value {
  switch (path) {
    case 'collections.OrderedDict': {
      const d = m.newDict();
      if (args.length === 1 && Array.isArray(args[0])) {
        for (const pair of args[0]) {
          if (!Array.isArray(pair) || pair.length !== 2) throw new FormatError('torch.load: OrderedDict items must be pairs');
          m.setItem(d, pair[0]!, pair[1]!);
        }
      } else if (args.length !== 0) {
        throw new FormatError('torch.load: OrderedDict called with unexpected arguments');
      }
      return d;
    }
    case 'torch._utils._rebuild_tensor_v2':
      return rebuildTensor(args);
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state': {
      const t = args[0];
      if (!(t instanceof Tensor)) throw new FormatError('torch.load: _rebuild_parameter needs a tensor');
      return t;
    }
    case 'torch._tensor._rebuild_from_type_v2': {
      const [func, type, inner] = args;
      if (!(func instanceof GlobalRef) || !(type instanceof GlobalRef) || !Array.isArray(inner)) {
        throw new FormatError('torch.load: _rebuild_from_type_v2 has unexpected arguments');
      }
      if (!['torch._tensor.Tensor', 'torch.Tensor', 'torch.nn.parameter.Parameter'].includes(type.path)) {
        throw new FormatError(`torch.load: Unsupported tensor subclass ${type.path}`);
      }
      const t = callGlobal(func.path, inner, m);
      if (!(t instanceof Tensor)) throw new FormatError('torch.load: _rebuild_from_type_v2 did not rebuild a tensor');
      return t;
    }
    case 'torch.Size':
      return [...intTuple(args[0] ?? null, 'torch.Size')];
    case 'torch.device': {
      const [kind, idx] = args;
      if (typeof kind !== 'string') throw new FormatError('torch.load: torch.device needs a string');
      return idx === undefined || idx === null ? kind : `${kind}:${String(idx)}`;
    }
    case '_codecs.encode': {
      const [text, encoding] = args;
      if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) {
        throw new FormatError('torch.load: _codecs.encode is only read with latin1 text (how pickle protocol 2 stores bytes)');
      }
      const out = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c > 255) throw new FormatError('torch.load: _codecs.encode text is not latin1');
        out[i] = c;
      }
      return out;
    }
    default:
      throw new FormatError(`torch.load: ${path} cannot be called`);
  }
}

/** `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`. */
function rebuildTensor(args: Value[]): Tensor {
  const [storage, offset, sizeV, strideV] = args;
  if (!(storage instanceof StorageRef)) throw new FormatError('torch.load: _rebuild_tensor_v2 needs a storage');
  if (!isInt(offset ?? null) || (offset as number) < 0) throw new FormatError('torch.load: tensor storage offset is invalid');
  const size = intTuple(sizeV ?? null, 'tensor size');
  const stride = intTuple(strideV ?? null, 'tensor stride');
  if (size.length !== stride.length) throw new FormatError('torch.load: tensor size and stride differ in length');
  const off = offset as number;
  const n = storage.storage.length;
  let numel = 1;
  let last = off;
  for (let i = 0; i < size.length; i++) {
    numel *= size[i]!;
    last += (size[i]! - 1) * stride[i]!;
  }
  if (!Number.isSafeInteger(numel) || numel > 2 ** 31) throw new FormatError(`torch.load: tensor of size [${size.join(', ')}] is too large`);
  if (numel > 0 ? last >= n : off > n) {
    throw new FormatError(
      `torch.load: tensor of size [${size.join(', ')}], stride [${stride.join(', ')}] at offset ${off} reaches past its storage of ${n} elements (data/${storage.key})`,
    );
  }
  return new Tensor(storage.storage, size, storage.dtype, stride, off);
}

/**
 * Narrow a loaded checkpoint to a state dict (an object whose values are all Tensors), for
 * `Module.loadStateDict`. `path` picks a nested entry: `toStateDict(ckpt, 'model')` for
 * `torch.save({'model': model.state_dict(), 'epoch': 3}, f)`; `['a', 'b']` for deeper ones.
 * Throws ValueError naming the first entry that is not a Tensor.
 */
export function toStateDict(value: PickleValue, path: string | readonly string[] = []): StateDict {
  const keys = typeof path === 'string' ? [path] : path;
  let v: PickleValue = value;
  const isDict = (x: PickleValue): x is PickleDict =>
    x !== null && typeof x === 'object' && !Array.isArray(x) && !(x instanceof Tensor) && !(x instanceof Uint8Array);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (!isDict(v) || !Object.hasOwn(v, k)) {
      const where = keys.slice(0, i).map((s) => `[${JSON.stringify(s)}]`).join('');
      const avail = isDict(v) ? ` (keys: ${Object.keys(v).slice(0, 10).map((s) => JSON.stringify(s)).join(', ')})` : '';
      throw new ValueError(`toStateDict: the checkpoint${where} has no key ${JSON.stringify(k)}${avail}`);
    }
    v = v[k]!;
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
