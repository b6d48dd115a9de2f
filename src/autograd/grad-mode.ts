/** Whether operations are being recorded for backward. PyTorch: `torch.is_grad_enabled()`. */
import { ArgumentTypeError, typeName } from '../errors.js';

let enabled = true;

/** PyTorch: `torch.is_grad_enabled()`. */
export function isGradEnabled(): boolean {
  return enabled;
}

/**
 * Run `fn` with recording set to `mode`, then restore it, even when `fn` throws: what `noGrad` and
 * `enableGrad` share (a JavaScript twin of Python's `with` block). `where` names the caller in messages.
 */
function withGradMode<T>(mode: boolean, fn: () => T, where: string): T {
  if (typeof fn !== 'function') {
    throw new ArgumentTypeError(`${where}(): argument 'fn' (position 1) must be a function to run (torch.noGrad(() => ...)), not ${typeName(fn)}`);
  }
  const prev = enabled;
  enabled = mode;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}

/**
 * Run `fn` with recording off: results have no grad_fn and `requiresGrad` false.
 * PyTorch: `with torch.no_grad(): ...`.
 */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn, 'noGrad');
}

/** Run `fn` with recording on, even inside `noGrad`. PyTorch: `torch.enable_grad()`. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn, 'enableGrad');
}

/** PyTorch: `torch.set_grad_enabled(mode)`. */
export function setGradEnabled(mode: boolean): void {
  if (typeof mode !== 'boolean') {
    throw new ArgumentTypeError(`set_grad_enabled(): argument 'mode' (position 1) must be bool, not ${typeName(mode)}`);
  }
  enabled = mode;
}
