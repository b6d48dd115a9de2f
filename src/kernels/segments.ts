/**
 * Long inference in time segments: one direction of one layer run as a few calls of the kernel
 * over consecutive runs of steps, the state of each carried into the next. PyTorch has no twin
 * (its CPU loop holds the whole sequence). The steps and their order are the same, only cut
 * into calls: the reference kernel gives the same bits; the WebAssembly kernel agrees to float32
 * round-off (its input projection's GEMM is cut at other rows, and rows in a GEMM's last
 * partial 4-row tile sum their products in another order).
 *
 * Why: a kernel that works in its own memory (the WebAssembly kernel places x and y in wasm
 * memory, which never shrinks) would otherwise hold a copy of the whole input and output of the
 * longest sequence it ever saw. Cut into segments of at most `segmentBytes` of input plus
 * output, inference needs memory independent of the sequence length beyond the caller's input
 * and the output itself. Training keeps everything for backward anyway and is never cut.
 *
 * Forward direction: segments run first to last; reverse: last to first. In both, a row's
 * state after a segment is the kernel's hN row (the state after the row's own last step within
 * the segment), which is exactly what the next segment must start from; rows that have not yet
 * started (reverse, packed) still hold their h0, and rows that have finished (forward, packed)
 * are not touched again, so after the last segment the carried state is the contract's hN.
 */
import { type FloatArray, type LayerDims, layerDims, type RnnForwardArgs, type RnnForwardManyResult, type RnnForwardResult } from './rnn.js';

/**
 * When inference is cut, and how finely: a direction whose input plus output (float32 bytes)
 * exceed `residentBytes` runs in segments of at most `segmentBytes` of input plus output each
 * (at least one step). Tests lower both to cut small sequences.
 */
export const segmentTuning = { residentBytes: 32 << 20, segmentBytes: 8 << 20 };

/** Bytes of input plus output per row of the packed sequence. */
function rowBytes(args: RnnForwardArgs, d = layerDims(args.spec)): number {
  return (d.I + d.Hout) * args.x.BYTES_PER_ELEMENT;
}

/** Rows of input plus output that fit in one segment (at least 1). */
function segmentRows(args: RnnForwardArgs): number {
  return Math.max(1, Math.floor(segmentTuning.segmentBytes / rowBytes(args)));
}

/** Whether this forward should run in segments (inference with a large input plus output), with `needsGrad` as given. */
export function wantsSegments(args: RnnForwardArgs, needsGrad = args.needsGrad): boolean {
  const d = layerDims(args.spec);
  return !needsGrad && d.T > 1 && d.total * rowBytes(args, d) > segmentTuning.residentBytes;
}

/** Step boundaries [0, t1, ..., T]: runs of steps of at most maxRows rows each (at least one step). */
export function segmentBounds(batchSizes: Int32Array, maxRows: number): number[] {
  const bounds = [0];
  let rows = 0;
  for (let t = 0; t < batchSizes.length; t++) {
    const n = batchSizes[t];
    if (rows > 0 && rows + n > maxRows) {
      bounds.push(t);
      rows = 0;
    }
    rows += n;
  }
  bounds.push(batchSizes.length);
  return bounds;
}

/** Where a direction's output rows go: its own (total, Hout) array, or its columns of a joined one. */
interface OutTarget<A extends FloatArray> {
  y: A;
  ld: number;
  col: number;
}

/** One direction's segments in processing order, its carried state and its assembled output. */
class SegmentStream<A extends FloatArray> {
  private readonly d: LayerDims;
  private readonly segs: [number, number][] = [];
  private readonly h: A;
  private readonly c: A | null;

  constructor(
    private readonly args: RnnForwardArgs<A>,
    bounds: number[],
    private readonly out: OutTarget<A>,
  ) {
    this.d = layerDims(args.spec);
    for (let i = 0; i + 1 < bounds.length; i++) this.segs.push([bounds[i], bounds[i + 1]]);
    if (args.spec.reverse) this.segs.reverse();
    this.h = args.h0.slice(0, this.d.B * this.d.Hout) as A;
    this.c = args.c0 ? (args.c0.slice(0, this.d.B * this.d.H) as A) : null;
  }

  get count(): number {
    return this.segs.length;
  }

  /** The kernel arguments of segment k (in processing order). */
  argsAt(k: number): RnnForwardArgs<A> {
    const [a, b] = this.segs[k];
    const { offs, I, Hout, H } = this.d;
    const bs = this.args.spec.batchSizes.subarray(a, b);
    const rows = bs[0];
    return {
      ...this.args,
      spec: { ...this.args.spec, batchSizes: bs },
      x: this.args.x.subarray(offs[a] * I, offs[b] * I) as A,
      h0: this.h.subarray(0, rows * Hout) as A,
      c0: this.c ? (this.c.subarray(0, rows * H) as A) : null,
      needsGrad: false,
    };
  }

  /** Take segment k's outputs: its rows of y, and its final states as the carried state. */
  take(k: number, res: { y: A | null; hN: A; cN: A | null }): void {
    const [a, b] = this.segs[k];
    const { offs, Hout } = this.d;
    const { y, ld, col } = this.out;
    const ySeg = res.y!;
    if (ld === Hout && col === 0) y.set(ySeg, offs[a] * Hout);
    else {
      for (let r = offs[a]; r < offs[b]; r++) {
        const s = (r - offs[a]) * Hout;
        y.set(ySeg.subarray(s, s + Hout), r * ld + col);
      }
    }
    this.h.set(res.hN, 0);
    if (this.c && res.cN) this.c.set(res.cN, 0);
  }

  result(): { y: A; hN: A; cN: A | null } {
    return { y: this.out.y, hN: this.h, cN: this.c };
  }
}

function newArray<A extends FloatArray>(like: A, n: number): A {
  return new (like.constructor as new (n: number) => A)(n);
}

/** `forward` of one direction in segments (see the module comment); no backward. */
export function forwardSegmented<A extends FloatArray>(args: RnnForwardArgs<A>, run: (a: RnnForwardArgs<A>) => RnnForwardResult<A>): RnnForwardResult<A> {
  const d = layerDims(args.spec);
  const s = new SegmentStream(args, segmentBounds(args.spec.batchSizes, segmentRows(args)), { y: newArray(args.x, d.total * d.Hout), ld: d.Hout, col: 0 });
  for (let k = 0; k < s.count; k++) s.take(k, run(s.argsAt(k)));
  return { ...s.result(), backward: null };
}

/**
 * `forwardMany` in segments: the directions cut at the same steps, segment k of each run
 * together (side by side where `run` can), each writing its rows of its own output or, with
 * `join`, its columns of one joined output.
 */
export function forwardManySegmented<A extends FloatArray>(
  argsList: RnnForwardArgs<A>[],
  join: boolean,
  run: (list: RnnForwardArgs<A>[]) => RnnForwardManyResult<A>,
): RnnForwardManyResult<A> {
  const ds = argsList.map((a) => layerDims(a.spec));
  const total = ds[0].total;
  const joinable = join && ds.every((d) => d.total === total);
  const width = ds.reduce((n, d) => n + d.Hout, 0);
  const joined = joinable ? newArray(argsList[0].x, total * width) : null;
  // Cut every direction at the finest of their bounds, so all have the same segment count.
  const maxRows = Math.min(...argsList.map(segmentRows));
  let col = 0;
  const streams = argsList.map((a, i) => {
    const out = joined ? { y: joined, ld: width, col } : { y: newArray(a.x, ds[i].total * ds[i].Hout), ld: ds[i].Hout, col: 0 };
    col += ds[i].Hout;
    return new SegmentStream(a, segmentBounds(a.spec.batchSizes, maxRows), out);
  });
  const n = Math.max(...streams.map((s) => s.count));
  for (let k = 0; k < n; k++) {
    const idx = streams.map((_, i) => i).filter((i) => k < streams[i].count);
    const res = run(idx.map((i) => streams[i].argsAt(k)));
    idx.forEach((i, j) => {
      streams[i].take(k, res.results[j]);
    });
  }
  return {
    results: streams.map((s) => {
      const r = s.result();
      return { y: joined ? null : r.y, hN: r.hN, cN: r.cN };
    }),
    joined,
    backward: null,
  };
}
