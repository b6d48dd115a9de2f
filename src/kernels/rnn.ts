/**
 * The recurrent kernel contract: one direction of one layer over a whole (packed) sequence.
 *
 * Kernels know nothing of `Tensor`: everything here is flat, row-major typed arrays.
 * The reference implementation (`ref/rnn.ts`) is the oracle; fast implementations
 * (WebAssembly, `wasm/rnn.ts`) implement the same interface and are tested against it.
 *
 * What a kernel must provide (`RnnKernel`), and nothing else is needed to plug one in
 * (`setBackend({ ...wasmBackend, rnn: myKernel })`, and an entry in test/kernels-differential.test.ts's
 * list, which runs every case against the reference):
 * - `forward(args)`: every mode ('RNN_TANH', 'RNN_RELU', 'LSTM' with or without projection,
 *   'GRU'), both directions, packed batch sizes, float32 and float64. What it does not handle
 *   fast it hands to `refRnnKernel` itself (the ops never choose a kernel). With `needsGrad` it
 *   returns a `backward` closure that owns the saved state (see RnnForwardResult.backward).
 * - `forwardMany(args[], join)`: independent directions at once; `forwardInTurn` (below) is a
 *   correct implementation for a kernel with nothing better to do.
 * - `supports(x)`: whether its fast path takes these arrays (tests and benches ask).
 * Results must match the reference within float32 rounding (README "Determinism"), and be
 * bit-identical from run to run; a kernel that splits work across threads must not let the
 * split change any sum's order while `areDeterministicAlgorithmsEnabled()`.
 *
 * Sequence layout (PyTorch's PackedSequence `data` layout, which is also the contiguous
 * layout of an (L, N, I) time-major input when every batch size is N):
 *   step t occupies rows [rowStart(t), rowStart(t) + batchSizes[t]) of x and y,
 *   rowStart(t) = batchSizes[0] + ... + batchSizes[t-1].
 * batchSizes is non-increasing; B = batchSizes[0]; total = sum(batchSizes).
 *
 * Shapes (G = 1 for RNN, 4 for LSTM (i,f,g,o), 3 for GRU (r,z,n); H = hiddenSize;
 * Hout = projSize > 0 ? projSize : H):
 *   x:   (total, I)        y:   (total, Hout)
 *   wIh: (G*H, I)          wHh: (G*H, Hout)     bIh, bHh: (G*H) or null
 *   wHr: (Hout, H) or null (LSTM projection, PyTorch's weight_hr)
 *   h0:  (B, Hout)         c0:  (B, H) (LSTM only, else null)
 *   hN:  (B, Hout)         cN:  (B, H)
 *
 * Batch-first (optional): a kernel whose `takesBatchFirst(list)` is true for a `forwardMany` call
 * may be given those directions with `batchFirst: true` (a full sequence, every batch size B): x
 * is then (B, T, I), row b*T + t, and so are its answers: y and joined (B, T, ·), each dy its
 * backward takes (B, T, Hout) and dx (B, T, I). Sums keep the time-major order, so the results
 * are the same bits. Any other kernel gets time-major rows (the op layer transposes for it).
 *
 * Final states: row b of hN/cN is the state of sequence b after *its own* last valid step.
 * Forward direction: sequence b is active at steps t with batchSizes[t] > b, so it stops at its
 * last such step. Reverse direction (`reverse: true`): steps run t = T-1 .. 0; a row becomes
 * active (starting from its h0/c0 row) at the first step where batchSizes[t] > b, i.e. at its
 * own last element, and every row ends at t = 0.
 */

export type FloatArray = Float32Array | Float64Array;

/** PyTorch's `mode` strings (`torch.nn.RNNBase.mode`). */
export type RnnMode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

/** Number of gates stacked in the rows of weight_ih / weight_hh. */
export function gateCount(mode: RnnMode): number {
  return mode === 'LSTM' ? 4 : mode === 'GRU' ? 3 : 1;
}

export interface RnnLayerSpec {
  mode: RnnMode;
  inputSize: number;
  hiddenSize: number;
  /** 0 disables the LSTM projection. */
  projSize: number;
  /** Length T, non-increasing, all > 0. */
  batchSizes: Int32Array;
  reverse: boolean;
}

export interface RnnWeights<A extends FloatArray = FloatArray> {
  wIh: A;
  wHh: A;
  bIh: A | null;
  bHh: A | null;
  wHr: A | null;
}

/** Gradients flowing into the layer from above; a null stands for zeros. */
export interface RnnGradsIn<A extends FloatArray = FloatArray> {
  dy: A | null;
  dhN: A | null;
  dcN: A | null;
  /**
   * False when nothing needs dL/dx (a first layer fed by data): the kernel may skip it and
   * return dx = null. Default true. PyTorch: the output_mask of its RNN backward functions.
   */
  needsDx?: boolean;
}

/** Gradients with respect to every input of the layer, same shapes as the inputs. */
export interface RnnGradsOut<A extends FloatArray = FloatArray> {
  /** null when grads.needsDx was false. */
  dx: A | null;
  dh0: A;
  dc0: A | null;
  dWIh: A;
  dWHh: A;
  dBIh: A | null;
  dBHh: A | null;
  dWHr: A | null;
}

export interface RnnForwardResult<A extends FloatArray = FloatArray> {
  y: A;
  hN: A;
  cN: A | null;
  /**
   * Present when the forward was asked to keep what backward needs. It owns whatever the
   * forward saved (activations, states). Called with `retain` true (PyTorch's
   * `retain_graph=True`) it leaves that state in place, so it may be called again with the same
   * results; otherwise it frees the state when done and a later call throws. A kernel whose
   * saved state is ordinary garbage-collected arrays may ignore `retain`.
   */
  backward: ((grads: RnnGradsIn<A>, retain?: boolean) => RnnGradsOut<A>) | null;
}

export interface RnnForwardArgs<A extends FloatArray = FloatArray> {
  spec: RnnLayerSpec;
  weights: RnnWeights<A>;
  x: A;
  h0: A;
  c0: A | null;
  /** Keep what backward needs and return a backward closure. */
  needsGrad: boolean;
  /** x (and the answers) batch-first; only where `takesBatchFirst` said yes (see the header). */
  batchFirst?: boolean;
}

/**
 * What `forwardMany` returns: each direction's outputs as `forward` gives them, and one
 * backward for all of them (present when every args asked for it; see `retain` there).
 */
export interface RnnForwardManyResult<A extends FloatArray = FloatArray> {
  /** Each direction's outputs; y is null when `joined` holds them. */
  results: { y: A | null; hN: A; cN: A | null }[];
  /**
   * Asked for with `join` and given where the kernel can: the directions' outputs side by side,
   * row r = [y_0[r] | y_1[r] | ...], shape (total, sum of Hout): a bidirectional layer's output
   * with no concatenation pass.
   */
  joined: A | null;
  joinedGrad?: boolean;
  /** As `RnnForwardResult.backward` (same `retain` rule), for every direction at once. */
  backward: ((grads: RnnGradsIn<A>[], retain?: boolean) => RnnGradsOut<A>[]) | null;
}

/** A kernel that runs one direction of one recurrent layer over a sequence. */
export interface RnnKernel {
  readonly name: string;
  /** Whether this kernel's own fast path handles the given arrays (e.g. WebAssembly: float32 only); forward takes any. */
  supports(x: FloatArray): boolean;
  forward<A extends FloatArray>(args: RnnForwardArgs<A>): RnnForwardResult<A>;
  /**
   * Several independent directions in one call (the two halves of a bidirectional layer), e.g.
   * side by side on two threads. Must give exactly what `forward` gives for each args in turn
   * (every direction needs grad when all of them do), and grads[i] in backward goes with
   * args[i]. PyTorch has no separate twin: its CPU layer loop runs the directions in turn.
   */
  forwardMany<A extends FloatArray>(args: RnnForwardArgs<A>[], join?: boolean): RnnForwardManyResult<A>;
  /** Whether `forwardMany` takes these directions batch-first (see the header); absent: never. */
  takesBatchFirst?(list: RnnForwardArgs[]): boolean;
}

/** `forwardMany` as each direction's `forward` in turn, one backward for all (never joined). */
export function forwardInTurn<A extends FloatArray>(kernel: Pick<RnnKernel, 'forward'>, argsList: RnnForwardArgs<A>[]): RnnForwardManyResult<A> {
  const all = argsList.every((a) => a.needsGrad);
  const res = argsList.map((a) => kernel.forward({ ...a, needsGrad: all }));
  const backs = res.map((r) => r.backward);
  return {
    results: res.map(({ y, hN, cN }) => ({ y, hN, cN })),
    joined: null,
    backward: all ? (grads, retain?: boolean) => backs.map((b, i) => b!(grads[i], retain)) : null,
  };
}

/** The sizes every kernel derives from a spec, computed in one place. */
export interface LayerDims {
  I: number;
  H: number;
  G: number;
  /** G * H: the rows of W_ih and W_hh. */
  GH: number;
  Hout: number;
  T: number;
  B: number;
  /** Row offset of each step, total rows at index T (see stepOffsets). */
  offs: Int32Array;
  total: number;
  lstm: boolean;
}

export function layerDims(spec: RnnLayerSpec): LayerDims {
  const H = spec.hiddenSize;
  const G = gateCount(spec.mode);
  const T = spec.batchSizes.length;
  const offs = stepOffsets(spec.batchSizes);
  return {
    I: spec.inputSize,
    H,
    G,
    GH: G * H,
    Hout: spec.projSize > 0 ? spec.projSize : H,
    T,
    B: spec.batchSizes[0] ?? 0,
    offs,
    total: offs[T],
    lstm: spec.mode === 'LSTM',
  };
}

/** Row offset of each step in the packed layout, plus the total row count at index T. */
export function stepOffsets(batchSizes: Int32Array): Int32Array {
  const offs = new Int32Array(batchSizes.length + 1);
  for (let t = 0; t < batchSizes.length; t++) offs[t + 1] = offs[t] + batchSizes[t];
  return offs;
}
