/**
 * The onnxruntime-node server of bench/serve.ts: the same HTTP front as `torchlet serve`
 * (src/serve/http.ts: JSON parsing, checks, answers, metrics), with each sequence run by
 * onnxruntime-node's `session.run` on the model PyTorch exported (test/fixtures/serve_bench_lstm.onnx,
 * tools/fixtures/serve_bench.py). One run per sequence, as a Node server calls onnxruntime today:
 * session.run is asynchronous (onnxruntime's own threads), so the event loop stays free, and
 * concurrent runs overlap. Prints `on http://...` when listening; SIGTERM closes it.
 *
 *   node --import tsx bench/serve-ort.ts [--port 0]
 */

import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Batcher, BatcherInfo } from '../src/serve/batcher.js';
import { startServer } from '../src/serve/http.js';
import type { RawResult, RawSequence, RawTensor } from '../src/serve/model.js';
import { resultJson } from '../src/serve/model.js';

const MODEL = join(import.meta.dirname, '..', 'test', 'fixtures', 'serve_bench_lstm.onnx');
const portArg = process.argv.indexOf('--port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;

const session = await ort.InferenceSession.create(MODEL);
const F = 32;
const H = 128;
const LAYERS = 2;

const utf8 = new TextEncoder();

/** One sequence through session.run; JSON made here as torchlet's workers make it (src/serve/model.ts). */
async function run(s: RawSequence): Promise<RawResult> {
  const out = await session.run({ x: new ort.Tensor('float32', s.data, [s.length, 1, F]) });
  const t = (name: 'output' | 'h_n' | 'c_n', shape: number[]): RawTensor => ({ name, shape, data: out[name]!.data as Float32Array });
  const r = [t('output', [s.length, H]), t('h_n', [LAYERS, H]), t('c_n', [LAYERS, H])].filter((x) => !s.only || s.only.includes(x.name));
  return s.json ? utf8.encode(resultJson(r)) : r;
}

const info: BatcherInfo = { model: 'onnxruntime-node: nn.LSTM(32, 128, num_layers=2)', inputSize: F, parameters: 0, outputs: ['output', 'h_n', 'c_n'], maxBatch: 1, maxWaitMs: 0, maxQueue: 1 << 30, maxLength: 4096, workers: 0 };
let inFlight = 0;
const batcher: Batcher = {
  info,
  queued: () => 0,
  submit: async (seqs) => {
    inFlight++;
    try {
      return await Promise.all(seqs.map(run));
    } finally {
      inFlight--;
    }
  },
  predict: () => Promise.reject(new Error('not used')),
  ready: async () => {},
  watch: () => {},
  flush: () => {},
  close: async () => {
    while (inFlight > 0) await new Promise((r) => setTimeout(r, 5));
  },
};

const server = await startServer(batcher, { port });
process.stdout.write(`onnxruntime-node server on ${server.url}\n`);
process.on('SIGTERM', () => {
  server.close().then(() => process.exit(0));
});
