/**
 * onnxruntime-node as a peer for inference (issue 17): each workload's model built as torchlet's
 * nn.LSTM / nn.GRU, exported with torch.onnx.export, and run in an ONNX Runtime session on the CPU
 * with `intraOpNumThreads` 1 or 2 (sequential execution, all graph optimisations), the same input
 * shape as torchlet's runs. Returns null where onnxruntime-node cannot load (its binary is missing).
 */
import * as torch from '../src/index.js';
import type { Workload } from './workloads.js';

type Ort = typeof import('onnxruntime-node');

let ort: Ort | null | undefined;

async function loadOrt(): Promise<Ort | null> {
  if (ort === undefined) {
    try {
      ort = await import('onnxruntime-node');
    } catch {
      ort = null;
    }
  }
  return ort;
}

export interface OrtRunner {
  infer(): Promise<void>;
  version: string;
}

/** An inference runner on `threads` intra-op threads, or why there is none (no onnxruntime-node, export failed). */
export async function ortRunner(w: Workload, threads: number): Promise<OrtRunner | string> {
  const o = await loadOrt();
  if (!o) return 'onnxruntime-node did not load';
  try {
    return await session(o, w, threads);
  } catch (e) {
    return `onnxruntime-node skipped on ${w.id}: ${(e as Error).message.split('\n')[0]}`;
  }
}

async function session(o: Ort, w: Workload, threads: number): Promise<OrtRunner> {
  const opts = { numLayers: w.layers, bidirectional: w.bidirectional, batchFirst: w.batchFirst };
  const model = w.mode === 'LSTM' ? new torch.nn.LSTM(w.input, w.hidden, opts) : new torch.nn.GRU(w.input, w.hidden, opts);
  model.eval();
  const x = w.batchFirst ? torch.randn(w.batch, w.steps, w.input) : torch.randn(w.steps, w.batch, w.input);
  const bytes = torch.onnx.export(model, x);
  const session = await o.InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds = { [session.inputNames[0]!]: new o.Tensor('float32', x.toFloat32Array(), [...x.shape]) };
  return {
    infer: async () => {
      await session.run(feeds);
    },
    version: o.env.versions?.common ?? '',
  };
}
