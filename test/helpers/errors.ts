/** One assertion for PyTorch-worded typed errors, shared by the error tests. */

import { expect } from 'vitest';

/**
 * Expect `fn` to throw an instance of `cls` whose message starts with PyTorch's `text` (or matches
 * a RegExp), and, when given, whose `pytorchType` names PyTorch's exception class. Returns the error.
 */
export function expectError(
  fn: () => unknown,
  cls: new (...a: never[]) => Error,
  text: string | RegExp,
  pytorchType?: string,
): Error {
  let err: unknown = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${cls.name}: ${String(text)}`).toBeInstanceOf(cls);
  const e = err as Error & { pytorchType?: string };
  if (typeof text === 'string') expect(e.message.startsWith(text), `message was: ${e.message}`).toBe(true);
  else expect(e.message).toMatch(text);
  if (pytorchType) expect(e.pytorchType).toBe(pytorchType);
  return e;
}
