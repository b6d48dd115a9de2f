/** Whether operations are being recorded for backward. PyTorch: `torch.is_grad_enabled()`. */

let enabled = true;

/** PyTorch: `torch.is_grad_enabled()`. */
export function isGradEnabled(): boolean {
  return enabled;
}

/**
 * Run `fn` with recording off: results have no grad_fn and `requiresGrad` false.
 * PyTorch: `with torch.no_grad(): ...`.
 */
export function noGrad<T>(fn: () => T): T {
  const prev = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}

/** Run `fn` with recording on, even inside `noGrad`. PyTorch: `torch.enable_grad()`. */
export function enableGrad<T>(fn: () => T): T {
  const prev = enabled;
  enabled = true;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}

/** PyTorch: `torch.set_grad_enabled(mode)`. */
export function setGradEnabled(mode: boolean): void {
  enabled = mode;
}
