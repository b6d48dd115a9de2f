/**
 * Reading PyTorch fixtures (test/fixtures/*.safetensors, written by tools/fixtures/*.py) and
 * comparing tensors with named tolerances.
 */

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { loadSafetensors } from '../../src/io/safetensors.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/** The fixture format this test suite reads; bump with tools/fixtures/common.py. */
export const FIXTURE_VERSION = '2';

/** Tolerances, named once. float32 round-off: PyTorch and torchlet round at different points. */
export const TOL = {
  /** Single ops and short chains in float32. */
  f32: { rtol: 1e-5, atol: 1e-6 },
  /** Recurrent layers and gradients through time (sums of many float32 products). */
  f32Deep: { rtol: 1e-4, atol: 1e-5 },
  f64: { rtol: 1e-10, atol: 1e-12 },
} as const;

export interface Fixture<C> {
  tensors: Record<string, Tensor>;
  cases: C;
  get(name: string): Tensor;
}

export function loadFixture<C = unknown>(name: string): Fixture<C> {
  const file = loadSafetensors(readFileSync(join(FIXTURES, `${name}.safetensors`)), { keepFloat64: true });
  const version = file.metadata.fixture_version;
  if (version !== FIXTURE_VERSION) {
    throw new Error(`fixture ${name} has version ${version}, tests expect ${FIXTURE_VERSION}: regenerate with tools/fixtures`);
  }
  const tensors = file.tensors;
  return {
    tensors,
    cases: JSON.parse(file.metadata.cases ?? 'null') as C,
    get(key: string): Tensor {
      const t = tensors[key];
      if (t === undefined) throw new Error(`fixture ${name} has no tensor "${key}"`);
      return t;
    },
  };
}

/** Assert same shape and |a - e| <= atol + rtol * |e| elementwise (NaN matches NaN). */
export function expectClose(
  actual: Tensor | null | undefined,
  expected: Tensor,
  tol: { rtol: number; atol: number } = TOL.f32,
  label = '',
): void {
  expect(actual, `${label}: missing`).toBeTruthy();
  const a = actual!;
  expect([...a.shape], `${label}: shape`).toEqual([...expected.shape]);
  const av = a.contiguousData();
  const ev = expected.contiguousData();
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < ev.length; i++) {
    const x = av[i]!;
    const y = ev[i]!;
    if (Number.isNaN(y) && Number.isNaN(x)) continue;
    if (x === y) continue;
    const excess = Math.abs(x - y) - (tol.atol + tol.rtol * Math.abs(y));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(
      `${label}: element ${worst} differs: got ${av[worst]}, expected ${ev[worst]} (rtol ${tol.rtol}, atol ${tol.atol})`,
    );
  }
}
