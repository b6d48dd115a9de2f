/** Assertions for PyTorch-worded typed errors, shared by the error tests. */

import { expect } from 'vitest';
import { TorchletError } from '../../src/index.js';

/** What `fn` throws, or null when it returns. */
function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return null;
}

/** The error `fn` throws, checked to be a `cls` when given; the test fails when `fn` throws nothing. */
export function thrown<E extends Error = Error>(fn: () => unknown, cls?: abstract new (...a: never[]) => E): E {
  const err = caught(fn);
  if (err === null) return expect.fail('expected an error');
  if (cls) expect(err, String(err)).toBeInstanceOf(cls);
  return err as E;
}

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
  const err = caught(fn);
  expect(err, `expected ${cls.name}: ${String(text)}`).toBeInstanceOf(cls);
  const e = err as Error & { pytorchType?: string };
  if (typeof text === 'string') expect(e.message.startsWith(text), `message was: ${e.message}`).toBe(true);
  else expect(e.message).toMatch(text);
  if (pytorchType) expect(e.pytorchType).toBe(pytorchType);
  return e;
}

/** An error case recorded from PyTorch by a fixture script: the exception's class name and message. */
export interface PyTorchErrorCase {
  readonly type: string;
  readonly message: string;
}

/**
 * Expect `call` (the torchlet twin of a PyTorch error case; undefined when the test has none) to
 * throw a TorchletError whose `pytorchType` is the case's and whose message is PyTorch's, exactly
 * or, with `prefix`, followed by a hint. Returns the error.
 */
export function expectPyTorchError(call: (() => unknown) | undefined, want: PyTorchErrorCase, match: 'exact' | 'prefix' = 'exact'): TorchletError {
  expect(call, 'a call for every PyTorch case').toBeDefined();
  const err = caught(call!);
  expect(err).toBeInstanceOf(TorchletError);
  const e = err as TorchletError;
  if (match === 'exact') expect(e.message).toBe(want.message);
  else expect(e.message.startsWith(want.message), `got: ${e.message}`).toBe(true);
  expect(e.pytorchType).toBe(want.type);
  return e;
}
