/** Convolution layers. PyTorch: `torch.nn.Conv1d`. */

import { ValueError } from '../../errors.js';
import type { PaddingMode } from '../../ops/conv.js';
import { conv1d } from '../../ops/conv.js';
import type { FloatDType } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { kaimingUniformBound, uniformParameter } from './init.js';
import { defineOptions, opt } from '../../options.js';
import { checkTensor } from '../../tensor/args.js';

/** `nn.Conv1d` options. PyTorch: the keyword arguments of `torch.nn.Conv1d`. */
export interface Conv1dLayerOptions {
  /** Default 1. */
  stride?: number | readonly [number];
  /** Zero padding on both sides, `'same'` or `'valid'`. Default 0. */
  padding?: number | readonly [number] | 'same' | 'valid';
  /** Default 1. */
  dilation?: number | readonly [number];
  /** Default 1: every output channel sees every input channel. */
  groups?: number;
  /** Default true. */
  bias?: boolean;
  /** What the padding reads: zeros, a mirror image, the edge value, or the other end. Default 'zeros'. */
  paddingMode?: PaddingMode;
  dtype?: FloatDType;
}
const intOrPair = opt.or(opt.int, opt.named('[integer]', (v) => Array.isArray(v) && v.length === 1 && Number.isInteger(v[0])));
/** Run-time check of `Conv1dLayerOptions` (src/options.ts). */
export const CONV1D_LAYER_OPTIONS = defineOptions<Conv1dLayerOptions>('nn.Conv1d', {
  stride: intOrPair,
  padding: opt.or(intOrPair, opt.string),
  dilation: intOrPair,
  groups: opt.int,
  bias: opt.bool,
  paddingMode: opt.string,
  dtype: opt.string,
});

const one = (v: number | readonly [number]): number => (typeof v === 'number' ? v : v[0]);

/**
 * 1-D convolution over (batch, channels, time). PyTorch: `torch.nn.Conv1d(in_channels,
 * out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, padding_mode='zeros')`.
 *
 * Time is the LAST axis: a recurrent layer's (N, L, H) output must be transposed to (N, H, L)
 * before a Conv1d, and back after it.
 *
 * Shape (N batch, Cin, Cout, L, G groups, K kernel size):
 * - input:  (N, Cin, L) or (Cin, L) unbatched
 * - output: (N, Cout, Lout), Lout = floor((L + 2 padding - dilation (K - 1) - 1) / stride) + 1
 * Parameters: `weight` (Cout, Cin / G, K) and `bias` (Cout), both U(-1/√(Cin/G·K), 1/√(Cin/G·K)).
 */
export class Conv1d extends Module {
  /** `Conv1d`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'Conv1d';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number | 'same' | 'valid';
  readonly dilation: number;
  readonly groups: number;
  readonly paddingMode: PaddingMode;
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly [number], options: Conv1dLayerOptions = {}) {
    super();
    options = CONV1D_LAYER_OPTIONS.parse(options);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = one(kernelSize);
    this.stride = one(options.stride ?? 1);
    const padding = options.padding ?? 0;
    this.padding = typeof padding === 'string' ? padding : one(padding);
    this.dilation = one(options.dilation ?? 1);
    this.groups = options.groups ?? 1;
    this.paddingMode = options.paddingMode ?? 'zeros';
    if (this.groups <= 0) throw new ValueError('groups must be a positive integer');
    if (inChannels % this.groups !== 0) throw new ValueError('in_channels must be divisible by groups');
    if (outChannels % this.groups !== 0) throw new ValueError('out_channels must be divisible by groups');
    if (typeof this.padding === 'string') {
      if (this.padding !== 'same' && this.padding !== 'valid') {
        throw new ValueError(`Invalid padding string '${this.padding}', should be one of {'valid', 'same'}`);
      }
      if (this.padding === 'same' && this.stride !== 1) {
        throw new ValueError("padding='same' is not supported for strided convolutions");
      }
    }
    const modes: readonly string[] = ['zeros', 'reflect', 'replicate', 'circular'];
    if (!modes.includes(this.paddingMode)) {
      throw new ValueError(
        `padding_mode must be one of {'reflect', 'replicate', 'zeros', 'circular'}, but got padding_mode='${this.paddingMode}'`,
      );
    }
    const dtype = options.dtype ?? 'float32';
    const bound = kaimingUniformBound((inChannels / this.groups) * this.kernelSize);
    this.weight = this.registerParameter(
      'weight',
      uniformParameter([outChannels, inChannels / this.groups, this.kernelSize], bound, dtype),
    );
    this.bias = this.registerParameter('bias', options.bias ?? true ? uniformParameter([outChannels], bound, dtype) : null);
  }

  forward(input: Tensor): Tensor {
    checkTensor(input, 'forward', 'input', 1);
    return conv1d(input, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
      paddingMode: this.paddingMode,
    });
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=(${this.kernelSize},), stride=(${this.stride},)`;
    if (typeof this.padding === 'string') s += `, padding=${this.padding}`;
    else if (this.padding !== 0) s += `, padding=(${this.padding},)`;
    if (this.dilation !== 1) s += `, dilation=(${this.dilation},)`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=False';
    if (this.paddingMode !== 'zeros') s += `, padding_mode=${this.paddingMode}`;
    return s;
  }
}
