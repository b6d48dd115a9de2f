/** Messages between the train panel (main thread) and its Web Worker (train-worker.ts). */
import type { ForecasterConfig } from '../../src/forecast/config.js';

/** What the form asks for (the CLI's `torchlet train` options, same defaults). */
export interface TrainForm {
  model: 'LSTM' | 'GRU' | 'RNN';
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  target: string;
  window: number;
  horizon: number;
  epochs: number;
  lr: number;
  batchSize: number;
  seed: number;
  valFraction: number;
}

export type ToWorker =
  | { type: 'start'; csv: string; dataName: string; form: TrainForm }
  | { type: 'resume'; epochs: number }
  | { type: 'stop' };

export interface Validation {
  dates: string[] | null;
  rows: number[];
  actual: number[];
  forecast: number[];
  baseline: number[];
}

export type FromWorker =
  | { type: 'started'; threads: number; kernels: string; rows: number; columns: string[]; batches: number; epochsDone: number; epochs: number }
  | { type: 'batch'; epoch: number; batch: number; batches: number; loss: number; samplesPerSecond: number }
  | { type: 'epoch'; epoch: number; epochs: number; trainLoss: number; valLoss: number; valMae: number; baselineMae: number }
  | {
      type: 'done';
      stopped: boolean;
      config: ForecasterConfig;
      /** model.safetensors, as `torchlet train` writes it */
      weights: Uint8Array;
      validation: Validation;
      mae: number;
      baselineMae: number;
      seconds: number;
    }
  | { type: 'error'; message: string };
