/** Convolution. PyTorch: `torch.nn.functional.conv1d`. */

import { checkOptionalTensor, checkTensor } from '../../tensor/args.js';
import type { Conv1dOptions } from '../../ops/conv.js';
import { conv1d as conv1dOp } from '../../ops/conv.js';
import { defineOptions, opt } from '../../options.js';
import type { Tensor } from '../../tensor/tensor.js';

/** Options of `F.conv1d` (zero padding only; `nn.Conv1d` adds `paddingMode`). PyTorch: the keyword arguments of `torch.nn.functional.conv1d`. */
export type Conv1dFunctionalOptions = Omit<Conv1dOptions, 'paddingMode'>;
/** Run-time check of `Conv1dFunctionalOptions` (src/options.ts). */
export const CONV1D_FUNCTIONAL_OPTIONS = defineOptions<Conv1dFunctionalOptions>('nn.functional.conv1d', {
  stride: opt.int,
  padding: opt.or(opt.int, opt.string),
  dilation: opt.int,
  groups: opt.int,
});

/**
 * PyTorch: `torch.nn.functional.conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)`.
 *
 * Shape (N batch, Cin, Cout, L, G groups, K kernel size):
 * input (N, Cin, L) or (Cin, L); weight (Cout, Cin / G, K); bias (Cout) or null;
 * output (N, Cout, Lout) or (Cout, Lout), Lout = floor((L + 2 padding - dilation (K - 1) - 1) / stride) + 1.
 */
export function conv1d(input: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv1dFunctionalOptions = {}): Tensor {
  checkTensor(input, 'conv1d', 'input', 1);
  checkTensor(weight, 'conv1d', 'weight', 2);
  checkOptionalTensor(bias, 'conv1d', 'bias', 3);
  options = CONV1D_FUNCTIONAL_OPTIONS.parse(options);
  return conv1dOp(input, weight, bias, { ...options, paddingMode: 'zeros' });
}
