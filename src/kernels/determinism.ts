/**
 * Deterministic mode. PyTorch twin: `torch.use_deterministic_algorithms(mode, *, warn_only=False)`
 * and `torch.are_deterministic_algorithms_enabled()`.
 *
 * What torchlet guarantees with it on: the same inputs, weights and `manualSeed` give the same
 * bits on every run on the same machine, whatever `setNumThreads` says. Every kernel is already
 * run-to-run deterministic (no atomics, no racing sums); what the thread count could change is
 * the order of a sum: a one-direction LSTM/GRU layer splits its batch rows across threads, and a
 * row's products then fall into other 4-row tiles of the GEMM, which sum in another order (a
 * rounding difference, about 1e-7 relative). In deterministic mode threads only run the two
 * directions of a bidirectional layer side by side (each direction computes exactly what it
 * computes alone) and split weight-gradient products by output columns (each column's sum is the
 * same on any thread), never batch rows.
 *
 * What it does not promise (as PyTorch): the same bits across kernel tiers (`setKernelPreference`:
 * 'ref' sums in float64, 'simd' and 'relaxed' in float32, 'relaxed' with fused multiply-adds),
 * across machines, or across torchlet versions. README "Determinism" gives the measured sizes.
 */
import { ArgumentTypeError, typeName } from '../errors.js';
import { defineOptions, opt } from '../options.js';

const state = { on: false, warnOnly: false };

/** Options of `useDeterministicAlgorithms`. PyTorch: its `warn_only=` keyword argument. */
export interface DeterministicOptions {
  /** Warn instead of throwing where an op has no deterministic implementation (none in torchlet). */
  warnOnly?: boolean;
}
/** @internal The run-time check of `DeterministicOptions` (src/options.ts). */
export const DETERMINISTIC_OPTIONS = defineOptions<DeterministicOptions>('useDeterministicAlgorithms', { warnOnly: opt.bool });

/**
 * Turn deterministic mode on or off. PyTorch: `torch.use_deterministic_algorithms(mode,
 * warn_only=...)`. `warnOnly` is accepted and kept for PyTorch parity; torchlet has no
 * operation without a deterministic implementation, so nothing ever warns or throws.
 */
export function useDeterministicAlgorithms(mode: boolean, options: DeterministicOptions = {}): void {
  if (typeof mode !== 'boolean') {
    throw new ArgumentTypeError(
      `use_deterministic_algorithms(): argument 'mode' (position 1) must be bool, not ${typeName(mode)}. Hint: pass true or false.`);
  }
  const warnOnly = DETERMINISTIC_OPTIONS.parse(options).warnOnly ?? false;
  state.on = mode;
  state.warnOnly = mode && warnOnly;
}

/** Whether deterministic mode is on. PyTorch: `torch.are_deterministic_algorithms_enabled()`. */
export function areDeterministicAlgorithmsEnabled(): boolean {
  return state.on;
}

/** PyTorch: `torch.is_deterministic_algorithms_warn_only_enabled()`. */
export function isDeterministicAlgorithmsWarnOnlyEnabled(): boolean {
  return state.warnOnly;
}
