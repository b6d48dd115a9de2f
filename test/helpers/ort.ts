/**
 * Running exported ONNX models in onnxruntime-node from tests (issue 20), and comparing them with
 * torchlet's own forward.
 */
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import * as torch from '../../src/index.js';

/** An ORT tensor of a torchlet tensor (float32, float64, int64, int32, bool). */
function toOrt(t: torch.Tensor): ort.Tensor {
  const dims = [...t.shape];
  const data = t.contiguousData();
  switch (t.dtype) {
    case 'int64':
      return new ort.Tensor('int64', BigInt64Array.from(data, (v) => BigInt(v)), dims);
    case 'int32':
      return new ort.Tensor('int32', Int32Array.from(data), dims);
    case 'bool':
      return new ort.Tensor('bool', Uint8Array.from(data), dims);
    case 'float64':
      return new ort.Tensor('float64', Float64Array.from(data), dims);
    default:
      return new ort.Tensor('float32', Float32Array.from(data), dims);
  }
}

const DTYPES: Record<string, torch.DType> = { float32: 'float32', float64: 'float64', int64: 'int64', int32: 'int32', bool: 'bool' };

/** Run `bytes` in ONNX Runtime (one thread, no graph optimisation); outputs in graph order as torchlet tensors of their dtype. */
export async function runOrt(bytes: Uint8Array, feeds: Record<string, torch.Tensor>): Promise<torch.Tensor[]> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'disabled' });
  const input: Record<string, ort.Tensor> = {};
  for (const [k, t] of Object.entries(feeds)) input[k] = toOrt(t);
  const out = await session.run(input);
  return session.outputNames.map((k) => {
    const v = out[k]!;
    const dtype = DTYPES[v.type];
    if (dtype === undefined) throw new Error(`ORT output ${k} has type ${v.type}`);
    const values = Array.from(v.data as ArrayLike<number | bigint>, Number);
    return torch.tensor(dtype === 'float32' ? Float32Array.from(values) : values, { shape: v.dims.map(Number), dtype });
  });
}

/** `got` has `want`'s shape and dtype, and values within `tol` (relative to 1 + |want|; integers and bools exactly). */
export function expectClose(got: torch.Tensor, want: torch.Tensor, tol = 1e-5): void {
  expect(got.shape).toEqual(want.shape);
  expect(got.dtype).toBe(want.dtype);
  const a = got.contiguousData();
  const b = want.contiguousData();
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(b[i]!) && Number.isNaN(a[i]!)) continue;
    if (a[i] === b[i]) continue;
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  }
  expect(worst).toBeLessThan(want.dtype === 'float32' || want.dtype === 'float64' ? tol : Number.MIN_VALUE);
}

/** torchlet's outputs of `model` on `inputs` (eval mode, no grad), flattened as the exporter flattens them. */
export function reference(model: torch.nn.Module, inputs: readonly torch.Tensor[]): torch.Tensor[] {
  const mode = model.training;
  model.eval();
  try {
    const out = torch.noGrad(() => (model.forward as (...a: torch.Tensor[]) => unknown)(...inputs));
    const flat = (o: unknown): torch.Tensor[] => (o instanceof torch.Tensor ? [o] : (o as unknown[]).flatMap(flat));
    return flat(out);
  } finally {
    model.train(mode);
  }
}

/** ORT's outputs on `feeds` match torchlet's forward on the same inputs (in the order of `names`). */
export async function expectOrtMatches(bytes: Uint8Array, model: torch.nn.Module, names: readonly string[], inputs: readonly torch.Tensor[], tol = 1e-5): Promise<void> {
  const got = await runOrt(bytes, Object.fromEntries(names.map((n, i) => [n, inputs[i]!])));
  const want = reference(model, inputs);
  expect(got.length).toBe(want.length);
  for (const [i, g] of got.entries()) expectClose(g, want[i]!, tol);
}
