/**
 * The models of issue 13's three ported programs (char-level GRU language model, LSTM classifier on
 * packed variable-length batches, attention encoder-decoder), ported line by line from the PyTorch
 * scripts in tools/fixtures/port_*.py. Shared by the port tests and the ONNX export test of issue 20.
 */
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

const { nn } = torch;
const { packPaddedSequence } = nn.utils.rnn;

// class CharGRU(nn.Module): ...
export class CharGRU extends nn.Module {
  embed: torch.nn.Embedding;
  gru: torch.nn.GRU;
  head: torch.nn.Linear;
  constructor(vocab: number, emb = 6, hidden = 12) {
    super();
    this.embed = new nn.Embedding(vocab, emb);
    this.gru = new nn.GRU(emb, hidden, { batchFirst: true });
    this.head = new nn.Linear(hidden, vocab);
  }
  forward(x: Tensor, h: Tensor | null = null): [Tensor, Tensor] {
    const [out, hN] = this.gru.forward(this.embed.forward(x), h) as [Tensor, Tensor];
    return [this.head.forward(out), hN];
  }
}

// class Classifier(nn.Module): ...
export class Classifier extends nn.Module {
  lstm: torch.nn.LSTM;
  fc: torch.nn.Linear;
  constructor(features: number, hidden: number, classes: number) {
    super();
    this.lstm = new nn.LSTM(features, hidden, { numLayers: 2, batchFirst: true });
    this.fc = new nn.Linear(hidden, classes);
  }
  forward(x: Tensor, lengths: Tensor): Tensor {
    const packed = packPaddedSequence(x, lengths, { batchFirst: true, enforceSorted: false });
    const [, [hN]] = this.lstm.forward(packed) as [unknown, [Tensor, Tensor]];
    return this.fc.forward(hN.index(-1));
  }
}

/** The attention port's sizes: padding token, source and target vocabularies, embedding and hidden sizes. */
export const SEQ2SEQ = { PAD: 0, VS: 7, VT: 6, E: 5, H: 8 } as const;

// class Seq2Seq(nn.Module): ...
export class Seq2Seq extends nn.Module {
  srcEmbed = new nn.Embedding(SEQ2SEQ.VS, SEQ2SEQ.E, { paddingIdx: SEQ2SEQ.PAD });
  tgtEmbed = new nn.Embedding(SEQ2SEQ.VT, SEQ2SEQ.E, { paddingIdx: SEQ2SEQ.PAD });
  encoder = new nn.GRU(SEQ2SEQ.E, SEQ2SEQ.H, { batchFirst: true });
  decoder = new nn.GRU(SEQ2SEQ.E, SEQ2SEQ.H, { batchFirst: true });
  out = new nn.Linear(2 * SEQ2SEQ.H, SEQ2SEQ.VT);
  forward(src: Tensor, tgt: Tensor): [Tensor, Tensor] {
    const [enc, h] = this.encoder.forward(this.srcEmbed.forward(src)) as [Tensor, Tensor]; // (N, S, H), (1, N, H)
    const [dec] = this.decoder.forward(this.tgtEmbed.forward(tgt), h) as [Tensor, Tensor]; // (N, T, H)
    const scores = torch.einsum('bqd,bkd->bqk', dec, enc); // (N, T, S)
    const mask = src.eq(SEQ2SEQ.PAD).unsqueeze(1); // (N, 1, S), bool
    const attn = torch.softmax(scores.maskedFill(mask, Number.NEGATIVE_INFINITY), -1);
    const context = torch.bmm(attn, enc); // (N, T, H)
    return [this.out.forward(torch.cat([dec, context], -1)), attn];
  }
}
