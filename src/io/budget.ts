/**
 * The loaders' memory budget: every byte a file can make a loader allocate (inflated zip entries,
 * decoded storages and tensors) is charged here before it is allocated, so a small hostile file
 * cannot claim gigabytes. No PyTorch twin (PyTorch's `torch.load` has no such limit).
 *
 * The default is the larger of 1 GiB and 20 times the file's size: a real checkpoint decodes to
 * at most 4 times its size (int8 widening to int32), so only files that lie about their contents
 * come near it. Every loader takes `{ maxBytes }` to raise or lower it.
 */
import { SizeError, ValueError } from '../errors.js';
import { fmtBytes } from '../tensor/limits.js';

/** 1 GiB: the smallest default budget. */
export const MIN_DEFAULT_MAX_BYTES = 2 ** 30;
/** The default budget is at least this many times the file's size. */
export const DEFAULT_MAX_BYTES_PER_FILE_BYTE = 20;

/** The budget `maxBytes` gives for a file of `fileBytes` bytes (default: max(1 GiB, 20 x size)). */
export function defaultMaxBytes(fileBytes: number): number {
  return Math.max(MIN_DEFAULT_MAX_BYTES, DEFAULT_MAX_BYTES_PER_FILE_BYTE * fileBytes);
}

/** Counts the bytes a load allocates against its limit. */
export class LoadBudget {
  private used = 0;

  /**
   * @param limit bytes this load may allocate
   * @param call how the user called the loader, for the hint (`torch.load(bytes, { maxBytes })`)
   */
  constructor(
    readonly limit: number,
    private readonly call: { what: string; example: string },
  ) {}

  /** Charge `bytes` for `item` (e.g. "storage 3"); throws SizeError, before anything is allocated, past the limit. */
  charge(bytes: number, item: string): void {
    const total = this.used + bytes;
    if (!Number.isFinite(total) || total > this.limit) {
      const raise = 2 ** Math.ceil(Math.log2(Math.max(total, 1)));
      throw new SizeError(
        `${this.call.what}: can't allocate memory: you tried to allocate ${fmtBytes(bytes)} for ${item}, which with the ${fmtBytes(this.used)} ` +
          `already allocated passes this load's limit maxBytes = ${fmtBytes(this.limit)} (default: the larger of 1 GiB and 20 times the file's size; ` +
          `a file that claims far more than it holds is refused). If you trust this file, raise the limit: ${this.call.example.replace('N', String(raise))}`,
        { bytes },
      );
    }
    this.used = total;
  }

  /** Bytes charged so far (tests). */
  get allocated(): number {
    return this.used;
  }
}

/** Check a `maxBytes` option's value (a positive number of bytes, Infinity allowed). */
export function checkMaxBytes(v: number | undefined, what: string): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || Number.isNaN(v) || v <= 0) {
    throw new ValueError(`${what}: maxBytes must be a positive number of bytes, got ${String(v)}`);
  }
}
