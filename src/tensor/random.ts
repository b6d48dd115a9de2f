/**
 * The default random generator: xoshiro128** seeded through splitmix32.
 * PyTorch parity: `torch.manual_seed(n)` makes runs reproducible, but the numbers differ from
 * PyTorch's mt19937 stream; weights meant to match PyTorch are loaded, not re-drawn.
 */

let s0 = 0;
let s1 = 0;
let s2 = 0;
let s3 = 0;
let spare: number | null = null;

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

/** PyTorch: `torch.manual_seed(seed)`. */
export function manualSeed(seed: number): void {
  const hi = Math.floor(seed / 2 ** 32);
  const next = splitmix32((seed >>> 0) ^ Math.imul(hi >>> 0, 0x27d4eb2d));
  s0 = next();
  s1 = next();
  s2 = next();
  s3 = next();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  spare = null;
}

manualSeed(Date.now() >>> 0);

function nextU32(): number {
  const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotl(s3, 11);
  return result;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Uniform in [0, 1) with 53 random bits. */
export function randomUniform(): number {
  return (nextU32() * 2 ** 21 + (nextU32() >>> 11)) / 2 ** 53;
}

/** Uniform in [0, 1) with 24 random bits: exact in float32, so never rounds up to 1 there. */
export function randomUniform24(): number {
  return (nextU32() >>> 8) / 2 ** 24;
}

/** Standard normal (Box-Muller, caching the second value). */
export function randomNormal(): number {
  if (spare !== null) {
    const v = spare;
    spare = null;
    return v;
  }
  let u = 0;
  while (u === 0) u = randomUniform();
  const v = randomUniform();
  const r = Math.sqrt(-2 * Math.log(u));
  spare = r * Math.sin(2 * Math.PI * v);
  return r * Math.cos(2 * Math.PI * v);
}
