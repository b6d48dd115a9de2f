/**
 * 1-D convolution as one autograd op. PyTorch: `torch.conv1d` / `torch.nn.functional.conv1d`
 * (and the padding modes of `torch.nn.Conv1d`). The arithmetic is im2col + the backend's GEMM
 * (src/kernels/ref/conv.ts); forward and backward sit side by side here.
 *
 * Shape (N batch, Cin, Cout, L, Lout, G groups, K kernel size):
 * - input:  (N, Cin, L), or (Cin, L) unbatched
 * - weight: (Cout, Cin / G, K)
 * - bias:   (Cout) or null
 * - output: (N, Cout, Lout), or (Cout, Lout) unbatched, with
 *   Lout = floor((L + padLeft + padRight - dilation * (K - 1) - 1) / stride) + 1
 */

import { record } from '../autograd/node.js';
import { DTypeError, RuntimeError, ShapeError, ValueError } from '../errors.js';
import { backend } from '../kernels/backend.js';
import type { Conv1dShape, PaddingMode } from '../kernels/ref/conv.js';
import { conv1dBackward, conv1dForward } from '../kernels/ref/conv.js';
import type { FloatStorage } from '../tensor/dtype.js';
import { allocStorage, isFloat } from '../tensor/dtype.js';
import { fmtShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { squeezeDims, unsqueeze } from './shape.js';
import { contiguous } from './util.js';

export type { PaddingMode };

export interface Conv1dOptions {
  /** Step between output positions. Default 1. */
  stride?: number;
  /**
   * Implicit padding on both sides (a number), `'valid'` (none) or `'same'` (output length =
   * input length; stride must be 1; an odd total goes on the right, as PyTorch). Default 0.
   */
  padding?: number | 'same' | 'valid';
  /** Spacing between kernel taps. Default 1. */
  dilation?: number;
  /** Split channels into `groups` independent convolutions. Default 1. */
  groups?: number;
  /** What the padding reads. Default `'zeros'`. PyTorch: `Conv1d(padding_mode=...)`. */
  paddingMode?: PaddingMode;
}

function floatData(t: Tensor): FloatStorage {
  return contiguous(t.detach()).contiguousData() as FloatStorage;
}

/** [padLeft, padRight] for a padding option, as PyTorch's `_ConvNd` computes them. */
export function conv1dPadding(padding: number | 'same' | 'valid', k: number, dilation: number): [number, number] {
  if (padding === 'valid') return [0, 0];
  if (padding === 'same') {
    const total = dilation * (k - 1);
    const left = Math.floor(total / 2);
    return [left, total - left];
  }
  return [padding, padding];
}

/** PyTorch: `torch.nn.functional.conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)`. */
export function conv1d(input: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv1dOptions = {}): Tensor {
  if (input.ndim !== 2 && input.ndim !== 3) {
    throw new ShapeError(
      `Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: ${fmtShape(input.shape)}`,
    );
  }
  if (input.ndim === 2) return squeezeDims(conv1dBatched(unsqueeze(input, 0), weight, bias, options, input.shape), [0]);
  return conv1dBatched(input, weight, bias, options, input.shape);
}

/** conv1d on (N, Cin, L); `userShape` is the caller's input shape, for messages. */
function conv1dBatched(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  options: Conv1dOptions,
  userShape: readonly number[],
): Tensor {
  const stride = options.stride ?? 1;
  const padding = options.padding ?? 0;
  const dilation = options.dilation ?? 1;
  const groups = options.groups ?? 1;
  const mode = options.paddingMode ?? 'zeros';
  if (!isFloat(input.dtype) || !isFloat(weight.dtype)) {
    throw new DTypeError(`"slow_conv2d_cpu" not implemented for 'Int'`);
  }
  if (input.dtype !== weight.dtype || (bias !== null && bias.dtype !== input.dtype)) {
    throw new DTypeError(
      `expected scalar type ${input.dtype === 'float64' ? 'Double' : 'Float'} but found ${(weight.dtype !== input.dtype ? weight.dtype : bias!.dtype) === 'float64' ? 'Double' : 'Float'}`,
    );
  }
  if (weight.ndim < 3) throw new ShapeError('weight should have at least three dimensions');
  if (weight.ndim !== 3) {
    throw new ShapeError(
      `Expected ${weight.ndim}-dimensional input for ${weight.ndim}-dimensional weight ${fmtShape(weight.shape)}, but got 3-dimensional input of size ${fmtShape(input.shape)} instead`,
    );
  }
  if (typeof padding === 'string' && padding !== 'same' && padding !== 'valid') {
    throw new ValueError(`Invalid padding string '${padding}', should be one of {'valid', 'same'}`);
  }
  if (padding === 'same' && stride !== 1) throw new ValueError("padding='same' is not supported for strided convolutions");
  if (!Number.isInteger(stride) || stride <= 0) throw new RuntimeError('non-positive stride is not supported');
  if (!Number.isInteger(dilation) || dilation <= 0) throw new RuntimeError('dilation should be greater than zero');
  if (typeof padding === 'number' && (!Number.isInteger(padding) || padding < 0)) {
    throw new RuntimeError('negative padding is not supported');
  }
  if (!Number.isInteger(groups) || groups <= 0) throw new RuntimeError('non-positive groups is not supported');
  const [n, cin, l] = input.shape as [number, number, number];
  const [cout, cg, k] = weight.shape as [number, number, number];
  if (cout % groups !== 0) {
    throw new ShapeError(
      `Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size [${fmtShape(weight.shape)}] instead`,
    );
  }
  if (cg * groups !== cin) {
    throw new ShapeError(
      `Given groups=${groups}, weight of size ${fmtShape(weight.shape)}, expected input${fmtShape(input.shape)} to have ${cg * groups} channels, but got ${cin} channels instead`,
    );
  }
  if (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== cout)) {
    throw new ShapeError(
      `Given weight of size ${fmtShape(weight.shape)}, expected bias to be 1-dimensional with ${cout} elements, but got bias of size ${fmtShape(bias.shape)} instead`,
    );
  }
  const [padLeft, padRight] = conv1dPadding(padding, k, dilation);
  const span = dilation * (k - 1) + 1;
  if (l + padLeft + padRight < span) {
    throw new ShapeError(
      `Calculated padded input size per channel: (${l + padLeft + padRight}). Kernel size: (${span}). Kernel size can't be greater than actual input size`,
    );
  }
  if (mode === 'reflect' && (padLeft >= l || padRight >= l)) {
    throw new ShapeError(
      `Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (${padLeft}, ${padRight}) at dimension ${userShape.length - 1} of input ${fmtShape(userShape)}`,
    );
  }
  if (mode === 'circular' && (padLeft > l || padRight > l)) {
    throw new ShapeError('Padding value causes wrapping around more than once.');
  }
  const lout = Math.floor((l + padLeft + padRight - span) / stride) + 1;
  const s: Conv1dShape = { n, cin, l, cout, k, lout, stride, padLeft, dilation, groups, paddingMode: mode };
  const x = floatData(input);
  const w = floatData(weight);
  const b = bias === null ? null : floatData(bias);
  const out = allocStorage(input.dtype, n * cout * lout) as FloatStorage;
  conv1dForward(backend().gemm, s, x, w, b, out);
  const y = new Tensor(out, [n, cout, lout], input.dtype);
  const inputs = bias === null ? [input, weight] : [input, weight, bias];
  return record('ConvolutionBackward0', inputs, y, ([g]) => {
    const grads = {
      dinp: input.requiresGrad ? (allocStorage(input.dtype, input.numel()) as FloatStorage) : null,
      dweight: weight.requiresGrad ? (allocStorage(weight.dtype, weight.numel()) as FloatStorage) : null,
      dbias: bias?.requiresGrad ? (allocStorage(bias.dtype, cout) as FloatStorage) : null,
    };
    conv1dBackward(backend().gemm, s, x, w, floatData(g!), grads);
    const wrap = (d: FloatStorage | null, like: Tensor): Tensor | null => (d === null ? null : new Tensor(d, like.shape, like.dtype));
    const gi = [wrap(grads.dinp, input), wrap(grads.dweight, weight)];
    if (bias !== null) gi.push(wrap(grads.dbias, bias));
    return gi;
  }, [input, weight], 'raw');
}
