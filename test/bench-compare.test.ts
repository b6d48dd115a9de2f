/**
 * The old-vs-new comparison's process mode (bench/compare.ts, bench/compare-child.ts): the
 * warm-up rule stops where it says (counted calls, no clock), and the slow-mode rule treats both
 * builds alike (swapping them swaps the marks and keeps the same process pairs).
 */
import { describe, expect, it } from 'vitest';
import { warm } from '../bench/compare-child.js';
import { slowMode } from '../bench/compare.js';

describe('bench --compare --processes', () => {
  it('warm-up: whole windows, at least minCalls, until two windows agree, at most maxCalls', () => {
    let n = 0;
    const call = (): void => void n++;
    const rule = { window: 5, minCalls: 10, minMs: 1e9, maxCalls: 40, maxMs: 1e9 };
    // Any two windows agree: stops at the first window end past minCalls.
    expect(warm(call, { ...rule, tolerance: Number.POSITIVE_INFINITY }).calls).toBe(10);
    expect(n).toBe(10);
    // Never agree: runs to maxCalls.
    n = 0;
    expect(warm(call, { ...rule, tolerance: -1 }).calls).toBe(40);
    expect(n).toBe(40);
  });

  it('slow mode: each build against its own median; a pair goes if either process is slow; never more than half', () => {
    // [old, new] settled CPU ms per call of six process pairs: old slow in the third, new in the fourth.
    const steady = [5, 4, 5.2, 4.1, 10, 4, 5.1, 8.5, 4.9, 4.2, 5, 4.1].flatMap((v, i, a) => (i % 2 ? [] : [[v, a[i + 1]!] as [number, number]]));
    const marks = slowMode(steady);
    expect(marks.map((m) => m.slow)).toEqual([
      [false, false],
      [false, false],
      [true, false],
      [false, true],
      [false, false],
      [false, false],
    ]);
    expect(marks.map((m) => m.kept)).toEqual([true, true, false, false, true, true]);
    // Swapping the builds swaps the marks and keeps the same pairs.
    const swapped = slowMode(steady.map(([o, n]) => [n, o]));
    expect(swapped.map((m) => [m.slow[1], m.slow[0]])).toEqual(marks.map((m) => m.slow));
    expect(swapped.map((m) => m.kept)).toEqual(marks.map((m) => m.kept));
    // More than half slow (or unmeasured): everything is kept.
    expect(slowMode([[5, 4], [11, 4], [5, Number.NaN]]).map((m) => m.kept)).toEqual([true, true, true]);
  });
});
