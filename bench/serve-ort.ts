/**
 * The onnxruntime-node server of bench/serve.ts: the same HTTP front as `torchlet serve`
 * (src/serve/http.ts: JSON parsing, checks, answers, metrics), with each sequence run by
 * onnxruntime-node's `session.run` on the model PyTorch exported (tools/fixtures/serve_bench.py: a
 * 2-layer nn.LSTM(F, H), default test/fixtures/serve_bench_lstm.onnx, F 32, H 128). One run per sequence, as a Node server calls onnxruntime today:
 * session.run is asynchronous (onnxruntime's own threads), so the event loop stays free, and
 * concurrent runs overlap. Prints `on http://...` when listening; SIGTERM closes it.
 *
 *   node --import tsx bench/serve-ort.ts [--port 0] [--model FILE.onnx --features F --hidden H]
 */

import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Batcher, BatcherInfo } from '../src/serve/batcher.js';
import { startServer } from '../src/serve/http.js';
import type { RawResult, RawSequence, RawTensor } from '../src/serve/model.js';
import { resultJson } from '../src/serve/json.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : dflt;
}
const MODEL = arg('--model', join(import.meta.dirname, '..', 'test', 'fixtures', 'serve_bench_lstm.onnx'));
const port = Number(arg('--port', '0'));
const F = Number(arg('--features', '32'));
const H = Number(arg('--hidden', '128'));
const LAYERS = 2;

const session = await ort.InferenceSession.create(MODEL);

/** One sequence through session.run; JSON made here as torchlet's workers make it (src/serve/model.ts). */
async function run(s: RawSequence): Promise<RawResult> {
  const out = await session.run({ x: new ort.Tensor('float32', s.data, [s.length, 1, F]) });
  const t = (name: 'output' | 'h_n' | 'c_n', shape: number[]): RawTensor => ({ name, shape, data: out[name]!.data as Float32Array });
  const r = [t('output', [s.length, H]), t('h_n', [LAYERS, H]), t('c_n', [LAYERS, H])].filter((x) => !s.only || s.only.includes(x.name));
  return s.json ? resultJson(r) : r;
}

const info: BatcherInfo = { model: `onnxruntime-node: nn.LSTM(${F}, ${H}, num_layers=2)`, inputSize: F, parameters: 0, outputs: ['output', 'h_n', 'c_n'], maxBatch: 1, maxWaitMs: 0, maxQueue: 1 << 30, maxLength: 4096, workers: 0 };
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
