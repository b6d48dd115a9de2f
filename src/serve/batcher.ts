/**
 * Dynamic batching: concurrent predictions of sequences of different lengths are queued, and
 * whenever a worker is free the queue's head (up to `maxBatch` sequences) is packed into one
 * PackedSequence, run once and cut back per sequence (./model.ts). What arrives in one turn of the
 * event loop is batched together (the queue is looked at in a setImmediate after a submit). A batch leaves when a worker
 * is free and it is full, or its oldest sequence has waited `maxWaitMs` (default 0: at once). No PyTorch twin (TorchServe's and
 * Triton's dynamic batching, for recurrent models without padding).
 *
 * Memory is bounded: at most `maxQueue` sequences wait, each at most `maxLength` steps; a call
 * that would go past that is refused at once (RuntimeError with `code` ERR_TORCHLET_QUEUE_FULL),
 * never queued.
 */

import * as torch from '../index.js';
import type { Tensor } from '../index.js';
import { defineOptions, opt } from '../options.js';
import type { RawResult, RawSequence, RawTensor, ServedModel } from './model.js';
import { servedModel } from './model.js';
import type { Runner } from './pool.js';
import { defaultWorkers, InlineRunner, WorkerPool } from './pool.js';

/** Options of `createBatcher`. No PyTorch twin. */
export interface BatcherOptions {
  /** Most sequences packed into one batch. Default 64. */
  maxBatch?: number;
  /**
   * Longest a free worker waits for more sequences to fill its batch, in ms. Default 0: a batch is
   * what queued while the workers were busy (under load that is a full batch; alone, a request runs
   * at once). Measured on 2 cores: 2 ms cut the throughput of one connection about 3x, and at 64
   * connections batches form anyway.
   */
  maxWaitMs?: number;
  /** Most sequences waiting (not yet running); past it calls are refused (ERR_TORCHLET_QUEUE_FULL). Default 1024. */
  maxQueue?: number;
  /** Longest sequence accepted, in steps. Default 4096. */
  maxLength?: number;
  /** Worker threads, each holding a copy of the model (Node.js); 0 runs batches on the calling thread. Default: one per core, at most 4. */
  workers?: number;
  /** Called with the size of every batch as it starts (for metrics). */
  onBatch?: (size: number) => void;
}
/** @internal The run-time check of these options (src/options.ts). */
export const BATCHER_OPTIONS = defineOptions<BatcherOptions>('serve.createBatcher', {
  maxBatch: opt.number,
  maxWaitMs: opt.number,
  maxQueue: opt.number,
  maxLength: opt.number,
  workers: opt.number,
  onBatch: opt.func,
});

/**
 * What `predict` resolves to: what the module's forward gives for the sequence alone (unbatched).
 * LSTM `[output, [hN, cN]]`, RNN and GRU `[output, hN]` (output (L, D*Hout), hN (D*numLayers, Hout));
 * a forecaster its output (1). No PyTorch twin.
 */
export type Prediction = Tensor | [Tensor, Tensor] | [Tensor, [Tensor, Tensor]];

/** What the batcher tells about itself (for /v1/model and metrics). No PyTorch twin. */
export interface BatcherInfo {
  /** `nn.LSTM(8, 16, num_layers=2)` or the forecaster's description. */
  readonly model: string;
  /** Features per step (the layer's inputSize). */
  readonly inputSize: number;
  readonly parameters: number;
  /** The names of each sequence's results: ['output', 'h_n'] (+ 'c_n'), or ['output'] for a forecaster. */
  readonly outputs: readonly string[];
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  readonly maxQueue: number;
  readonly maxLength: number;
  /** 0: batches run on the calling thread. */
  readonly workers: number;
}

/** A batching queue in front of a model. See `createBatcher`. No PyTorch twin. */
export interface Batcher {
  /**
   * Predict one sequence: input (L, Hin) as a Tensor or nested array of numbers. Resolves to what
   * `model.forward(input)` gives for it alone (see `Prediction`), rejects with a ShapeError /
   * ValueError for an input that does not fit, or a RuntimeError (`code`
   * ERR_TORCHLET_QUEUE_FULL / ERR_TORCHLET_CLOSED) when it cannot be queued.
   */
  predict(input: Tensor | readonly (readonly number[])[]): Promise<Prediction>;
  /** Sequences waiting for a worker (not yet running). */
  queued(): number;
  readonly info: BatcherInfo;
  /** @internal Queue raw sequences, all or none; resolves per sequence to its named results (JSON bytes for those that ask). */
  submit(seqs: readonly RawSequence[]): Promise<RawResult[]>;
  /** Resolves when every worker holds the model (at once with `workers: 0`); rejects if one could not load it. */
  ready(): Promise<void>;
  /** @internal Also call `fn` with the size of every batch as it starts. */
  watch(fn: (size: number) => void): void;
  /** @internal From now on batches leave at once, without waiting to fill (a server shutting down). */
  flush(): void;
  /** Refuse new calls, run everything queued, then stop the workers. Resolves when done. */
  close(): Promise<void>;
}

interface Item {
  readonly seq: RawSequence;
  readonly at: number;
  readonly resolve: (r: RawResult) => void;
  readonly reject: (e: unknown) => void;
}

/** A RuntimeError with a `code` (the queue is full, the batcher is closed). */
function coded(message: string, code: string): Error {
  return Object.assign(new torch.RuntimeError(message), { code });
}

function positiveInt(v: number | undefined, dflt: number, name: string, min = 1): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < min) throw new torch.ValueError(`serve.createBatcher: ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

/**
 * The checks every sequence passes before it is queued: (L, Hin) with Hin = inputSize, 1 <= L <=
 * maxLength. Messages in PyTorch's words where it has them (the recurrent layers' input check).
 */
export function checkSequence(length: number, features: number, info: Pick<BatcherInfo, 'inputSize' | 'maxLength'>, where = 'input'): void {
  if (length < 1) throw new torch.ValueError(`${where}: an empty sequence (0 steps); every sequence needs at least one step of ${info.inputSize} features`);
  if (features !== info.inputSize) throw new torch.ShapeError(`${where}: input.size(-1) must be equal to input_size. Expected ${info.inputSize}, got ${features}`);
  if (length > info.maxLength) throw new torch.ValueError(`${where}: a sequence of ${length} steps is longer than the limit of ${info.maxLength} (maxLength, --max-length)`);
}

/**
 * A dynamic-batching queue in front of `model` (an nn.RNN / nn.LSTM / nn.GRU, or a `torchlet
 * train` forecaster), usable without HTTP. No PyTorch twin.
 *
 * Shapes (Hin = inputSize, D = bidirectional ? 2 : 1): each `predict(input)` takes one sequence
 * (L, Hin); concurrent calls are packed into one PackedSequence (no padding), run once, and split
 * back, so each call resolves to what `model.forward(input)` gives for it alone.
 *
 *   const batcher = createBatcher(new nn.GRU(8, 16), { maxBatch: 32 });
 *   const [output, hN] = await batcher.predict(torch.randn(12, 8)); // output (12, 16), hN (1, 16)
 *   await batcher.close();
 *
 * With workers (the default in Node.js) the model is copied into each worker when the batcher is
 * made: later changes to its weights are not seen. Call `close()` when done.
 */
export function createBatcher(model: torch.nn.Module, options: BatcherOptions = {}): Batcher {
  const o = BATCHER_OPTIONS.parse(options);
  const served: ServedModel = servedModel(model);
  const workers = positiveInt(o.workers, defaultWorkers(), 'workers', 0);
  const runner: Runner = workers === 0 ? new InlineRunner(served) : new WorkerPool(served, workers);
  let parameters = 0;
  for (const p of model.parameters()) parameters += p.numel();
  const info: BatcherInfo = {
    model: served.description,
    inputSize: served.rnn.inputSize,
    parameters,
    outputs: served.head ? ['output'] : served.rnn.mode === 'LSTM' ? ['output', 'h_n', 'c_n'] : ['output', 'h_n'],
    maxBatch: positiveInt(o.maxBatch, 64, 'maxBatch'),
    maxWaitMs: o.maxWaitMs === undefined ? 0 : o.maxWaitMs >= 0 && Number.isFinite(o.maxWaitMs) ? o.maxWaitMs : (() => {
      throw new torch.ValueError(`serve.createBatcher: maxWaitMs must be a number >= 0, got ${o.maxWaitMs}`);
    })(),
    maxQueue: positiveInt(o.maxQueue, 1024, 'maxQueue'),
    maxLength: positiveInt(o.maxLength, 4096, 'maxLength'),
    workers,
  };
  const queue: Item[] = [];
  let head = 0; // queue[head] is the oldest waiting item (the array is compacted now and then)
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running = 0;
  let pumpSoon = false;
  let closing = false;
  let flushing = false;
  const watchers: ((size: number) => void)[] = [];
  let closed: Promise<void> | null = null;
  let drained: (() => void) | null = null;

  const waiting = (): number => queue.length - head;

  const failAll = (e: Error): void => {
    for (let i = head; i < queue.length; i++) queue[i].reject(e);
    queue.length = 0;
    head = 0;
  };

  const pump = (): void => {
    const failure = runner.failed();
    if (failure) failAll(failure);
    while (waiting() > 0 && runner.free() > 0) {
      const age = performance.now() - queue[head].at;
      if (!flushing && waiting() < info.maxBatch && age < info.maxWaitMs) {
        if (timer === null) {
          timer = setTimeout(() => {
            timer = null;
            pump();
          }, info.maxWaitMs - age);
        }
        break;
      }
      const n = Math.min(info.maxBatch, waiting());
      const batch = queue.slice(head, head + n);
      head += n;
      if (head > 1024 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      running++;
      o.onBatch?.(n);
      for (const w of watchers) w(n);
      runner.run(batch.map((b) => b.seq)).then(
        (results) => {
          for (const [i, b] of batch.entries()) b.resolve(results[i]);
        },
        (e: unknown) => {
          for (const b of batch) b.reject(e);
        },
      ).finally(() => {
        running--;
        pump();
      });
    }
    if (waiting() === 0 && timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (closing && waiting() === 0 && running === 0) drained?.();
  };
  runner.onFree = pump;

  const submit = (seqs: readonly RawSequence[]): Promise<RawResult[]> => {
    if (closing) return Promise.reject(coded('serve: the batcher is closed (shutting down); no new predictions', 'ERR_TORCHLET_CLOSED'));
    const failure = runner.failed();
    if (failure) return Promise.reject(failure);
    for (const s of seqs) checkSequence(s.length, s.data.length / s.length, info);
    if (waiting() + seqs.length > info.maxQueue) {
      return Promise.reject(coded(`serve: the queue is full (${waiting()} of ${info.maxQueue} sequences waiting, maxQueue / --max-queue); try again shortly`, 'ERR_TORCHLET_QUEUE_FULL'));
    }
    const at = performance.now();
    const all = Promise.all(seqs.map((seq) => new Promise<RawResult>((resolve, reject) => queue.push({ seq, at, resolve, reject }))));
    // Batch at the end of this turn of the event loop, not at once: requests arrive in bursts (the
    // answers of one batch go out together, and their clients' next requests come back together),
    // and a free worker that took the burst's first request alone would run batches of one.
    if (!pumpSoon) {
      pumpSoon = true;
      setImmediate(() => {
        pumpSoon = false;
        pump();
      });
    }
    return all;
  };

  const toPrediction = (r: RawTensor[]): Prediction => {
    const t = (x: RawTensor): Tensor => torch.tensor(x.data, { shape: [...x.shape] });
    if (served.head) return t(r[0]);
    const [out, h, c] = r.map(t);
    return c ? [out, [h, c]] : [out, h];
  };

  return {
    info,
    queued: waiting,
    submit,
    async predict(input) {
      let x: Tensor;
      if (input instanceof torch.Tensor) x = input;
      else if (Array.isArray(input)) x = torch.tensor(input as number[][]);
      else throw new torch.ArgumentTypeError(`predict(): argument 'input' (position 1) must be Tensor or an array of feature vectors, not ${input === null ? 'null' : typeof input}`);
      if (x.ndim !== 2) throw new torch.ShapeError(`predict(): expected one sequence (L, Hin) = (L, ${info.inputSize}), a 2-D input, got ${x.ndim}-D input of size [${x.shape.join(', ')}]`);
      checkSequence(x.shape[0], x.shape[1], info);
      const [r] = await submit([{ data: x.toFloat32Array(), length: x.shape[0] }]);
      return toPrediction(r as RawTensor[]);
    },
    ready: () => runner.ready(),
    watch(fn) {
      watchers.push(fn);
    },
    flush() {
      flushing = true;
      pump();
    },
    close() {
      if (closed) return closed;
      closing = true;
      flushing = true;
      closed = new Promise<void>((resolve) => {
        drained = resolve;
        pump();
      }).then(() => runner.close());
      return closed;
    },
  };
}
