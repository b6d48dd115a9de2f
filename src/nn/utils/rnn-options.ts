/**
 * The options of `torch.nn.utils.rnn`'s functions (src/nn/utils/rnn.ts) and their run-time checks,
 * apart from the functions: the Node bundle loads the functions at their first call
 * (tools/finish-build.mjs), while these checks, which `torch.nn.utils.rnn` also shows, stay loaded.
 */

import { defineOptions, opt } from '../../options.js';
import type { Tensor } from '../../tensor/tensor.js';

/** Sequence lengths: a plain array of whole numbers or a 1-D int64 (or int32) tensor. PyTorch: the `lengths` argument of `torch.nn.utils.rnn.pack_padded_sequence`. */
export type Lengths = readonly number[] | Tensor;

/** PyTorch: the keyword arguments of `torch.nn.utils.rnn.pack_padded_sequence`. */
export interface PackPaddedSequenceOptions {
  /** Input is (N, L, *) instead of (L, N, *). Default false. */
  batchFirst?: boolean;
  /** Require lengths sorted in decreasing order (needed only for ONNX export). Default true. */
  enforceSorted?: boolean;
}
/** @internal Run-time checks of the options of this file (src/options.ts), declared beside each type. */
export const PACK_PADDED_SEQUENCE_OPTIONS = defineOptions<PackPaddedSequenceOptions>('nn.utils.rnn.packPaddedSequence', {
  batchFirst: opt.bool,
  enforceSorted: opt.bool,
});

/** PyTorch: the keyword arguments of `torch.nn.utils.rnn.pad_packed_sequence`. */
export interface PadPackedSequenceOptions {
  /** Output (N, L, *) instead of (L, N, *). Default false. */
  batchFirst?: boolean;
  /** Value of padded positions. Default 0. */
  paddingValue?: number;
  /** Pad to this length instead of the longest sequence's (must be at least that long). */
  totalLength?: number;
}
/** @internal The run-time check of these options (src/options.ts). */
export const PAD_PACKED_SEQUENCE_OPTIONS = defineOptions<PadPackedSequenceOptions>('nn.utils.rnn.padPackedSequence', {
  batchFirst: opt.bool,
  paddingValue: opt.number,
  totalLength: opt.number, // a whole number, checked with its own message below
});

/** PyTorch: the keyword arguments of `torch.nn.utils.rnn.pad_sequence`. */
export interface PadSequenceOptions {
  /** Output (N, L, *) instead of (L, N, *). Default false. */
  batchFirst?: boolean;
  /** Value of padded positions. Default 0. */
  paddingValue?: number;
  /** Put the padding after each sequence ('right', the default) or before it ('left'). */
  paddingSide?: 'left' | 'right';
}
/** @internal The run-time check of these options (src/options.ts). */
export const PAD_SEQUENCE_OPTIONS = defineOptions<PadSequenceOptions>('nn.utils.rnn.padSequence', {
  batchFirst: opt.bool,
  paddingValue: opt.number,
  paddingSide: opt.string, // the value is checked with PyTorch's message
});

/** PyTorch: the keyword arguments of `torch.nn.utils.rnn.pack_sequence`. */
export interface PackSequenceOptions {
  /** Require sequences ordered longest first (needed only for ONNX export). Default true. */
  enforceSorted?: boolean;
}
/** @internal The run-time check of these options (src/options.ts). */
export const PACK_SEQUENCE_OPTIONS = defineOptions<PackSequenceOptions>('nn.utils.rnn.packSequence', { enforceSorted: opt.bool });

/** PyTorch: the keyword arguments of `torch.nn.utils.rnn.unpad_sequence`. */
export interface UnpadSequenceOptions {
  /** The padded input is (N, L, *) instead of (L, N, *). Default false. */
  batchFirst?: boolean;
}
/** @internal The run-time check of these options (src/options.ts). */
export const UNPAD_SEQUENCE_OPTIONS = defineOptions<UnpadSequenceOptions>('nn.utils.rnn.unpadSequence', { batchFirst: opt.bool });
