/**
 * The engine's allocation limits, checked before anything is allocated so that a size too large
 * is a `SizeError` (PyTorch: RuntimeError "can't allocate memory: you tried to allocate N bytes")
 * naming the elements and bytes asked for, never V8's raw "Invalid typed array length".
 */

import { SizeError } from '../errors.js';

/**
 * The most elements one typed array may hold: 2^32 in V8 on 64-bit machines (Node ≥ 20, Chrome).
 * Engines with a lower limit (or too little memory) make the constructor throw a RangeError,
 * which `allocChecked` turns into the same SizeError.
 */
export const MAX_ELEMENTS = 2 ** 32;

/** A byte count as people read it: `16000000000000 bytes (14.6 TiB)`. */
export function fmtBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u < 0 ? `${bytes} bytes` : `${bytes} bytes (${v.toFixed(1)} ${units[u]})`;
}

/**
 * Refuse `elements` elements of `bytesPerElement` bytes each (for `what`, e.g. "a float32
 * tensor") when they exceed the typed-array limit or are not a size at all.
 */
export function checkAllocation(elements: number, bytesPerElement: number, what: string): void {
  if (Number.isSafeInteger(elements) && elements >= 0 && elements <= MAX_ELEMENTS) return;
  const bytes = elements * bytesPerElement;
  throw new SizeError(
    `can't allocate memory: you tried to allocate ${fmtBytes(bytes)} for ${what} of ${elements} elements; ` +
      `the engine's limit is ${MAX_ELEMENTS} elements per tensor (and the machine's memory). Use smaller sizes.`,
    { elements, bytes },
  );
}

/** `new Ctor(n)` with the limit checked first and an engine's own RangeError turned into a SizeError. */
export function allocChecked<T>(make: (n: number) => T, n: number, bytesPerElement: number, what: string): T {
  checkAllocation(n, bytesPerElement, what);
  try {
    return make(n);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const bytes = n * bytesPerElement;
    throw new SizeError(
      `can't allocate memory: you tried to allocate ${fmtBytes(bytes)} for ${what} of ${n} elements, and the JavaScript engine refused (${e.message}).`,
      { elements: n, bytes },
    );
  }
}
