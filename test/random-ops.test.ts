/**
 * Random sampling ops: randint, multinomial, bernoulli, normal, randLike/randnLike, uniform_/normal_.
 * torchlet's stream is its own (PyTorch's draws cannot be replayed), so these are statistical
 * tests: seeded, sample sizes fixed, every mean/frequency within 5 standard errors of the
 * distribution's (a false failure has odds below 1e-6 per check), plus the exact properties
 * (ranges, no repeats without replacement, shapes, dtypes, reproducibility with a generator).
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';

const gen = (seed = 1234) => new torch.Generator().manualSeed(seed);
const values = (t: torch.Tensor) => Array.from(t.contiguousData());
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const variance = (v: number[]) => {
  const m = mean(v);
  return v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1);
};
/** |observed - expected| <= 5 standard errors. */
const within = (obs: number, exp: number, se: number, label: string) => {
  expect(Math.abs(obs - exp), `${label}: ${obs} vs ${exp} (se ${se})`).toBeLessThanOrEqual(5 * se);
};

describe('randint', () => {
  it('draws integers uniformly on [low, high), int64 by default', () => {
    const n = 20000;
    const t = torch.randint(-3, 4, [n], { generator: gen() });
    expect([t.dtype, t.shape]).toEqual(['int64', [n]]);
    const v = values(t);
    expect(Math.min(...v)).toBe(-3);
    expect(Math.max(...v)).toBe(3);
    // Each of the 7 values with frequency 1/7.
    for (let k = -3; k <= 3; k++) {
      const f = v.filter((x) => x === k).length / n;
      within(f, 1 / 7, Math.sqrt((1 / 7) * (6 / 7) / n), `P(${k})`);
    }
    expect(torch.randint(5, [2, 3]).shape).toEqual([2, 3]);
    expect(torch.randint(5, [4], { dtype: 'float64' }).dtype).toBe('float64');
  });
  it('is reproducible with a generator and randintLike keeps shape and dtype', () => {
    expect(values(torch.randint(100, [8], { generator: gen(5) }))).toEqual(values(torch.randint(100, [8], { generator: gen(5) })));
    const like = torch.randintLike(torch.zeros(2, 2, { dtype: 'int32' }), 3);
    expect([like.shape, like.dtype]).toEqual([[2, 2], 'int32']);
    expect(values(like).every((x) => x >= 0 && x < 3)).toBe(true);
  });
});

describe('multinomial', () => {
  const p = [0.1, 0.2, 0, 0.7];
  it('with replacement: frequencies match the (unnormalised) weights', () => {
    const n = 20000;
    const t = torch.multinomial(torch.tensor(p.map((x) => x * 3)), n, true, { generator: gen() });
    expect([t.dtype, t.shape]).toEqual(['int64', [n]]);
    const v = values(t);
    p.forEach((q, k) => {
      const f = v.filter((x) => x === k).length / n;
      if (q === 0) expect(f).toBe(0);
      else within(f, q, Math.sqrt((q * (1 - q)) / n), `P(${k})`);
    });
  });
  it('without replacement: no repeats in a row, positive weights first, first draw in proportion', () => {
    const rows = 4000;
    const probs = torch.tensor(Array.from({ length: rows }, () => p));
    const t = probs.multinomial(4, { generator: gen(9) });
    expect(t.shape).toEqual([rows, 4]);
    const v = values(t);
    const first: number[] = [];
    for (let r = 0; r < rows; r++) {
      const row = v.slice(r * 4, r * 4 + 4);
      expect(new Set(row).size).toBe(4);
      expect(row[3]).toBe(2); // the zero-weight category comes last
      first.push(row[0]!);
    }
    p.forEach((q, k) => {
      if (q > 0) within(first.filter((x) => x === k).length / rows, q, Math.sqrt((q * (1 - q)) / rows), `first = ${k}`);
    });
    // The second draw given the first: P(second = 1 | first = 3) = 0.2 / 0.3.
    const after3 = [];
    for (let r = 0; r < rows; r++) if (v[r * 4] === 3) after3.push(v[r * 4 + 1]);
    const q = 0.2 / 0.3;
    within(after3.filter((x) => x === 1).length / after3.length, q, Math.sqrt((q * (1 - q)) / after3.length), 'second after 3');
  });
  it('is reproducible with a generator', () => {
    const w = torch.tensor([1, 2, 3, 4]);
    expect(values(torch.multinomial(w, 10, true, { generator: gen(3) }))).toEqual(values(torch.multinomial(w, 10, { replacement: true, generator: gen(3) })));
  });
});

describe('bernoulli', () => {
  it('tensor of probabilities, and a scalar p; zero gradient as PyTorch', () => {
    const n = 20000;
    const probs = torch.full([n], 0.3, { dtype: 'float64', requiresGrad: true });
    const b = torch.bernoulli(probs, { generator: gen() });
    expect(b.dtype).toBe('float64');
    expect(values(b).every((x) => x === 0 || x === 1)).toBe(true);
    within(mean(values(b)), 0.3, Math.sqrt(0.21 / n), 'mean');
    b.sum().backward();
    expect(values(probs.grad!).every((x) => x === 0)).toBe(true);
    const c = torch.zeros(n).bernoulli(0.8, { generator: gen(2) });
    within(mean(values(c)), 0.8, Math.sqrt(0.16 / n), 'mean p');
    // Per-entry probabilities: 0 and 1 are exact.
    expect(torch.bernoulli(torch.tensor([0, 1, 0, 1])).tolist()).toEqual([0, 1, 0, 1]);
  });
});

describe('normal', () => {
  const n = 20000;
  it('normal(mean, std, size): mean and variance within sampling error', () => {
    const t = torch.normal(2, 3, [n], { generator: gen() });
    expect([t.dtype, t.shape]).toEqual(['float32', [n]]);
    within(mean(values(t)), 2, 3 / Math.sqrt(n), 'mean');
    within(variance(values(t)), 9, 9 * Math.sqrt(2 / (n - 1)), 'variance');
  });
  it('tensor forms broadcast mean and std; zero gradients as PyTorch', () => {
    const m = torch.tensor([[-5], [5]], { dtype: 'float64', requiresGrad: true });
    const s = torch.full([n / 2], 0.5, { dtype: 'float64', requiresGrad: true });
    const t = torch.normal(m, s, { generator: gen(4) });
    expect(t.shape).toEqual([2, n / 2]);
    within(mean(values(t.index(0))), -5, 0.5 / Math.sqrt(n / 2), 'row 0');
    within(mean(values(t.index(1))), 5, 0.5 / Math.sqrt(n / 2), 'row 1');
    t.sum().backward();
    expect(m.grad!.tolist()).toEqual([[0], [0]]);
    const u = torch.normal(torch.zeros(n), 2, { generator: gen(6) });
    within(variance(values(u)), 4, 4 * Math.sqrt(2 / (n - 1)), 'std number');
    const w = torch.normal(1, torch.full([n], 2), { generator: gen(8) });
    within(mean(values(w)), 1, 2 / Math.sqrt(n), 'mean number');
  });
});

describe('randLike, randnLike, uniform_, normal_', () => {
  const n = 20000;
  it('match their distributions', () => {
    torch.manualSeed(11);
    const r = values(torch.randLike(torch.zeros(n)));
    within(mean(r), 0.5, Math.sqrt(1 / 12 / n), 'rand mean');
    expect(Math.min(...r) >= 0 && Math.max(...r) < 1).toBe(true);
    const z = values(torch.randnLike(torch.zeros(n, { dtype: 'float64' })));
    within(variance(z), 1, Math.sqrt(2 / (n - 1)), 'randn variance');
    const u = values(torch.zeros(n).uniform_(-2, 6, { generator: gen() }));
    within(mean(u), 2, Math.sqrt(64 / 12 / n), 'uniform_ mean');
    expect(Math.min(...u) >= -2 && Math.max(...u) < 6).toBe(true);
    const g = values(torch.zeros(n).normal_(-1, 0.5, { generator: gen(2) }));
    within(mean(g), -1, 0.5 / Math.sqrt(n), 'normal_ mean');
    within(variance(g), 0.25, 0.25 * Math.sqrt(2 / (n - 1)), 'normal_ variance');
  });
});
