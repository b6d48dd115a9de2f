/**
 * `npm run bench -- --tiers`: how far apart the kernel tiers' results are (README "Determinism").
 * For each case a recurrent model runs a training step (forward, out.sum().backward()) under
 * `setKernelPreference('ref' | 'simd' | 'relaxed')` and with the batch rows split across 2
 * threads; the table gives the largest difference of any output or gradient element from the
 * reference tier, relative to the largest magnitude of that tensor (so a tiny element's noise
 * does not dominate), and the largest absolute difference.
 */
import * as torch from '../src/index.js';
import { threadTuning } from '../src/kernels/wasm/threads.js';

type Tier = 'ref' | 'simd' | 'relaxed' | 'relaxed 2T split';
interface Case {
  name: string;
  make: () => torch.nn.RNNBase;
  shape: [number, number, number];
  /** Packed with these lengths (descending), batch N = lengths.length. */
  lengths?: number[];
}

const cases: Case[] = [
  { name: 'LSTM 32→64 x2, L=50, N=16', make: () => new torch.nn.LSTM(32, 64, 2), shape: [50, 16, 32] },
  { name: 'GRU 32→64 bi, L=50, N=16', make: () => new torch.nn.GRU(32, 64, { bidirectional: true }), shape: [50, 16, 32] },
  { name: 'LSTM 128→256, L=100, N=32 (W2-like)', make: () => new torch.nn.LSTM(128, 256), shape: [100, 32, 128] },
  { name: 'RNN tanh 16→32, L=200, N=8', make: () => new torch.nn.RNN(16, 32), shape: [200, 8, 16] },
  { name: 'LSTM proj 32→64→16, L=50, N=8', make: () => new torch.nn.LSTM(32, 64, { projSize: 16 }), shape: [50, 8, 32] },
  {
    name: 'LSTM 32→64 packed, N=13, lengths 40..3',
    make: () => new torch.nn.LSTM(32, 64),
    shape: [40, 13, 32],
    lengths: [40, 38, 35, 33, 30, 27, 22, 20, 15, 11, 8, 5, 3],
  },
];

/** Output then every parameter's gradient, flat. */
async function step(c: Case, tier: Tier): Promise<Float64Array[]> {
  torch.setKernelPreference(tier === 'relaxed 2T split' ? 'relaxed' : tier);
  await torch.setNumThreads(tier === 'relaxed 2T split' ? 2 : 1);
  torch.manualSeed(3);
  const m = c.make();
  const x = torch.randn(...c.shape);
  const input = c.lengths ? torch.nn.utils.rnn.packPaddedSequence(x, c.lengths) : x;
  const [out] = m.forward(input as torch.Tensor) as [torch.Tensor | { data: torch.Tensor }, unknown];
  const y = out instanceof torch.Tensor ? out : out.data;
  y.sum().backward();
  const flat = (t: torch.Tensor): Float64Array => Float64Array.from(t.toFloat32Array());
  return [flat(y), ...m.parameters().map((p) => flat(p.grad!))];
}

export async function tiers(): Promise<void> {
  const saved = threadTuning.minMacs;
  threadTuning.minMacs = 0;
  const rows: string[] = ['| case | tier | against | max rel. diff (output) | max rel. diff (gradients) | max abs. diff (all) |', '|---|---|---|---|---|---|'];
  for (const c of cases) {
    const ref = await step(c, 'ref');
    const simd = await step(c, 'simd');
    const relaxed = await step(c, 'relaxed');
    const split = await step(c, 'relaxed 2T split');
    const pairs: [Tier, string, Float64Array[], Float64Array[]][] = [
      ['simd', 'ref', simd, ref],
      ['relaxed', 'ref', relaxed, ref],
      ['relaxed', 'simd', relaxed, simd],
      ['relaxed 2T split', 'relaxed 1T', split, relaxed],
    ];
    for (const [tier, against, got, base] of pairs) {
      let relOut = 0;
      let relGrad = 0;
      let abs = 0;
      got.forEach((g, i) => {
        const r = base[i]!;
        const scale = r.reduce((a, v) => Math.max(a, Math.abs(v)), 0) || 1;
        let d = 0;
        for (let j = 0; j < g.length; j++) d = Math.max(d, Math.abs(g[j]! - r[j]!));
        abs = Math.max(abs, d);
        if (i === 0) relOut = d / scale;
        else relGrad = Math.max(relGrad, d / scale);
      });
      rows.push(`| ${c.name} | ${tier} | ${against} | ${relOut.toExponential(1)} | ${relGrad.toExponential(1)} | ${abs.toExponential(1)} |`);
      console.log(rows.at(-1));
    }
  }
  threadTuning.minMacs = saved;
  await torch.setNumThreads(1);
  torch.setKernelPreference('auto');
  console.log(`\n${rows.join('\n')}`);
}
