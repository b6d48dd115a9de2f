/**
 * The old-vs-new comparison's process mode (bench/compare.ts, bench/compare-child.ts): the
 * warm-up rule stops where it says (counted calls, no clock), and the slow-mode rule treats both
 * builds alike (swapping them swaps the marks and keeps the same process pairs).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { warm } from '../bench/compare-child.js';
import { entryOf, slowMode } from '../bench/compare.js';

describe('bench --compare --processes', () => {
  it("each build is loaded from its package entry as Node imports it (exports['.'], conditions node / import / default, else main)", () => {
    // This tree: the Node bundle, not the ESM files for bundlers nor the sources.
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    expect(entryOf(root)).toBe(join(root, 'dist/bundle/index.js'));
    const dir = mkdtempSync(join(os.tmpdir(), 'torchlet-entry-'));
    const at = (pkg: object): string => {
      writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
      return entryOf(dir).slice(dir.length + 1);
    };
    try {
      // An older tree's map (types and import only) and the condition order of the object's keys.
      expect(at({ exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } } })).toBe('dist/index.js');
      expect(at({ exports: { '.': { import: './a.js', node: './b.js' } } })).toBe('a.js');
      expect(at({ exports: { '.': { browser: './a.js', require: './b.cjs', default: './c.js' } } })).toBe('c.js');
      expect(at({ exports: './only.js' })).toBe('only.js');
      expect(at({ main: './dist/main.js' })).toBe('dist/main.js');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

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
