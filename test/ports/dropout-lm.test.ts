/**
 * Issue 13, ported program 4: PyTorch's word-level LSTM language model in miniature, with dropout
 * (fixture: tools/fixtures/port_dropout_lm.py).
 *
 * The PyTorch script, ported line by line: Embedding -> Dropout -> LSTM -> Dropout -> Linear,
 * batchified token streams, truncated backpropagation through time (the hidden state carried across
 * chunks and detached, the example's `repackage_hidden`), `clipGradNorm_`, Adam, then `model.eval()`
 * and the evaluation loss under `torch.noGrad`. torchlet's random stream is its own, so PyTorch's
 * dropout masks (recorded by a forward hook) are replayed through the default generator, and the
 * test checks that torchlet drew exactly as many as PyTorch (none in eval mode).
 *
 * Tolerance: each loss within 1e-5 relative of PyTorch's (the bar), weights at TOL.f32Deep.
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { expectClose, loadFixture, TOL } from '../helpers/fixtures.js';
import { withDropoutMasks } from './replay.js';

const { nn } = torch;

interface Cases {
  text: string;
  vocab: string[];
  batch: number;
  bptt: number;
  epochs: number;
  p: number;
  clip: number;
  keys: string[];
  losses: number[];
  evalLoss: number;
  masks: number;
}
const fx = loadFixture<Cases>('port_dropout_lm');
const { text: TEXT, batch: BATCH, bptt: BPTT, epochs: EPOCHS, p: P, clip: CLIP } = fx.cases;

// words = TEXT.split(); vocab = sorted(set(words))
const words = TEXT.split(' ');
const vocab = [...new Set(words)].sort();

// class WordLM(nn.Module): ... (ntoken = len(vocab), ninp = 6, nhid = 8)
class WordLM extends nn.Module {
  drop = new nn.Dropout(P);
  encoder = new nn.Embedding(vocab.length, 6);
  rnn = new nn.LSTM(6, 8, { batchFirst: true });
  decoder = new nn.Linear(8, vocab.length);
  forward(x: Tensor, hidden: [Tensor, Tensor] | null = null): [Tensor, [Tensor, Tensor]] {
    const emb = this.drop.forward(this.encoder.forward(x));
    const [out, h] = this.rnn.forward(emb, hidden) as [Tensor, [Tensor, Tensor]];
    return [this.decoder.forward(this.drop.forward(out)), h];
  }
}

describe('port 4: word-level LSTM language model with dropout (PyTorch masks replayed)', () => {
  const ids = torch.tensor(words.map((w) => vocab.indexOf(w)), { dtype: 'int64' });
  const n = Math.floor(words.length / BATCH);
  const data = ids.index(`:${n * BATCH}`).view(BATCH, n); // batchify
  const masks = Array.from({ length: fx.cases.masks }, (_, j) => fx.get(`mask/${j}`));
  const model = new WordLM();
  model.loadStateDict(Object.fromEntries(fx.cases.keys.map((k) => [k, fx.get(`init/${k}`)])));

  it('truncated BPTT with dropout, clipping and Adam gives PyTorch losses; eval draws no mask', () => {
    expect(vocab).toEqual(fx.cases.vocab);
    expect(Object.keys(model.stateDict())).toEqual(fx.cases.keys);
    const opt = new torch.optim.Adam(model.parameters(), { lr: 0.03 });
    const lossFn = new nn.CrossEntropyLoss();
    const { result: losses, unused } = withDropoutMasks(masks, P, () => {
      const out: number[] = [];
      model.train();
      for (let e = 0; e < EPOCHS; e++) {
        let hidden: [Tensor, Tensor] | null = null;
        for (let i = 0; i < n - 1; i += BPTT) {
          const seq = Math.min(BPTT, n - 1 - i);
          const x = data.index(':', `${i}:${i + seq}`);
          const y = data.index(':', `${i + 1}:${i + 1 + seq}`);
          if (hidden !== null) hidden = [hidden[0].detach(), hidden[1].detach()];
          opt.zeroGrad();
          const [logits, h] = model.forward(x, hidden);
          hidden = h;
          const loss = lossFn.forward(logits.reshape(-1, vocab.length), y.reshape(-1));
          loss.backward();
          nn.utils.clipGradNorm_(model.parameters(), CLIP);
          opt.step();
          out.push(loss.item());
        }
      }
      model.eval();
      const evalLoss = torch.noGrad(() => {
        const [logits] = model.forward(data.index(':', ':-1'));
        return lossFn.forward(logits.reshape(-1, vocab.length), data.index(':', '1:').reshape(-1)).item();
      });
      out.push(evalLoss);
      return out;
    });
    expect(unused, 'torchlet drew every PyTorch mask, and no more').toBe(0);
    const want = [...fx.cases.losses, fx.cases.evalLoss];
    expect(losses.length).toBe(want.length);
    for (const [i, l] of losses.entries()) {
      expect(Math.abs(l - want[i]!) / want[i]!, `loss ${i}: ${l} vs ${want[i]}`).toBeLessThan(1e-5);
    }
    const sd = model.stateDict();
    for (const k of fx.cases.keys) expectClose(sd[k], fx.get(`trained/${k}`), TOL.f32Deep, k);
  });
});
