/**
 * The births example (examples/births.ts) on a reduced budget: every third training window,
 * 3 epochs, a smaller LSTM. The run is seeded, so the numbers are the same every time; the test
 * checks the example's claim that the LSTM beats "same day last week" on held-out years.
 */
import { describe, expect, it } from 'vitest';
import { runBirths } from '../examples/births.js';

describe('examples/births.ts', () => {
  it('trains an LSTM on daily US births that beats the same-day-last-week baseline on 2002–2003', () => {
    const r = runBirths({ epochs: 3, trainStride: 3, hiddenSize: 16, lr: 0.02, batchSize: 32, log: () => {} });
    expect(r.testDays).toBe(730);
    // the baseline is the data's own property: |births[t] − births[t−7]| averaged over 2002–2003
    expect(r.baselineMae).toBeCloseTo(450.4, 1);
    expect(r.epochLosses[2]!).toBeLessThan(r.epochLosses[0]!);
    expect(r.modelMae).toBeLessThan(r.baselineMae * 0.95);
  });

  it('is reproducible: the same seed gives the same numbers', () => {
    const options = { epochs: 1, trainStride: 8, hiddenSize: 8, log: () => {} };
    expect(runBirths(options)).toEqual(runBirths(options));
  });
});
