/**
 * ONNX export by tracing (issue 20) of real programs: issue 13's three ported models (char-level GRU
 * language model, LSTM classifier on packed variable-length batches, attention encoder-decoder) and
 * the training example's forecaster (examples/births.ts), each exported once and run in
 * onnxruntime-node at batch sizes and sequence lengths other than the traced ones, within 1e-5 of
 * torchlet's forward on the same inputs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Forecaster } from '../examples/births.js';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { decodeModel } from '../src/onnx/proto.js';
import { expectOrtMatches } from './helpers/ort.js';
import { CharGRU, Classifier, SEQ2SEQ, Seq2Seq } from './ports/models.js';

const tokens = (n: number, l: number, vocab: number, from = 0): Tensor => torch.randint(from, vocab, [n, l], { dtype: 'int64' });
const opTypes = (bytes: Uint8Array): string[] => decodeModel(bytes).graph!.node!.map((n) => n.opType!);

describe('ONNX export of the ported programs and the training example', () => {
  it('char-level GRU language model: tokens and a carried hidden state in, logits and hN out', async () => {
    torch.manualSeed(1);
    const model = new CharGRU(9);
    const names = ['x', 'h0'];
    const bytes = torch.onnx.export(model, [tokens(2, 5, 9), torch.randn(1, 2, 12)], {
      inputNames: names,
      outputNames: ['logits', 'hN'],
      dynamicAxes: { x: { 0: 'batch', 1: 'time' }, h0: { 1: 'batch' } },
    });
    expect(opTypes(bytes).filter((t) => t === 'GRU')).toHaveLength(1);
    for (const [n, l] of [[2, 5], [3, 8], [1, 1]] as const) await expectOrtMatches(bytes, model, names, [tokens(n, l, 9), torch.randn(1, n, 12)]);
  });

  it('LSTM classifier on packed variable-length batches: sequence_lens on both fused LSTM layers', async () => {
    torch.manualSeed(2);
    const model = new Classifier(3, 6, 4);
    const names = ['x', 'lengths'];
    const lengths = (v: number[]): Tensor => torch.tensor(v, { dtype: 'int64' });
    const bytes = torch.onnx.export(model, [torch.randn(3, 5, 3), lengths([5, 2, 4])], {
      inputNames: names,
      dynamicAxes: { x: { 0: 'batch', 1: 'time' }, lengths: { 0: 'batch' } },
    });
    const lstms = decodeModel(bytes).graph!.node!.filter((n) => n.opType === 'LSTM');
    expect(lstms).toHaveLength(2);
    for (const node of lstms) expect(node.input![4]).not.toBe('');
    for (const [x, l] of [
      [torch.randn(3, 5, 3), [5, 2, 4]],
      [torch.randn(4, 7, 3), [7, 3, 1, 6]],
      [torch.randn(1, 2, 3), [2]],
    ] as const) {
      await expectOrtMatches(bytes, model, names, [x, lengths([...l])]);
    }
  });

  it('attention encoder-decoder: padding mask from src.eq(PAD), maskedFill(-inf), softmax, bmm; batch, source and target lengths dynamic', async () => {
    torch.manualSeed(3);
    const model = new Seq2Seq();
    const names = ['src', 'tgt'];
    /** Source rows start with a real token and end in padding, as the port's batches. */
    const src = (n: number, s: number): Tensor => {
      const t = tokens(n, s, SEQ2SEQ.VS, 1);
      return t.maskedFill(torch.arange(s).unsqueeze(0).ge(torch.arange(n).remainder(s - 1).add(2).unsqueeze(1)), SEQ2SEQ.PAD);
    };
    const bytes = torch.onnx.export(model, [src(2, 6), tokens(2, 4, SEQ2SEQ.VT)], {
      inputNames: names,
      outputNames: ['logits', 'attn'],
      dynamicAxes: { src: { 0: 'batch', 1: 'src_len' }, tgt: { 0: 'batch', 1: 'tgt_len' } },
    });
    expect(opTypes(bytes).filter((t) => t === 'GRU')).toHaveLength(2);
    expect(opTypes(bytes)).toContain('Where');
    for (const [n, s, t] of [[2, 6, 4], [3, 4, 7], [5, 9, 2]] as const) await expectOrtMatches(bytes, model, names, [src(n, s), tokens(n, t, SEQ2SEQ.VT)]);
  });

  it("the training example's forecaster (examples/births.ts): LSTM over weeks, its last step by narrow(1, size - 1, 1)", async () => {
    torch.manualSeed(4);
    const model = new Forecaster(7, 8);
    const bytes = torch.onnx.export(model, torch.randn(4, 4, 7), { inputNames: ['x'], dynamicAxes: { x: { 0: 'batch', 1: 'weeks' } } });
    expect(opTypes(bytes).filter((t) => t === 'LSTM')).toHaveLength(1);
    for (const [n, w] of [[4, 4], [9, 6], [1, 2]] as const) await expectOrtMatches(bytes, model, ['x'], [torch.randn(n, w, 7)]);
  });
});

describe("README: Train here, serve anywhere", () => {
  it('the export snippet (tsx) and the ORT snippet (a plain .mjs in node) run as a user runs them, and agree', () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Train here, serve anywhere'));
    const ts = /```ts\n([\s\S]*?)```/.exec(section)![1]!;
    const js = /```js\n([\s\S]*?)```/.exec(section)![1]!;
    // In a folder inside the repository, so `onnxruntime-node` resolves as from a user's project.
    const dir = mkdtempSync(join(root, 'test', '.onnx-readme-'));
    try {
      writeFileSync(join(dir, 'export.ts'), ts.replace("from 'torchlet'", `from ${JSON.stringify(join(root, 'src/index.ts'))}`));
      writeFileSync(join(dir, 'serve.mjs'), js);
      const torchlet = execFileSync(join(root, 'node_modules/.bin/tsx'), ['export.ts'], { cwd: dir, encoding: 'utf8' });
      const ort = execFileSync(process.execPath, ['serve.mjs'], { cwd: dir, encoding: 'utf8' });
      const want = (JSON.parse(torchlet.trim()) as number[][])[0]!;
      // serve.mjs prints [3, 3] and the first row's logits: the traced row, in a batch of 3.
      const m = /^\[ 3, 3 \] \[ (.*) \]$/.exec(ort.trim());
      expect(m, ort).not.toBeNull();
      const got = m![1]!.split(',').map(Number);
      for (const [i, v] of got.entries()) expect(Math.abs(v - want[i]!)).toBeLessThan(1e-5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
