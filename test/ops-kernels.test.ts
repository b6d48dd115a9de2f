/**
 * The reference kernels' row-by-row loops (`rowsOf`: dims coalesced, one plain loop per row)
 * against the definition: element i of the output reads each operand at
 * offset + sum(index_d * stride_d). Random shapes and layouts: transposed, expanded (stride 0),
 * narrowed (offset), flipped (negative strides), size-1 and size-0 dims.
 */

import { describe, expect, it } from 'vitest';
import type { StridedView } from '../src/kernels/ref/elementwise.js';
import { binary, forEachStrided, stridedCopy, where } from '../src/kernels/ref/elementwise.js';

/** A small deterministic generator (tests must not depend on Math.random). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A random view of `shape` over a fresh storage: permuted, with broadcast, offset and flipped dims. */
function randomView(shape: readonly number[], rnd: () => number): StridedView {
  const nd = shape.length;
  const order = shape.map((_, i) => i).sort(() => rnd() - 0.5);
  const strides = new Array<number>(nd).fill(0);
  let size = 1;
  for (const d of order) {
    if (rnd() < 0.2) continue; // broadcast: stride 0
    strides[d] = size * (rnd() < 0.2 ? 2 : 1); // sometimes gaps
    size *= Math.max(shape[d]!, 1) * (strides[d]! > size ? 2 : 1);
  }
  let offset = Math.floor(rnd() * 3);
  for (let d = 0; d < nd; d++) {
    if (rnd() < 0.25 && strides[d]! > 0) {
      offset += (shape[d]! - 1) * strides[d]!;
      strides[d] = -strides[d]!;
    }
  }
  const data = new Float64Array(size * 2 + offset + 8).map((_, i) => i * 0.5 - 3);
  return { data, strides, offset };
}

function naiveOffsets(shape: readonly number[], v: StridedView): number[] {
  const out: number[] = [];
  const n = shape.reduce((a, b) => a * b, 1);
  for (let i = 0; i < n; i++) {
    let rest = i;
    let o = v.offset;
    for (let d = shape.length - 1; d >= 0; d--) {
      o += (rest % shape[d]!) * v.strides[d]!;
      rest = Math.floor(rest / shape[d]!);
    }
    out.push(o);
  }
  return out;
}

describe('row-by-row kernels agree with the strided definition', () => {
  const rnd = lcg(1234);
  for (let trial = 0; trial < 60; trial++) {
    const nd = Math.floor(rnd() * 5);
    const shape = Array.from({ length: nd }, () => [0, 1, 1, 2, 3, 4][Math.floor(rnd() * 6)]!);
    if (trial % 10 !== 0) for (let d = 0; d < nd; d++) shape[d] ||= 2; // empty tensors now and then
    it(`shape [${shape.join(', ')}] #${trial}`, () => {
      const a = randomView(shape, rnd);
      const b = randomView(shape, rnd);
      const c = randomView(shape, rnd);
      const oa = naiveOffsets(shape, a);
      const ob = naiveOffsets(shape, b);
      const oc = naiveOffsets(shape, c);
      const n = oa.length;

      const copy = new Float64Array(n);
      stridedCopy(shape, a, copy);
      expect(Array.from(copy)).toEqual(oa.map((o) => a.data[o]));

      for (const op of ['add', 'mul', 'sub', 'div', 'maximum'] as const) {
        const out = new Float64Array(n);
        binary(op, shape, a, b, out);
        const f = { add: (x: number, y: number) => x + y, mul: (x: number, y: number) => x * y, sub: (x: number, y: number) => x - y, div: (x: number, y: number) => x / y, maximum: Math.max }[op];
        expect(Array.from(out), op).toEqual(oa.map((o, i) => f(a.data[o]!, b.data[ob[i]!]!)));
      }

      const cond = { ...c, data: c.data.map((v) => (v > 0 ? 1 : 0)) };
      const w = new Float64Array(n);
      where(shape, cond, a, b, w);
      expect(Array.from(w)).toEqual(oc.map((o, i) => (cond.data[o] ? a.data[oa[i]!] : b.data[ob[i]!])));

      const seen: number[][] = [];
      forEachStrided(shape, [a, b, c], (i, x, y, z) => {
        seen.push([i, x, y, z]);
      });
      expect(seen).toEqual(oa.map((o, i) => [i, o, ob[i], oc[i]]));
    });
  }
});
