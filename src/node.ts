/**
 * Node-only file helpers: `import { loadSafetensorsFile, saveSafetensorsFile, loadFile, saveFile } from 'torchlet/node'`.
 *
 * The main entry point works on bytes in any runtime; this one adds `node:fs`. Writes are
 * atomic: the bytes go to a temporary file in the destination's directory, are flushed to disk
 * (fsync), and the temporary file is renamed over the destination, so a crash or a failed
 * write never leaves a truncated file where a good one was.
 */

import './runtime.js'; // first: refuses a Node.js that is too old, with a clear message
import './ops/methods/index.js'; // installs the Tensor methods (x.matmul(w), ...) on tensors loaded here
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { LoadOptions } from './io/checkpoint.js';
import { load } from './io/checkpoint.js';
import { save } from './io/save.js';
import type { PickleValue } from './io/pickle.js';
import type { LoadSafetensorsOptions, SafetensorsFile, SaveSafetensorsOptions } from './io/safetensors.js';
import { loadSafetensors, saveSafetensors } from './io/safetensors.js';
import type { Tensor } from './tensor/tensor.js';

/** Read and parse a `.safetensors` file. PyTorch twin: `safetensors.torch.load_file(path)` (plus the metadata). */
export function loadSafetensorsFile(path: string, options?: LoadSafetensorsOptions): SafetensorsFile {
  return loadSafetensors(readFileSync(path), options);
}

/**
 * Write tensors as a `.safetensors` file, atomically. PyTorch twin:
 * `safetensors.torch.save_file(tensors, path, metadata)`.
 *
 *   saveSafetensorsFile('model.safetensors', model.stateDict());
 */
export function saveSafetensorsFile(path: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>, options?: SaveSafetensorsOptions): void {
  writeFileAtomic(path, saveSafetensors(tensors, metadata, options));
}

/**
 * Read a PyTorch checkpoint (`.pt`/`.pth` written by `torch.save`) with nothing executed.
 * PyTorch: `torch.load(path, map_location='cpu', weights_only=True)`.
 */
export function loadFile(path: string, options?: LoadOptions): PickleValue {
  return load(readFileSync(path), options);
}

/**
 * Write a PyTorch checkpoint file, atomically. PyTorch: `torch.save(obj, path)`.
 *
 *   saveFile('model.pt', model.stateDict());
 */
export function saveFile(path: string, obj: PickleValue): void {
  writeFileAtomic(path, save(obj));
}

let counter = 0;

/**
 * Write `bytes` to `path` atomically: a temporary file beside it, fsync, then rename over
 * `path`. On any failure the temporary file is removed and `path` is left as it was.
 * No PyTorch twin.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.${counter++}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    let at = 0;
    while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the original error is the one to report
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // the temporary file may never have been created
    }
    throw e;
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
}
