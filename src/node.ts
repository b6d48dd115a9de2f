/**
 * Node-only file helpers: `import { loadSafetensorsFile, saveSafetensorsFile, loadFile, saveFile } from 'torchlet/node'`.
 *
 * Writes are atomic: a temporary file in the target's folder (`.torchlet-<hash>-<host>-<pid>-<random>.tmp`,
 * fixed length), fsync, rename over the target; a successful save removes the temporary files of
 * that target left by killed writers on this host. File-system errors are a RuntimeError with
 * the path, `code` and `cause`.
 */

import './runtime.js'; // first: refuses a Node.js that is too old, with a clear message
import './ops/methods/index.js'; // installs the Tensor methods (x.matmul(w), ...) on tensors loaded here
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { RuntimeError } from './errors.js';
import type { LoadOptions } from './io/checkpoint.js';
import { load } from './io/checkpoint.js';
import { save } from './io/save.js';
import type { PickleValue } from './io/pickle.js';
import type { LoadSafetensorsOptions, SafetensorsFile, SaveSafetensorsOptions } from './io/safetensors.js';
import { loadSafetensors, saveSafetensors } from './io/safetensors.js';
import type { Tensor } from './tensor/tensor.js';

/** Read and parse a `.safetensors` file. PyTorch twin: `safetensors.torch.load_file(path)` (plus the metadata). */
export function loadSafetensorsFile(path: string, options?: LoadSafetensorsOptions): SafetensorsFile {
  return loadSafetensors(readBytes(path, 'loadSafetensorsFile'), options);
}

/**
 * Write tensors as a `.safetensors` file, atomically. PyTorch twin:
 * `safetensors.torch.save_file(tensors, path, metadata)`.
 *
 *   saveSafetensorsFile('model.safetensors', model.stateDict());
 */
export function saveSafetensorsFile(path: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>, options?: SaveSafetensorsOptions): void {
  const bytes = saveSafetensors(tensors, metadata, options);
  commit(writeTemp(path, bytes, 'saveSafetensorsFile'), path, 'saveSafetensorsFile');
}

/**
 * Read a PyTorch checkpoint (`.pt`/`.pth` written by `torch.save`) with nothing executed.
 * PyTorch: `torch.load(path, map_location='cpu', weights_only=True)`.
 */
export function loadFile(path: string, options?: LoadOptions): PickleValue {
  return load(readBytes(path, 'loadFile'), options);
}

/**
 * Write a PyTorch checkpoint file, atomically. PyTorch: `torch.save(obj, path)`.
 *
 *   saveFile('model.pt', model.stateDict());
 */
export function saveFile(path: string, obj: PickleValue): void {
  const bytes = save(obj);
  commit(writeTemp(path, bytes, 'saveFile'), path, 'saveFile');
}

/** A file system error as the library's typed error: the path, the system's message, and the error itself as `cause`. */
function fsError(what: string, message: string, path: string, cause: unknown): RuntimeError {
  const err = new RuntimeError(`${what}: ${message}`);
  Object.defineProperty(err, 'cause', { value: cause, enumerable: false, writable: true, configurable: true });
  Object.defineProperty(err, 'path', { value: path, enumerable: true });
  const code = (cause as NodeJS.ErrnoException | null)?.code;
  if (code) Object.defineProperty(err, 'code', { value: code, enumerable: true });
  return err;
}

function readBytes(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // Python's wording: FileNotFoundError: [Errno 2] No such file or directory: 'x.pt'
    const message = code === 'ENOENT' ? `No such file or directory: '${path}'` : `cannot read '${path}' (${(e as Error).message})`;
    throw fsError(what, message, path, e);
  }
}

/** What every temporary file of torchlet's atomic writes starts with. */
const TEMP_PREFIX = '.torchlet-';

const hex = (s: string, n: number): string => createHash('sha256').update(s).digest('hex').slice(0, n);
let hostTag: string | null = null;
const host = (): string => (hostTag ??= hex(hostname(), 8));

/** The temporary files of `target` (a file name in one directory) share this prefix, whatever the writer. */
function tempStem(target: string): string {
  return `${TEMP_PREFIX}${hex(target, 16)}-`;
}

/** A fresh temporary name for `path`, fixed-length: `.torchlet-<16 hex>-<8 hex host>-<10-digit pid>-<8 hex>.tmp`. */
function tempPath(path: string): string {
  return join(dirname(path), `${tempStem(basename(path))}${host()}-${String(process.pid).padStart(10, '0')}-${randomBytes(4).toString('hex')}.tmp`);
}

/** Whether process `pid` runs on this host (EPERM: it runs, as another user). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove temporary files of `path` left by killed writers (same host, process gone); best effort. */
function removeStaleTemps(path: string): void {
  const dir = dirname(path);
  const stem = tempStem(basename(path));
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const mine = `${host()}-`;
  for (const name of names) {
    if (!name.startsWith(stem) || !name.endsWith('.tmp') || name.length !== stem.length + 32) continue;
    const rest = name.slice(stem.length);
    if (!rest.startsWith(mine)) continue; // another host's writer: we cannot tell whether it runs
    const pid = Number(rest.slice(9, 19));
    if (!Number.isSafeInteger(pid) || pid === process.pid || running(pid)) continue;
    try {
      unlinkSync(join(dir, name));
    } catch {
      // gone already, or not ours to remove
    }
  }
}

/** The temporary file written and flushed; the caller renames or removes it. */
function writeTemp(path: string, bytes: Uint8Array, what: string): string {
  const tmp = tempPath(path);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    let at = 0;
    while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    return tmp;
  } catch (e) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the original error is the one to report
      }
    }
    discard(tmp);
    const code = (e as NodeJS.ErrnoException).code;
    // PyTorch's wording (torch.save): "Parent directory x does not exist." / "File x cannot be opened."
    const message =
      code === 'ENOENT' ? `Parent directory ${dirname(path)} does not exist.` : `File ${path} cannot be written (${(e as Error).message}); the old file, if any, is unchanged.`;
    throw fsError(what, message, path, e);
  }
}

function discard(tmp: string): void {
  try {
    unlinkSync(tmp);
  } catch {
    // the temporary file may never have been created
  }
}

/** Rename the temporary file over `path`, make the rename durable, and clear stale temporaries. */
function commit(tmp: string, path: string, what: string): void {
  try {
    renameSync(tmp, path);
  } catch (e) {
    discard(tmp);
    throw fsError(what, `File ${path} cannot be replaced (${(e as Error).message}); the old file, if any, is unchanged.`, path, e);
  }
  // Make the rename itself durable where the platform allows opening a directory.
  try {
    const dfd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Windows cannot fsync a directory; the rename is still atomic.
  }
  removeStaleTemps(path);
}

/**
 * Write `bytes` to `path` atomically (temporary file, fsync, rename). On failure `path` is left as
 * it was, no temporary file remains, and a RuntimeError names the path. No PyTorch twin.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  commit(writeTemp(path, bytes, 'writeFileAtomic'), path, 'writeFileAtomic');
}

/** `writeFileAtomic` with `check(tmpPath)` run before the rename (a throw aborts it). Internal (the CLI). @internal */
export async function writeFileAtomicChecked(path: string, bytes: Uint8Array, check?: (tmpPath: string) => void | Promise<void>, what = 'writeFileAtomic'): Promise<void> {
  const tmp = writeTemp(path, bytes, what);
  if (check) {
    try {
      await check(tmp);
    } catch (e) {
      discard(tmp);
      throw e;
    }
  }
  commit(tmp, path, what);
}
