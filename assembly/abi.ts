// The job blocks JavaScript writes and the kernels read: the one source of truth for their
// layout. Each class is a view of i32 words in memory (pointers are byte offsets, 0 = absent),
// read here as `changetype<LayerJob>(job).T`; tools/build-wasm.ts emits the same fields as
// word indices for TypeScript (src/kernels/wasm/abi.generated.ts), so neither side spells a
// slot number. Every field is one 4-byte word, in declaration order.

/** What a worker thread runs (runJob's `kind`). */
export enum JobKind {
  /** A LayerJob's time loop, forward. */
  forward = 1,
  /** A LayerJob's time loop, backward (BPTT). */
  backward = 2,
  /** An EachList: thread i runs entry i. */
  each = 3,
  /** A GradJob, split by output columns across its threads. */
  weightGrads = 4,
}

/** Cell of a LayerJob (PyTorch's `mode`). */
export enum CellMode {
  rnnTanh = 0,
  rnnRelu = 1,
  lstm = 2,
  gru = 3,
}

/**
 * One direction of one layer over the job's rows, forward or backward. Shapes: x (total, I),
 * y (total, ldy) of which Hout columns, gates (rows, G*H), state buffers (B, Hout) and c (B, H),
 * where the rows of step t are [offs[t], offs[t] + batchSizes[t]) and B = batchSizes[0].
 */
@unmanaged
export class LayerJob {
  mode: i32;
  reverse: i32;
  /** Steps, all with batch size > 0. */
  T: i32;
  H: i32;
  I: i32;
  /** Hout: projSize for a projected LSTM, else H. */
  P: i32;
  /** i32 (T), non-increasing. */
  batchSizes: usize;
  /** i32 (T): first row of each step (another thread's rows may lie between). */
  offs: usize;
  // ---- forward
  x: usize;
  /** Packed W_ih (G*H, I), W_hh (G*H, Hout), W_hr (Hout, H). */
  wIh: usize;
  wHh: usize;
  wHr: usize;
  /** (G*H) b_ih + b_hh folded (GRU: without the n block of b_hh). */
  bias: usize;
  /** (H) GRU b_hn (zeros without bias). */
  bHn: usize;
  /** (B, Hout) h buffers, both starting as h0. */
  hA: usize;
  hB: usize;
  /** (B, H) LSTM cell state, in place. */
  c: usize;
  y: usize;
  /** Row stride of y in floats (Hout, or more when directions share one output). */
  ldy: i32;
  /** All rows when saving, else a chunk of `chunk` rows. */
  gates: usize;
  chunk: i32;
  /** Keep what backward needs (the saved fields below). */
  save: i32;
  /** (total, Hout) saved h_{t-1}. */
  hPrev: usize;
  /** (total, H) saved c_{t-1}, c_t (LSTM). */
  cPrev: usize;
  cNew: usize;
  /** GRU (total, or B when not saving, G*H): W_hh h, its n block + b_hn. */
  hg: usize;
  /** Projected LSTM (total, or B when not saving, H): o * tanh(c) before W_hr. */
  hUnproj: usize;
  // ---- backward
  /** (total, Hout) or 0. */
  dy: usize;
  /** (B, Hout): dhN in, dh0 out. */
  dh: usize;
  /** (B, H): dcN in, dc0 out (LSTM). */
  dc: usize;
  /** (total, G*H) out: input-side and hidden-side gate gradients (the same block but for the GRU). */
  dgX: usize;
  dgH: usize;
  /** W_hh packed as the (Hout, G*H) operand, W_hr as (H, Hout). */
  wHhT: usize;
  wHrT: usize;
  /** Projected LSTM: (total, Hout) dL/dh of every row (for dW_hr), (B, H) scratch. */
  dhProj: usize;
  dhU: usize;
}

/**
 * The weight gradients after the time loop of backward, one product each over all rows:
 *   dx (total, I) = dgX · W_ih      dW_ih (GH, I) = dgXᵀ · x
 *   dW_hh (GH, Hout) = dgHᵀ · hPrev  db_ih = column sums of dgX, db_hh of dgH
 * Thread tid of nt packs and computes its own 8-column panels of each product and its share of
 * the bias columns (no thread reads what another packs: no barrier).
 */
@unmanaged
export class GradJob {
  nt: i32;
  total: i32;
  I: i32;
  Hout: i32;
  GH: i32;
  /** (total, I), (total, Hout), (total, GH) x2 (dgH = dgX but for the GRU). */
  x: usize;
  hPrev: usize;
  dgX: usize;
  dgH: usize;
  /** (GH, I) row-major, unpacked. */
  wIh: usize;
  /** Packing space for each product's right operand. */
  opIh: usize;
  opX: usize;
  opH: usize;
  /** Outputs; 0 = skip (dx when nothing needs it, biases when absent). */
  dx: usize;
  dWIh: usize;
  dWHh: usize;
  dBIh: usize;
  dBHh: usize;
}

/** [kind, job for thread 0, job for thread 1, ...] (0: nothing for that thread). */
@unmanaged
export class EachList {
  kind: i32;
  first: usize;
}
