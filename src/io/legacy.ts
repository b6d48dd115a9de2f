/**
 * PyTorch's legacy (pre-1.6, non-zip) checkpoint format, still written by
 * `torch.save(obj, f, _use_new_zipfile_serialization=False)`. PyTorch twin: `_legacy_load`.
 *
 * Five pickles back to back, then the storages:
 * 1. the magic number 0x1950a86a20f9469cfc6c; 2. the protocol version 1001; 3. a sys_info dict
 *    (`little_endian` must be True);
 * 4. the saved object, whose storages are persistent ids
 *    `('storage', StorageClass, key, location, numel, view_metadata)` (`view_metadata` is None,
 *    or `(view_key, offset, size)` for a view of a storage, from old PyTorch versions);
 * 5. the list of storage keys, in the order their data follows;
 * then per key: the element count as 8 little-endian bytes, and the raw elements.
 * The same allow-list of globals applies as for zip checkpoints (`./checkpoint.ts`).
 */

import { FormatError } from '../errors.js';
import { allocStorage } from '../tensor/dtype.js';
import type { StoragePid } from './torch-pickle.js';
import { checkpointHooks, StorageRef } from './torch-pickle.js';
import type { LoadBudget } from './budget.js';
import { decodeElements, FILE_DTYPE_BYTES, LOADED_DTYPE_BYTES, loadedDType } from './dtypes.js';
import type { PickleHooks, PickleValue } from './pickle.js';
import { unpickleFrom } from './pickle.js';

const MAGIC = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;

/** Hooks for the header pickles, which hold plain data only. */
const PLAIN: PickleHooks = {
  global(module, name) {
    throw new FormatError(`torch.load: Unsupported global: ${module}.${name} in a legacy checkpoint header`);
  },
  call() {
    throw new FormatError('torch.load: a legacy checkpoint header calls a function');
  },
  build() {
    throw new FormatError('torch.load: a legacy checkpoint header builds an object');
  },
  persistentLoad() {
    throw new FormatError('torch.load: a legacy checkpoint header refers to a storage');
  },
};

interface Root {
  ref: StorageRef;
  pid: StoragePid;
  filled: boolean;
}

export function loadLegacy(bytes: Uint8Array, keepFloat64: boolean, budget: LoadBudget): PickleValue {
  let at = 0;
  const next = (hooks: PickleHooks): PickleValue => {
    const r = unpickleFrom(bytes, at, hooks);
    at = r.end;
    return r.value;
  };
  const magic = next(PLAIN);
  if (magic !== MAGIC) throw new FormatError('torch.load: not a PyTorch checkpoint (a pickle without the legacy magic number)');
  const version = next(PLAIN);
  if (version !== PROTOCOL_VERSION) throw new FormatError(`torch.load: legacy protocol version ${String(version)} is not read (only ${PROTOCOL_VERSION})`);
  const sysInfo = next(PLAIN);
  if (sysInfo === null || typeof sysInfo !== 'object' || Array.isArray(sysInfo) || !Object.hasOwn(sysInfo, 'little_endian')) {
    throw new FormatError('torch.load: the legacy sys_info record is malformed');
  }
  if ((sysInfo as Record<string, unknown>).little_endian !== true) throw new FormatError('torch.load: big-endian legacy checkpoints are not read');

  // Storages are named before their data appears: allocate them (sized by the pid, bounded by
  // the file) and fill them after the object pickle.
  const roots = new Map<string, Root>();
  // Every storage's data follows in the file: together they cannot declare more than it holds.
  let declared = 0;
  const views = new Map<string, StorageRef>();
  const hooks = checkpointHooks((pid) => {
    const loaded = loadedDType(pid.type.dtype, keepFloat64);
    let root = roots.get(pid.key);
    if (root === undefined) {
      declared += pid.numel * FILE_DTYPE_BYTES[pid.type.dtype];
      if (declared > bytes.length) {
        throw new FormatError(`torch.load: storage ${pid.key} declares ${pid.numel} elements, more than the file holds (with the storages before it)`);
      }
      budget.charge(pid.numel * LOADED_DTYPE_BYTES[loaded], `storage ${pid.key} (${pid.numel} elements of ${pid.type.className})`);
      root = { ref: new StorageRef(pid.key, loaded, allocStorage(loaded, pid.numel)), pid, filled: false };
      roots.set(pid.key, root);
    } else if (root.ref.dtype !== loaded || root.pid.numel !== pid.numel || root.pid.type.dtype !== pid.type.dtype) {
      throw new FormatError(`torch.load: storage ${pid.key} is used with two different types or sizes`);
    }
    const [view] = pid.rest;
    if (pid.rest.length !== 1) throw new FormatError('torch.load: a legacy persistent id has 6 fields');
    if (view === null) return root.ref;
    if (!Array.isArray(view) || view.length !== 3) throw new FormatError('torch.load: legacy view metadata is not (key, offset, size)');
    const [viewKey, offset, size] = view;
    if (typeof viewKey !== 'string' || typeof offset !== 'number' || typeof size !== 'number' || !Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || offset < 0 || size < 0 || offset + size > pid.numel) {
      throw new FormatError(`torch.load: legacy storage view of ${pid.key} is out of range`);
    }
    let ref = views.get(viewKey);
    if (ref === undefined) {
      ref = new StorageRef(viewKey, loaded, root.ref.storage.subarray(offset, offset + size));
      views.set(viewKey, ref);
    }
    return ref;
  });
  const obj = next(hooks);
  const keys = next(PLAIN);
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw new FormatError('torch.load: the legacy storage key list is malformed');

  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const key of keys as string[]) {
    const root = roots.get(key);
    if (root === undefined) throw new FormatError(`torch.load: legacy storage ${key} has data but no tensor uses it`);
    if (root.filled) throw new FormatError(`torch.load: legacy storage ${key} appears twice`);
    if (at + 8 > bytes.length) throw new FormatError(`torch.load: the data of legacy storage ${key} is missing (truncated?)`);
    const count = dv.getBigUint64(at, true);
    if (count !== BigInt(root.pid.numel)) {
      throw new FormatError(`torch.load: legacy storage ${key} holds ${count} elements, its persistent id says ${root.pid.numel}`);
    }
    at += 8;
    const n = root.pid.numel * FILE_DTYPE_BYTES[root.pid.type.dtype];
    if (at + n > bytes.length) throw new FormatError(`torch.load: the data of legacy storage ${key} runs past the end of the file (truncated?)`);
    // The decoded copy is a temporary as large as the storage: charged too.
    budget.charge(root.pid.numel * LOADED_DTYPE_BYTES[root.ref.dtype], `decoding storage ${key}`);
    root.ref.storage.set(decodeElements(bytes, at, root.pid.numel, root.pid.type.dtype, keepFloat64, `torch.load: storage ${key}`));
    root.filled = true;
    at += n;
  }
  for (const [key, root] of roots) if (!root.filled) throw new FormatError(`torch.load: legacy storage ${key} has no data (truncated?)`);
  if (at !== bytes.length) throw new FormatError(`torch.load: ${bytes.length - at} unexpected bytes after the last legacy storage`);
  return obj;
}
