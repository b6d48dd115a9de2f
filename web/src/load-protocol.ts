/** Messages between the load panel and its Web Worker (load-worker.ts): plain JSON, no tensors. */

export interface LoadedLayer {
  prefix: string;
  type: string;
  /** The line `torchlet inspect` prints: `inputSize 10, hiddenSize 20, numLayers 1, ...`. */
  summary: string;
  pytorch: string;
  torchlet: string;
  notes: string[];
  /** One forward on a random input: its shape and every output's, or why it could not run. */
  run: { input: number[]; outputs: { name: string; shape: number[] }[] } | { error: string };
}

export interface LoadReport {
  name: string;
  format: 'pt' | 'pt-legacy' | 'safetensors';
  formatName: string;
  bytes: number;
  tensors: { name: string; dtype: string; shape: number[]; count: number }[];
  totalParameters: number;
  metadata: Record<string, string>;
  entries: { key: string; what: string }[] | null;
  weightsKey: string | null;
  layers: LoadedLayer[];
  unrecognized: string[];
}

export type FromLoadWorker = { type: 'report'; report: LoadReport } | { type: 'error'; message: string };
export interface ToLoadWorker {
  name: string;
  bytes: Uint8Array;
}
