/**
 * Replaying PyTorch's random choices in the ported programs (torchlet's random stream is its own).
 * A PyTorch script records what its generator decided (a DataLoader's shuffling order, the
 * characters torch.multinomial drew); these feed the same decisions to the torchlet port.
 */
import * as torch from '../../src/index.js';

/**
 * A sampler for `DataLoader({ sampler })` that yields PyTorch's recorded shuffling order, one
 * epoch (`n` indices) per pass, as PyTorch's RandomSampler did.
 */
export class ReplaySampler implements Iterable<number> {
  private next = 0;
  constructor(
    private readonly order: readonly number[],
    readonly length: number,
  ) {}
  *[Symbol.iterator](): Iterator<number> {
    const epoch = this.order.slice(this.next, this.next + this.length);
    if (epoch.length !== this.length) throw new Error(`the recorded order has no epoch at ${this.next}`);
    this.next += this.length;
    yield* epoch;
  }
}

/**
 * A `torch.Generator` whose uniform draws are given: `torch.multinomial(p, 1, { generator })`
 * picks category k when the draw lands in k's share of the cumulative weights, so feeding the
 * middle of the share of the category PyTorch drew (under PyTorch's recorded probabilities)
 * replays PyTorch's sample, provided torchlet's probabilities are close to PyTorch's (the test
 * checks those separately).
 */
export class ReplayGenerator extends torch.Generator {
  private readonly draws: number[] = [];
  /** Queue the draw that picks `k` from weights `p` (PyTorch's, recorded). */
  pick(p: ArrayLike<number>, k: number): this {
    let below = 0;
    let total = 0;
    for (let j = 0; j < p.length; j++) {
      if (j < k) below += p[j]!;
      total += p[j]!;
    }
    this.draws.push((below + p[k]! / 2) / total);
    return this;
  }
  override uniform(): number {
    const u = this.draws.shift();
    if (u === undefined) throw new Error('ReplayGenerator: no recorded draw left');
    return u;
  }
}

/**
 * Run `fn` with torchlet's default generator replaying PyTorch's dropout masks (bool tensors, in
 * the order PyTorch's `nn.Dropout` drew them): torchlet's dropout keeps an element when its uniform
 * draw is below 1 - p, so a kept element gets a draw below 1 - p and a dropped one a draw above it.
 * Throws if torchlet draws more than PyTorch did; returns the number left unused (0 when torchlet
 * drew exactly as PyTorch). The generator's own method is restored afterwards.
 */
export function withDropoutMasks<T>(masks: readonly torch.Tensor[], p: number, fn: () => T): { result: T; unused: number } {
  const draws: number[] = [];
  for (const m of masks) for (const keep of m.contiguousData()) draws.push(keep ? (1 - p) / 2 : 1 - p / 2);
  const g = torch.defaultGenerator;
  const own = Object.getOwnPropertyDescriptor(g, 'uniform');
  g.uniform = () => {
    const u = draws.shift();
    if (u === undefined) throw new Error('withDropoutMasks: torchlet drew more than PyTorch did');
    return u;
  };
  try {
    return { result: fn(), unused: draws.length };
  } finally {
    if (own) Object.defineProperty(g, 'uniform', own);
    else delete (g as { uniform?: unknown }).uniform;
  }
}
