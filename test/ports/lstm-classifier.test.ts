/**
 * Issue 13, ported program 2: an LSTM classifier on variable-length sequences (fixture:
 * tools/fixtures/port_lstm_classifier.py).
 *
 * The PyTorch script, ported line by line: items of different lengths, a DataLoader whose collate
 * function pads with `padSequence` (PyTorch's shuffling order replayed through a sampler),
 * `packPaddedSequence(..., { enforceSorted: false })` into a 2-layer LSTM, `hN.index(-1)` (PyTorch's
 * `h_n[-1]`) into a Linear head, CrossEntropyLoss, Adam with OneCycleLR over 3 epochs.
 *
 * Tolerance: each loss within 1e-5 relative of PyTorch's (the bar), the learning rates to
 * 1e-12 relative, trained weights and eval logits at TOL.f32Deep.
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { expectClose, loadFixture, TOL } from '../helpers/fixtures.js';
import { ReplaySampler } from './replay.js';
import { Classifier } from './models.js';

const { nn } = torch;
const { DataLoader } = torch.utils.data;
const { padSequence } = nn.utils.rnn;

interface Cases {
  keys: string[];
  lengths: number[];
  labels: number[];
  order: number[];
  losses: number[];
  lrs: number[];
  F: number;
  H: number;
  C: number;
  epochs: number;
  batch: number;
}
const fx = loadFixture<Cases>('port_lstm_classifier');
const { F, H, C, epochs: EPOCHS, batch: BATCH } = fx.cases;

type Item = [Tensor, number];
type Batch = [Tensor, Tensor, Tensor];

// def collate(batch): seqs, labels = zip(*batch); ...
function collate(batch: Item[]): Batch {
  const seqs = batch.map(([s]) => s);
  const lengths = torch.tensor(seqs.map((s) => s.shape[0]!), { dtype: 'int64' });
  return [padSequence(seqs, { batchFirst: true }), lengths, torch.tensor(batch.map(([, y]) => y), { dtype: 'int64' })];
}

describe('port 2: LSTM classifier on variable-length sequences', () => {
  const items: Item[] = fx.cases.lengths.map((_, i) => [fx.get(`item${i}`).float(), fx.cases.labels[i]!]);
  const model = new Classifier(F, H, C);
  model.loadStateDict(Object.fromEntries(fx.cases.keys.map((k) => [k, fx.get(`init/${k}`)])));

  it('3 epochs of padded, packed, shuffled batches with OneCycleLR give PyTorch losses, rates and weights', () => {
    expect(Object.keys(model.stateDict())).toEqual(fx.cases.keys);
    const loader = new DataLoader(items, { batchSize: BATCH, sampler: new ReplaySampler(fx.cases.order, items.length), collateFn: collate });
    expect(loader.length).toBe(3);
    const opt = new torch.optim.Adam(model.parameters(), { lr: 0.01 });
    const sched = new torch.optim.lrScheduler.OneCycleLR(opt, { maxLr: 0.05, epochs: EPOCHS, stepsPerEpoch: loader.length });
    const lossFn = new nn.CrossEntropyLoss();
    const losses: number[] = [];
    const lrs: number[] = [];
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      model.train();
      for (const [x, lengths, y] of loader) {
        const loss = lossFn.forward(model.forward(x, lengths), y);
        opt.zeroGrad();
        loss.backward();
        opt.step();
        sched.step();
        losses.push(loss.item());
        lrs.push(sched.getLastLr()[0]!);
      }
    }
    expect(losses.length).toBe(fx.cases.losses.length);
    for (const [i, l] of losses.entries()) {
      expect(Math.abs(l - fx.cases.losses[i]!) / fx.cases.losses[i]!, `loss ${i}: ${l} vs ${fx.cases.losses[i]}`).toBeLessThan(1e-5);
    }
    for (const [i, lr] of lrs.entries()) expect(Math.abs(lr - fx.cases.lrs[i]!) / fx.cases.lrs[i]!, `lr ${i}`).toBeLessThan(1e-12);
    const sd = model.stateDict();
    for (const k of fx.cases.keys) expectClose(sd[k], fx.get(`trained/${k}`), TOL.f32Deep, k);
  });

  it('in eval mode under noGrad, the whole unsorted set in one padded batch gives PyTorch logits', () => {
    model.eval();
    const logits = torch.noGrad(() => {
      const [x, lengths] = collate(items);
      return model.forward(x, lengths);
    });
    expect(logits.requiresGrad).toBe(false);
    expectClose(logits, fx.get('eval_logits'), TOL.f32Deep, 'eval logits');
  });
});
