/**
 * The torch.load policy for pickles: which globals a checkpoint may name and what they build.
 * PyTorch twin: the allow-list of `torch._weights_only_unpickler` (`weights_only=True`).
 *
 * Allowed globals (everything else is refused with a FormatError naming the global):
 * `collections.OrderedDict`; `torch._utils._rebuild_tensor_v2`, `_rebuild_parameter`,
 * `_rebuild_parameter_with_state`; `torch._tensor._rebuild_from_type_v2` with `torch.Tensor` or
 * `torch.nn.Parameter`; the storage classes (`torch.FloatStorage`, `DoubleStorage`,
 * `HalfStorage`, `BFloat16Storage`, `LongStorage`, `IntStorage`, `ShortStorage`, `CharStorage`,
 * `ByteStorage`, `BoolStorage`); `torch.Size` (→ number[]); `torch.device` (→ its string);
 * the dtypes `torch.float32`, ... (→ the string `'torch.float32'`); `_codecs.encode` with latin1
 * (how protocol 2 writes bytes). Storages come from the format's resolver (zip entries, or the
 * legacy format's trailing data).
 */

import { FormatError } from '../errors.js';
import type { DType, Storage } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import type { FileDType } from './dtypes.js';
import type { PickleHooks, PickleMachine, Value } from './pickle.js';
import { Opaque } from './pickle.js';

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
export class StorageType extends Opaque {
  constructor(readonly className: string, readonly dtype: FileDType) {
    super(`the storage class torch.${className}`);
  }
}

/** A decoded storage shared by every tensor that views it. */
export class StorageRef extends Opaque {
  constructor(readonly key: string, readonly dtype: DType, readonly storage: Storage) {
    super(`a raw storage (data/${key})`);
  }
}

const isInt = (v: Value): v is number => typeof v === 'number' && Number.isSafeInteger(v);

function intTuple(v: Value, what: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => isInt(x) && x >= 0)) throw new FormatError(`torch.load: ${what} must be a tuple of non-negative integers`);
  return v as number[];
}

/** A parsed persistent id `('storage', StorageClass, key, location, numel, *rest)`. */
export interface StoragePid {
  type: StorageType;
  key: string;
  location: string;
  numel: number;
  /** What follows numel (the legacy format's view metadata). */
  rest: Value[];
}

/**
 * The allow-list policy shared by the zip and legacy formats; `resolve` turns a storage's
 * persistent id into its (decoded) storage.
 */
export function checkpointHooks(resolve: (pid: StoragePid) => StorageRef): PickleHooks {
  return {
    global(module, name) {
      const path = `${module}.${name}`;
      if (module === 'torch' && Object.hasOwn(STORAGE_DTYPES, name)) return new StorageType(name, STORAGE_DTYPES[name]);
      if (module === 'torch' && TORCH_DTYPES.has(name)) return `torch.${name}`;
      if (ALLOWED_FUNCTIONS.has(path)) return new GlobalRef(path);
      // A class (a model or layer pickled whole by torch.save(model)) gets the beginner's hint.
      const wholeModel = module === '__main__' || module.startsWith('torch.nn.modules') || /^[A-Z]/.test(name);
      const hint = module === 'numpy' || module.startsWith('numpy.')
        ? ' The checkpoint holds NumPy values; in PyTorch, convert them before saving (float(x), x.tolist(), torch.from_numpy(a)).'
        : wholeModel
          ? ' It looks like a whole model object (torch.save(model)); save its weights instead: torch.save(model.state_dict(), f).'
          : '';
      throw new FormatError(
        `torch.load: Unsupported global: ${path}. torchlet's torch.load only loads tensors and plain containers (like PyTorch's weights_only=True) and never runs code from a file; this file asks for ${path}, so it is refused.${hint}`,
      );
    },
    persistentLoad(pid) {
      if (!Array.isArray(pid) || pid.length < 5 || pid[0] !== 'storage') {
        throw new FormatError('torch.load: persistent id is not a (storage, type, key, location, numel) tuple');
      }
      const [, type, key, location, numel, ...rest] = pid;
      if (!(type instanceof StorageType)) throw new FormatError('torch.load: persistent id does not name a storage class');
      if (typeof key !== 'string' || !/^[A-Za-z0-9_]{1,64}$/.test(key)) throw new FormatError(`torch.load: storage key ${JSON.stringify(key)} is invalid`);
      if (typeof location !== 'string') throw new FormatError('torch.load: storage location is not a string');
      if (!isInt(numel ?? null) || (numel as number) < 0) throw new FormatError(`torch.load: storage ${key} has an invalid size`);
      return resolve({ type, key, location, numel: numel as number, rest });
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
}

function callGlobal(path: string, args: Value[], m: PickleMachine): Value {
  switch (path) {
    case 'collections.OrderedDict': {
      const d = m.newDict();
      if (args.length === 1 && Array.isArray(args[0])) {
        for (const pair of args[0]) {
          if (!Array.isArray(pair) || pair.length !== 2) throw new FormatError('torch.load: OrderedDict items must be pairs');
          m.setItem(d, pair[0], pair[1]);
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
    numel *= size[i];
    last += (size[i] - 1) * stride[i];
  }
  if (!Number.isSafeInteger(numel) || numel > 2 ** 31) throw new FormatError(`torch.load: tensor of size [${size.join(', ')}] is too large`);
  if (numel > 0 ? last >= n : off > n) {
    throw new FormatError(
      `torch.load: tensor of size [${size.join(', ')}], stride [${stride.join(', ')}] at offset ${off} reaches past its storage of ${n} elements (data/${storage.key})`,
    );
  }
  return new Tensor(storage.storage, size, storage.dtype, stride, off);
}

