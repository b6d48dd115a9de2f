/**
 * A serve worker thread (started by ./pool.ts): rebuilds the model from the recipe in its
 * workerData, says `ready`, then runs each batch it is sent and posts the results back, their
 * buffers transferred. One kernel thread per worker (the pool already uses the cores), on the kernels
 * (setKernelPreference) of the thread that made the pool.
 */

import { parentPort, workerData } from 'node:worker_threads';
import * as torch from '../index.js';
import type { RawSequence } from './model.js';
import { buildFromRecipe, runBatchResults } from './model.js';
import type { ToWorker, WorkerData } from './pool.js';

const port = parentPort;
if (port === null) throw new torch.RuntimeError('torchlet/serve: worker.js runs as a worker thread of the serve pool, not on its own');
const data = workerData as WorkerData;
torch.setKernelPreference(data.kernels);
await torch.setNumThreads(1);
const served = buildFromRecipe(data.recipe);
port.on('message', (m: ToWorker) => {
  try {
    const seqs: RawSequence[] = [];
    let at = 0;
    for (const [i, length] of m.lengths.entries()) {
      const n = length * served.rnn.inputSize;
      seqs.push({ data: m.data.subarray(at, at + n), length, json: m.json[i], ...(m.only[i] ? { only: m.only[i] } : {}) });
      at += n;
    }
    const results = runBatchResults(served, seqs);
    // Every buffer once (a batch's JSON answers share one).
    const buffers = new Set<ArrayBuffer>();
    for (const r of results) for (const b of r instanceof Uint8Array ? [r.buffer] : r.map((t) => t.data.buffer)) buffers.add(b as ArrayBuffer);
    port.postMessage({ id: m.id, results }, [...buffers]);
  } catch (e) {
    port.postMessage({ id: m.id, error: { name: (e as Error).name, message: (e as Error).message } });
  }
});
port.postMessage({ ready: true });
