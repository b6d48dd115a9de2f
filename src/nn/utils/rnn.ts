/**
 * Packing and padding of variable-length batches. PyTorch: `torch.nn.utils.rnn`.
 *
 * Shape letters: L longest length (padded length), N batch, * any trailing feature dims
 * (none included), total = sum of the lengths.
 *
 * Every function here gathers rows with differentiable ops (reshape, cat, indexSelect, narrow),
 * so gradients flow from a packed or padded result back to the inputs; padded positions get
 * zero gradient.
 *
 * Lengths, batchSizes and the index tensors are int64, as PyTorch (lengths given as a tensor
 * may be int64 or int32, as PyTorch's `torch.as_tensor(lengths, dtype=torch.int64)` takes both).
 */

import { traceObject } from '../../autograd/node.js';
import { ArgumentTypeError, DTypeError, IndexError, RuntimeError, ShapeError, typeName, ValueError } from '../../errors.js';
import { cat, indexSelect } from '../../ops/join.js';
import { expand, narrow, reshape, squeezeDims, transpose } from '../../ops/shape.js';
import { clone, indexTensor, toDtype } from '../../ops/util.js';
import { cName, isInt } from '../../tensor/dtype.js';
import { full } from '../../ops/creation.js';
import { checkTensor, checkTensorList } from '../../tensor/args.js';
import { Tensor } from '../../tensor/tensor.js';
import { invertPermutation, PackedSequence } from './packed.js';

export { invertPermutation, PackedSequence };

import type { Lengths, PackPaddedSequenceOptions, PadPackedSequenceOptions, PadSequenceOptions, PackSequenceOptions, UnpadSequenceOptions } from './rnn-options.js';
import { PACK_PADDED_SEQUENCE_OPTIONS, PAD_PACKED_SEQUENCE_OPTIONS, PAD_SEQUENCE_OPTIONS, PACK_SEQUENCE_OPTIONS, UNPAD_SEQUENCE_OPTIONS } from './rnn-options.js';

export type { Lengths, PackPaddedSequenceOptions, PadPackedSequenceOptions, PadSequenceOptions, PackSequenceOptions, UnpadSequenceOptions };
export { PACK_PADDED_SEQUENCE_OPTIONS, PAD_PACKED_SEQUENCE_OPTIONS, PAD_SEQUENCE_OPTIONS, PACK_SEQUENCE_OPTIONS, UNPAD_SEQUENCE_OPTIONS };

const SORT_MESSAGE =
  '`lengths` array must be sorted in decreasing order when `enforceSorted` is true. You can pass `enforceSorted: false` to packPaddedSequence and/or packSequence to sidestep this requirement if you do not need ONNX exportability.';

/** Lengths as an Int32Array, checked for type (PyTorch's `checkLongTensor`). */
function lengthsArray(lengths: Lengths): Int32Array {
  if (lengths instanceof Tensor) {
    if (lengths.ndim !== 1 || !isInt(lengths.dtype)) {
      const msg = `'lengths' argument should be a 1D CPU int64 tensor, but got ${lengths.ndim}D cpu ${cName(lengths.dtype)} tensor. Pass a number[] or an int64 tensor (torch.tensor(lengths, { dtype: 'int64' })).`;
      throw lengths.ndim !== 1 ? new ShapeError(msg) : new DTypeError(msg);
    }
    return Int32Array.from(lengths.contiguousData());
  }
  if (!Array.isArray(lengths)) {
    throw new ArgumentTypeError(
      `'lengths' argument should be a 1D CPU int64 tensor or a list of ints, but got ${typeName(lengths)}. Pass a number[] or an int64 tensor.`,
    );
  }
  lengths.forEach((v, i) => {
    // PyTorch parity: torch.as_tensor(lengths, dtype=int64) would truncate 2.5 to 2 silently.
    if (!Number.isInteger(v)) throw new ValueError(`lengths must be whole numbers, but got ${v} at position ${i}`);
  });
  return Int32Array.from(lengths);
}

/** Rows per step of a packed batch whose lengths (sorted, decreasing) are `sorted`. */
function batchSizesOf(sorted: Int32Array): Int32Array {
  const steps = sorted.length > 0 ? sorted[0] : 0;
  const sizes = new Int32Array(steps);
  for (const l of sorted) for (let t = 0; t < l; t++) sizes[t]++;
  return sizes;
}

/** Lengths (in sorted order) from batch sizes: sequence j runs while batchSizes[t] > j. */
function lengthsOf(batchSizes: Int32Array): Int32Array {
  const n = batchSizes.length > 0 ? batchSizes[0] : 0;
  const lengths = new Int32Array(n);
  for (const b of batchSizes) for (let j = 0; j < b; j++) lengths[j]++;
  return lengths;
}

/** Order of a stable sort by decreasing length (ties keep their input order; see packPaddedSequence). */
function sortDescending(lengths: Int32Array): Int32Array {
  const order = Array.from(lengths.keys());
  order.sort((a, b) => lengths[b] - lengths[a] || a - b);
  return Int32Array.from(order);
}

/** First data row of each step: offsets[t] = batchSizes[0] + ... + batchSizes[t - 1]. */
function stepOffsets(batchSizes: Int32Array): Int32Array {
  const offsets = new Int32Array(batchSizes.length);
  for (let t = 1; t < batchSizes.length; t++) offsets[t] = offsets[t - 1] + batchSizes[t - 1];
  return offsets;
}

/**
 * The batch sizes of a PackedSequence, after checking it is well formed. PyTorch does not check
 * (a hand-made PackedSequence fails somewhere inside ATen); these messages say what is wrong.
 */
function checkedBatchSizes(packed: PackedSequence, fn: string): Int32Array {
  const batchSizes = packed.batchSizesArray();
  const bad = (why: string): never => {
    throw new ShapeError(`${fn}: malformed PackedSequence: ${why}. Build it with packPaddedSequence or packSequence.`);
  };
  if (packed.batchSizes.ndim !== 1 || !isInt(packed.batchSizes.dtype) || batchSizes.length === 0) bad('batchSizes must be a non-empty 1-D int64 tensor');
  batchSizes.forEach((b, t) => {
    if (b <= 0 || (t > 0 && b > batchSizes[t - 1])) bad(`batchSizes must be positive and non-increasing, got [${batchSizes.join(', ')}]`);
  });
  const total = batchSizes.reduce((s, b) => s + b, 0);
  if (packed.data.ndim < 1 || packed.data.shape[0] !== total) {
    bad(`data has ${packed.data.ndim < 1 ? 'no rows' : `${packed.data.shape[0]} rows`} but batchSizes add up to ${total}`);
  }
  if (packed.unsortedIndices !== null) {
    const idx = packed.unsortedIndices.contiguousData();
    if (idx.length !== batchSizes[0]) bad(`unsortedIndices has ${idx.length} entries for a batch of ${batchSizes[0]}`);
    if (new Set(idx).size !== idx.length || idx.some((i) => !Number.isInteger(i) || i < 0 || i >= idx.length)) {
      bad(`unsortedIndices [${idx.join(', ')}] is not a permutation of 0..${idx.length - 1}`);
    }
  }
  return batchSizes;
}

/** PyTorch's index tensors (lengths, batch sizes, sorted indices) are int64. */
function int64(values: Int32Array): Tensor {
  return indexTensor(values);
}

/**
 * Rows of `source` (R, *) picked by `index`; index R means a row of `paddingValue`. The gather is
 * an indexSelect, so the gradient of a picked row flows back and padding gets none.
 */
function gatherRows(source: Tensor, index: Int32Array, paddingValue: number | null): Tensor {
  const rows = paddingValue === null ? source : cat([source, full([1, ...source.shape.slice(1)], paddingValue, { dtype: source.dtype })]);
  return indexSelect(rows, 0, int64(index));
}

function checkAtLeast2d(x: Tensor, fn: string, layout: string): void {
  if (x.ndim < 2) {
    throw new IndexError(
      `Dimension out of range (expected to be in range of [-1, 0], but got 1). ${fn} expects ${layout}; got a ${x.ndim}-D tensor`,
    );
  }
}

/**
 * Packs a padded batch of variable-length sequences. PyTorch:
 * `torch.nn.utils.rnn.pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True)`.
 *
 * Shape:
 * - input: (L, N, *), or (N, L, *) with batchFirst
 * - lengths: N whole numbers (number[] or an int64/int32 tensor), each in [1, L]
 * - result: PackedSequence with data (total, *) and batchSizes (max length)
 *
 * With `enforceSorted` (the default) lengths must be decreasing, so `input[:, 0]` is the longest
 * sequence; that is needed only for ONNX export. With `enforceSorted: false` the batch is sorted
 * here and `sortedIndices` / `unsortedIndices` remember the order, which `padPackedSequence` and
 * the recurrent layers undo. Equal lengths keep their input order (a stable sort); PyTorch's
 * CPU sort may order ties differently in large batches, which changes only the row order inside
 * `data`, never what `padPackedSequence` or a recurrent layer returns.
 *
 * Example: the sequences `abc` and `x`, padded to (3, 2), pack to data `a x b c` with
 * batchSizes [2, 1, 1]: step 0 has both sequences, steps 1 and 2 only the first.
 */
export function packPaddedSequence(input: Tensor, lengths: Lengths, options: PackPaddedSequenceOptions = {}): PackedSequence {
  checkTensor(input, 'pack_padded_sequence', 'input', 1);
  options = PACK_PADDED_SEQUENCE_OPTIONS.parse(options);
  const { batchFirst = false, enforceSorted = true } = options;
  const lens = lengthsArray(lengths);
  checkAtLeast2d(input, 'packPaddedSequence', batchFirst ? 'input of shape (N, L, *)' : 'input of shape (L, N, *)');
  const steps = input.shape[batchFirst ? 1 : 0];
  const batch = input.shape[batchFirst ? 0 : 1];
  if (input.numel() === 0) throw new RuntimeError('Cannot pack empty tensors.');
  // PyTorch parity: with enforce_sorted=False PyTorch index_selects before this check, so too many
  // lengths fail with an index error and too few silently drop sequences; both are caught here.
  if (lens.length !== batch) {
    const hint =
      lens.length === steps && steps !== batch
        ? `. With batchFirst: ${batchFirst} the input is ${batchFirst ? '(N, L, *)' : '(L, N, *)'}; did you mean batchFirst: ${!batchFirst}?`
        : '';
    throw new RuntimeError(`Expected \`len(lengths)\` to be equal to batch_size, but got ${lens.length} (batch_size=${batch})${hint}`);
  }
  const order = enforceSorted ? null : sortDescending(lens);
  const sorted = order === null ? lens : order.map((i) => lens[i]);
  if (sorted[batch - 1] <= 0) {
    throw new RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0");
  }
  for (let i = 1; i < batch; i++) if (sorted[i] > sorted[i - 1]) throw new RuntimeError(SORT_MESSAGE);
  if (sorted[0] > steps) {
    // PyTorch parity: PyTorch clamps the slice and returns a PackedSequence whose batch_sizes
    // count more rows than its data holds, which fails later in unrelated places.
    throw new ShapeError(
      `Expected every length to be at most the padded sequence length ${steps}, but got a length of ${sorted[0]}. The input is ${batchFirst ? '(N, L, *)' : '(L, N, *)'} with batchFirst: ${batchFirst}.`,
    );
  }
  const batchSizes = batchSizesOf(sorted);
  const index = new Int32Array(sorted.reduce((s, l) => s + l, 0));
  let r = 0;
  batchSizes.forEach((size, t) => {
    for (let j = 0; j < size; j++) {
      const b = order === null ? j : order[j];
      index[r++] = batchFirst ? b * steps + t : t * batch + b;
    }
  });
  const flat = reshape(input, [steps * batch, ...input.shape.slice(2)]);
  const data = gatherRows(flat, index, null);
  const packed = new PackedSequence(data, int64(batchSizes), order === null ? null : int64(order));
  return traceObject('pack_padded_sequence', [input, lengths instanceof Tensor ? lengths : int64(lens)], packed, { batchFirst });
}

/**
 * Pads a packed batch back to a tensor: the inverse of `packPaddedSequence`. PyTorch:
 * `torch.nn.utils.rnn.pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None)`.
 *
 * Shape:
 * - sequence: PackedSequence with data (total, *)
 * - returns [padded, lengths]: padded (L, N, *), or (N, L, *) with batchFirst, where L is
 *   totalLength when given, else the longest length; lengths int64 (N)
 *
 * Sequences come back in the caller's original batch order (undoing `enforceSorted: false`).
 *
 * Example:
 *   const packed = packPaddedSequence(tensor([[1, 2, 0], [3, 0, 0], [4, 5, 6]]), [2, 1, 3],
 *     { batchFirst: true, enforceSorted: false });
 *   // packed.data [4, 1, 3, 5, 2, 6], batchSizes [3, 2, 1], sortedIndices [2, 0, 1]
 *   const [padded, lengths] = padPackedSequence(packed, { batchFirst: true });
 *   // padded [[1, 2, 0], [3, 0, 0], [4, 5, 6]], lengths [2, 1, 3]
 */
export function padPackedSequence(sequence: PackedSequence, options: PadPackedSequenceOptions = {}): [Tensor, Tensor] {
  if (!(sequence instanceof PackedSequence)) {
    throw new ArgumentTypeError(`pad_packed_sequence(): argument 'sequence' (position 1) must be PackedSequence, not ${typeName(sequence)}`);
  }
  options = PAD_PACKED_SEQUENCE_OPTIONS.parse(options);
  const { batchFirst = false, paddingValue = 0, totalLength } = options;
  const batchSizes = checkedBatchSizes(sequence, 'padPackedSequence');
  let steps = batchSizes.length;
  if (totalLength !== undefined) {
    if (!Number.isInteger(totalLength)) {
      throw new ArgumentTypeError(`padPackedSequence: totalLength must be a whole number, got ${totalLength}`);
    }
    if (totalLength < steps) {
      throw new ValueError(
        `Expected total_length to be at least the length of the longest sequence in input, but got total_length=${totalLength} and max sequence length being ${steps}`,
      );
    }
    steps = totalLength;
  }
  const { data } = sequence;
  const sortedLengths = lengthsOf(batchSizes);
  const total = data.shape[0];
  const batch = sortedLengths.length;
  const unsorted = sequence.unsortedIndices?.contiguousData() ?? null;
  const offsets = stepOffsets(batchSizes);
  const index = new Int32Array(steps * batch);
  const lengths = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const j = unsorted === null ? b : unsorted[b];
    lengths[b] = sortedLengths[j];
    for (let t = 0; t < steps; t++) {
      index[batchFirst ? b * steps + t : t * batch + b] = t < sortedLengths[j] ? offsets[t] + j : total;
    }
  }
  const rest = data.shape.slice(1);
  const padded = reshape(gatherRows(data, index, paddingValue), batchFirst ? [batch, steps, ...rest] : [steps, batch, ...rest]);
  return traceObject('pad_packed_sequence', [sequence], [padded, int64(lengths)], { batchFirst, totalLength });
}

/**
 * Pads a list of variable-length sequences into one tensor. PyTorch:
 * `torch.nn.utils.rnn.pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side='right')`.
 *
 * Shape:
 * - sequences: N tensors (Li, *) with the same trailing dims (or one tensor (N, Li, *))
 * - result: (L, N, *), or (N, L, *) with batchFirst, L = max Li; dtype of sequences[0]
 *
 * Example: three sequences of shapes (25, 300), (22, 300), (15, 300) pad to (25, 3, 300).
 * With paddingSide 'left' the padding comes first, so every sequence ends at step L - 1.
 */
export function padSequence(sequences: readonly Tensor[] | Tensor, options: PadSequenceOptions = {}): Tensor {
  if (!(sequences instanceof Tensor)) checkTensorList(sequences, 'pad_sequence', 'sequences');
  options = PAD_SEQUENCE_OPTIONS.parse(options);
  const { batchFirst = false, paddingValue = 0, paddingSide = 'right' } = options;
  const seqs = sequences instanceof Tensor ? unbind0(sequences) : sequences;
  if (seqs.length === 0) throw new RuntimeError('received an empty list of sequences');
  if (paddingSide !== 'left' && paddingSide !== 'right') {
    throw new RuntimeError(
      `Expected padding_side to be one of left or right, but got ${String(paddingSide)}. Pass paddingSide: 'left' or 'right'.`,
    );
  }
  const first = seqs[0];
  seqs.forEach((s) => {
    if (s.ndim === 0) throw new IndexError('Dimension specified as 0 but tensor has no dimensions');
  });
  const trailing = first.shape.slice(1);
  const maxLen = Math.max(...seqs.map((s) => s.shape[0]));
  // As PyTorch's copy_ into the output, each sequence is broadcast to (Li, *) and cast to
  // the dtype of sequences[0].
  const parts = seqs.map((s) => toDtype(expand(s, [s.shape[0], ...trailing]), first.dtype));
  const batch = seqs.length;
  const total = parts.reduce((n, p) => n + p.shape[0], 0);
  const index = new Int32Array(maxLen * batch).fill(total);
  let start = 0;
  parts.forEach((p, b) => {
    const len = p.shape[0];
    const shift = paddingSide === 'left' ? maxLen - len : 0;
    for (let k = 0; k < len; k++) {
      const t = k + shift;
      index[batchFirst ? b * maxLen + t : t * batch + b] = start + k;
    }
    start += len;
  });
  const rows = gatherRows(cat(parts, 0), index, paddingValue);
  return reshape(rows, batchFirst ? [batch, maxLen, ...trailing] : [maxLen, batch, ...trailing]);
}

function unbind0(x: Tensor): Tensor[] {
  if (x.ndim === 0) throw new IndexError('Dimension specified as 0 but tensor has no dimensions');
  return Array.from({ length: x.shape[0] }, (_, i) => squeezeDims(narrow(x, 0, i, 1), [0]));
}

/**
 * Packs a list of variable-length sequences: `padSequence` then `packPaddedSequence`. PyTorch:
 * `torch.nn.utils.rnn.pack_sequence(sequences, enforce_sorted=True)`.
 *
 * Shape: sequences N tensors (Li, *), each Li >= 1 -> PackedSequence with data (sum Li, *).
 *
 * Example: [1, 2, 3], [4, 5], [6] pack to data [1, 4, 6, 2, 5, 3] with batchSizes [3, 2, 1].
 * With `enforceSorted` (the default) the sequences must come longest first.
 */
export function packSequence(sequences: readonly Tensor[], options: PackSequenceOptions = {}): PackedSequence {
  checkTensorList(sequences, 'pack_sequence', 'sequences');
  options = PACK_SEQUENCE_OPTIONS.parse(options);
  const lengths = sequences.map((s) => {
    if (s.ndim === 0) throw new IndexError('Dimension specified as 0 but tensor has no dimensions');
    return s.shape[0];
  });
  return packPaddedSequence(padSequence(sequences), lengths, { enforceSorted: options.enforceSorted ?? true });
}

/**
 * Unpacks a PackedSequence into its sequences, in the caller's original order. PyTorch:
 * `torch.nn.utils.rnn.unpack_sequence(packed_sequences)`.
 *
 * Shape: PackedSequence with data (total, *) -> N tensors (Li, *) (copies).
 *
 * Example: `unpackSequence(packSequence([a, b, c]))` gives back [a, b, c].
 */
export function unpackSequence(packed: PackedSequence): Tensor[] {
  if (!(packed instanceof PackedSequence)) {
    throw new ArgumentTypeError(`unpack_sequence(): argument 'packed_sequences' (position 1) must be PackedSequence, not ${typeName(packed)}`);
  }
  const batchSizes = checkedBatchSizes(packed, 'unpackSequence');
  const sortedLengths = lengthsOf(batchSizes);
  const unsorted = packed.unsortedIndices?.contiguousData() ?? null;
  const offsets = stepOffsets(batchSizes);
  return Array.from(sortedLengths, (_, b) => {
    const j = unsorted === null ? b : unsorted[b];
    const rows = Int32Array.from({ length: sortedLengths[j] }, (_, t) => offsets[t] + j);
    return gatherRows(packed.data, rows, null);
  });
}

/**
 * Cuts a padded batch back into its sequences. PyTorch:
 * `torch.nn.utils.rnn.unpad_sequence(padded_sequences, lengths, batch_first=False)`.
 *
 * Shape: padded (L, N, *), or (N, L, *) with batchFirst; lengths N whole numbers ->
 * N tensors (Li, *) (copies).
 *
 * As PyTorch (which zips the batch with the lengths), only the first min(N, lengths.length)
 * sequences come back, a length above L keeps all L steps and one of 0 or below gives an
 * empty sequence. PyTorch parity: PyTorch 1.13 transposes its argument in place; the input is
 * left untouched here.
 */
export function unpadSequence(padded: Tensor, lengths: Lengths, options: UnpadSequenceOptions = {}): Tensor[] {
  checkTensor(padded, 'unpad_sequence', 'padded_sequences', 1);
  options = UNPAD_SEQUENCE_OPTIONS.parse(options);
  const lens = lengthsArray(lengths);
  checkAtLeast2d(padded, 'unpadSequence', options.batchFirst ? 'input of shape (N, L, *)' : 'input of shape (L, N, *)');
  const x = options.batchFirst ? padded : transpose(padded, 0, 1);
  const steps = x.shape[1];
  const count = Math.min(x.shape[0], lens.length);
  return Array.from({ length: count }, (_, b) => {
    const n = Math.min(Math.max(lens[b], 0), steps);
    return clone(narrow(squeezeDims(narrow(x, 0, b, 1), [0]), 0, 0, n));
  });
}
