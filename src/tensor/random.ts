/**
 * Random number generators: xoshiro128** seeded through splitmix32. PyTorch: `torch.Generator`,
 * `torch.default_generator`, `torch.manual_seed`.
 *
 * PyTorch parity: `torch.manualSeed(n)` and `new torch.Generator().manualSeed(n)` make runs
 * reproducible, but the numbers differ from PyTorch's mt19937 stream; weights meant to match
 * PyTorch are loaded, not re-drawn, and a PyTorch shuffling order is replayed through a sampler
 * that yields the recorded indices (any iterable of indices is a sampler).
 */

import { RuntimeError, ValueError } from '../errors.js';

function splitmix32(seed: number): () => number {
  let z = seed >>> 0;
  return () => {
    z = (z + 0x9e3779b9) >>> 0;
    let x = z;
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
    return (x ^ (x >>> 16)) >>> 0;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A generator's full state: PyTorch: `Generator.get_state()` (a different layout, same use). */
export interface GeneratorState {
  readonly seed: number;
  readonly words: readonly [number, number, number, number];
  readonly spare: number | null;
}

/**
 * A random number stream of its own, so a DataLoader, a sampler or `randomSplit` can be
 * reproducible without touching the global stream. PyTorch: `torch.Generator()`.
 *
 *   const g = new torch.Generator().manualSeed(42);
 *   const loader = new torch.utils.data.DataLoader(ds, { batchSize: 8, shuffle: true, generator: g });
 *
 * A new generator starts from PyTorch's default seed, 67280421310721, so it is reproducible
 * even unseeded (as in PyTorch).
 */
export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;
  private seed_ = 0;

  constructor() {
    this.manualSeed(67280421310721);
  }

  /**
   * Reseed; returns this generator so it chains as in PyTorch. PyTorch: `Generator.manual_seed(seed)`.
   * The seed is any safe integer (negative too, as PyTorch); fractions and non-numbers are
   * refused with PyTorch's error.
   */
  manualSeed(seed: number): this {
    if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
      throw new RuntimeError(
        `manual_seed expected a long, but got ${typeof seed === 'number' ? 'float' : typeof seed === 'string' ? 'str' : typeof seed}. Pass an integer seed (at most 2**53 - 1 in magnitude).`,
      );
    }
    const hi = Math.floor(seed / 2 ** 32);
    const next = splitmix32((seed >>> 0) ^ Math.imul(hi >>> 0, 0x27d4eb2d));
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spare = null;
    this.seed_ = seed;
    return this;
  }

  /** The seed last given to `manualSeed`. PyTorch: `Generator.initial_seed()`. */
  initialSeed(): number {
    return this.seed_;
  }

  /**
   * Reseed from a non-deterministic source and return the new seed. PyTorch: `Generator.seed()`.
   */
  seed(): number {
    const s = Math.floor(Math.random() * 2 ** 52);
    this.manualSeed(s);
    return s;
  }

  /** A snapshot to restore with `setState`. PyTorch: `Generator.get_state()`. */
  getState(): GeneratorState {
    return { seed: this.seed_, words: [this.s0, this.s1, this.s2, this.s3], spare: this.spare };
  }

  /** Restore a snapshot from `getState`. PyTorch: `Generator.set_state(state)`. */
  setState(state: GeneratorState): this {
    const w = state?.words;
    if (!Array.isArray(w) || w.length !== 4 || w.some((x) => !Number.isInteger(x))) {
      throw new ValueError('setState expects a state returned by getState()');
    }
    [this.s0, this.s1, this.s2, this.s3] = w.map((x) => x | 0) as [number, number, number, number];
    this.spare = state.spare;
    this.seed_ = state.seed;
    return this;
  }

  /** The next 32 random bits as an unsigned integer (xoshiro128**). */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    return (this.nextU32() * 2 ** 21 + (this.nextU32() >>> 11)) / 2 ** 53;
  }

  /** Uniform in [0, 1) with 24 random bits: exact in float32, so never rounds up to 1 there. */
  uniform24(): number {
    return (this.nextU32() >>> 8) / 2 ** 24;
  }

  /** Standard normal (Box-Muller, caching the second value). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A uniform integer in [0, n) without modulo bias, for n up to 2⁵³. */
  below(n: number): number {
    if (n <= 2 ** 32) {
      // Rejection sampling on 32 bits: the accepted range is a multiple of n.
      const limit = 2 ** 32 - (2 ** 32 % n);
      let x = this.nextU32();
      while (x >= limit) x = this.nextU32();
      return x % n;
    }
    return Math.floor(this.uniform() * n);
  }

  /** PyTorch's repr: `<torch._C.Generator object>`. */
  toString(): string {
    return `Generator(initialSeed=${this.seed_})`;
  }
}

/**
 * The generator `torch.manualSeed` seeds and every random op uses when given none.
 * PyTorch: `torch.default_generator`.
 */
export const defaultGenerator = new Generator();
defaultGenerator.manualSeed(Date.now() >>> 0);

/** PyTorch: `torch.manual_seed(seed)`: reseeds the default generator and returns it. */
export function manualSeed(seed: number): Generator {
  return defaultGenerator.manualSeed(seed);
}

/** PyTorch: `torch.initial_seed()`. */
export function initialSeed(): number {
  return defaultGenerator.initialSeed();
}

/** PyTorch: `torch.seed()`: reseed the default generator non-deterministically. */
export function seed(): number {
  return defaultGenerator.seed();
}

/** The generator to draw from: the one given, else the default. Refuses anything else. */
export function generatorOf(generator: Generator | null | undefined): Generator {
  if (generator === undefined || generator === null) return defaultGenerator;
  if (!(generator instanceof Generator)) {
    const name = typeof generator === 'object' ? (generator as object).constructor?.name ?? 'object' : typeof generator;
    throw new RuntimeError(
      `expected a torch.Generator, but got ${name}. Create one with new torch.Generator().manualSeed(seed).`,
    );
  }
  return generator;
}

/** A random permutation of 0 … n-1 (Fisher–Yates). The values behind `torch.randperm`. */
export function randomPermutation(n: number, g: Generator = defaultGenerator): Int32Array {
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = g.below(i + 1);
    const v = perm[i];
    perm[i] = perm[j];
    perm[j] = v;
  }
  return perm;
}

/** Uniform in [0, 1) with 53 random bits, from the default generator. */
export function randomUniform(): number {
  return defaultGenerator.uniform();
}

/** Uniform in [0, 1) with 24 random bits, from the default generator. */
export function randomUniform24(): number {
  return defaultGenerator.uniform24();
}

/** Standard normal from the default generator. */
export function randomNormal(): number {
  return defaultGenerator.normal();
}
