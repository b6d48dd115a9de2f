/**
 * Writing output files so that a failure never leaves a partial one: bytes go to a temporary file
 * beside the destination, are flushed, optionally checked, and only then renamed over it.
 */

import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CliError } from './ui.js';

let counter = 0;

/**
 * Write `bytes` to `path` atomically; `check(tmpPath)` (if given) runs on the written temporary
 * file before the rename, and a throw from it removes the temporary file and leaves `path` as it
 * was.
 */
export async function writeChecked(path: string, bytes: Uint8Array | string, check?: (tmpPath: string) => void | Promise<void>): Promise<void> {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new CliError(`cannot create the folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    let at = 0;
    while (at < data.length) at += writeSync(fd, data, at, data.length - at);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    if (check) await check(tmp);
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    if (e instanceof CliError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw code ? new CliError(`cannot write ${path}: ${code}`) : e;
  }
}

/** Synchronous atomic write (for the training checkpoint, written between batches). */
export function writeAtomicSync(path: string, bytes: Uint8Array | string): void {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    let at = 0;
    while (at < data.length) at += writeSync(fd, data, at, data.length - at);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    const code = (e as NodeJS.ErrnoException).code;
    throw code ? new CliError(`cannot write ${path}: ${code}`) : e;
  }
}
