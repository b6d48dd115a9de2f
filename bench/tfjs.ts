/**
 * TF.js peer: `@tensorflow/tfjs` layers (LSTM/GRU with recurrentActivation 'sigmoid', as
 * PyTorch) on the `@tensorflow/tfjs-backend-wasm` backend, its fastest without native code.
 * PyTorch parity: TF.js's GRU has no reset-after variant (resetAfter throws), so it runs the
 * reset-before GRU, the same FLOPs.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { Runner } from './torchlet-kernel.js';
import type { Workload } from './workloads.js';

export async function initTfjs(): Promise<string> {
  await tf.setBackend('wasm');
  await tf.ready();
  return `tfjs ${tf.version.tfjs} (${tf.getBackend()}, SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, threads ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')})`;
}

export interface AsyncRunner {
  infer(): Promise<void>;
  train(): Promise<void>;
  dispose(): void;
}

export function tfjsRunner(w: Workload): AsyncRunner {
  const model = tf.sequential();
  for (let l = 0; l < w.layers; l++) {
    const cfg = { units: w.hidden, recurrentActivation: 'sigmoid', returnSequences: true } as const;
    const cell = w.mode === 'LSTM' ? tf.layers.lstm(cfg) : tf.layers.gru(cfg);
    const layer = w.bidirectional ? tf.layers.bidirectional({ layer: cell, mergeMode: 'concat' }) : cell;
    if (l === 0) model.add(tf.layers.inputLayer({ inputShape: [w.steps, w.input] }));
    model.add(layer);
  }
  // TF.js is batch-first only.
  const x = tf.randomNormal([w.batch, w.steps, w.input]);
  return {
    infer: async () => {
      const y = model.predict(x) as tf.Tensor;
      await y.data();
      y.dispose();
    },
    train: async () => {
      const { value, grads } = tf.variableGrads(() => (model.apply(x, { training: true }) as tf.Tensor).sum() as tf.Scalar);
      await value.data();
      value.dispose();
      for (const g of Object.values(grads)) g.dispose();
    },
    dispose: () => {
      x.dispose();
      model.dispose();
    },
  };
}

export type { Runner };
