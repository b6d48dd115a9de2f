/**
 * Writing output files so that a failure never leaves a partial one: torchlet/node's atomic
 * write (a temporary file beside the destination, flushed, optionally checked, then renamed over
 * it; stale temporaries of killed writers removed), with its errors as the CLI's one-line errors.
 */

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { RuntimeError } from '../errors.js';
import { writeFileAtomic, writeFileAtomicChecked } from '../node.js';
import { CliError } from './ui.js';

function folder(path: string): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new CliError(`cannot create the folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** The file system's error (a RuntimeError from torchlet/node with the cause's code) as a one-line CLI error. */
function cliError(path: string, e: unknown): unknown {
  if (!(e instanceof RuntimeError)) return e;
  const code = (e as { code?: string }).code;
  return code ? new CliError(`cannot write ${path}: ${code}`) : e;
}

/**
 * Write `bytes` to `path` atomically; `check(tmpPath)` (if given) runs on the written temporary
 * file before the rename, and a throw from it removes the temporary file and leaves `path` as it
 * was.
 */
export async function writeChecked(path: string, bytes: Uint8Array | string, check?: (tmpPath: string) => void | Promise<void>): Promise<void> {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  folder(path);
  try {
    await writeFileAtomicChecked(path, data, check, 'torchlet');
  } catch (e) {
    throw cliError(path, e);
  }
}

/** Synchronous atomic write (for the training checkpoint, written between batches). */
export function writeAtomicSync(path: string, bytes: Uint8Array | string): void {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  folder(path);
  try {
    writeFileAtomic(path, data);
  } catch (e) {
    throw cliError(path, e);
  }
}
