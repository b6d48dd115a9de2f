/**
 * What every command shares: colour (only when stdout is a terminal, never with NO_COLOR or
 * --no-color), the error classes that choose the exit code, and number formatting.
 *
 * Exit codes: 0 done; 1 failed (a file missing, unreadable, corrupt or of the wrong format, data
 * that cannot be used, a model that does not run); 2 usage (an unknown option, a missing or
 * malformed argument, a constructor string that does not parse); 130 stopped by Ctrl-C.
 */

import pc from 'picocolors';
import { TorchletError } from '../errors.js';
import type { Style } from '../explain/render.js';

/** A failure of the command's job: exit code 1. */
export class CliError extends TorchletError {
  readonly exitCode: number = 1;
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** A command line that cannot be used as given: exit code 2. */
export class UsageError extends CliError {
  override readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Colour functions for stdout: real ones on a terminal, identity otherwise. */
export function styleFor(stream: NodeJS.WriteStream, noColor: boolean): Style & { enabled: boolean } {
  const enabled = !noColor && stream.isTTY === true && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
  const c = pc.createColors(enabled);
  return { enabled, bold: c.bold, dim: c.dim, cyan: c.cyan, yellow: c.yellow, red: c.red, green: c.green };
}

/** Parse "32,100,60" (or "32x100x60", "[32, 100, 60]") into a shape. */
export function parseShape(text: string, what = '--input'): number[] {
  const parts = text.replace(/^[[(]|[\])]$/g, '').split(/[,x\s]+/).filter((p) => p !== '');
  const shape = parts.map(Number);
  if (shape.length === 0 || shape.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new UsageError(`${what} must be a shape of positive integers like 32,100,60, got "${text}"`);
  }
  return shape;
}

/** A positive integer option value, or a UsageError naming the option. */
export function intOption(value: string, name: string, min = 1): number {
  const v = Number(value);
  if (!Number.isInteger(v) || v < min) throw new UsageError(`${name} must be an integer >= ${min}, got "${value}"`);
  return v;
}

/** A number option value in (lo, hi]. */
export function numOption(value: string, name: string, lo = 0, hi = Number.POSITIVE_INFINITY): number {
  const v = Number(value);
  if (!Number.isFinite(v) || v <= lo || v > hi) throw new UsageError(`${name} must be a number in (${lo}, ${hi}], got "${value}"`);
  return v;
}

/** Write a line to stdout. */
export function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Write a JSON value to stdout (pretty, one document). */
export function outJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
