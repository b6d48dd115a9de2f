/**
 * End to end: PyTorch-made .pt and safetensors files load into torchlet's nn.LSTM / nn.GRU and
 * reproduce PyTorch's outputs (tools/fixtures/io.py made the files and the outputs).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { expectClose, loadFixture, TOL } from './helpers/fixtures.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const read = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));

interface ModelCase {
  options: { input_size: number; hidden_size: number; num_layers: number; bidirectional: boolean; batch_first?: boolean; proj_size?: number };
  keys: string[];
}
const fx = loadFixture<Record<string, ModelCase>>('io_expected');

function build(name: string): torch.nn.LSTM | torch.nn.GRU {
  const o = fx.cases[name]!.options;
  const opts = { numLayers: o.num_layers, bidirectional: o.bidirectional, batchFirst: o.batch_first ?? false };
  return name.startsWith('lstm') ? new torch.nn.LSTM(o.input_size, o.hidden_size, { ...opts, projSize: o.proj_size ?? 0 }) : new torch.nn.GRU(o.input_size, o.hidden_size, opts);
}

function checkOutputs(name: string, m: torch.nn.LSTM | torch.nn.GRU): void {
  const x = fx.get(`${name}.x`);
  const h0 = fx.get(`${name}.h0`);
  if (m instanceof torch.nn.LSTM) {
    const [out, [hN, cN]] = torch.noGrad(() => m.forward(x, [h0, fx.get(`${name}.c0`)]));
    expectClose(cN, fx.get(`${name}.cN`), TOL.f32Deep, `${name} cN`);
    expectClose(out, fx.get(`${name}.out`), TOL.f32Deep, `${name} out`);
    expectClose(hN, fx.get(`${name}.hN`), TOL.f32Deep, `${name} hN`);
  } else {
    const [out, hN] = torch.noGrad(() => m.forward(x, h0));
    expectClose(out, fx.get(`${name}.out`), TOL.f32Deep, `${name} out`);
    expectClose(hN, fx.get(`${name}.hN`), TOL.f32Deep, `${name} hN`);
  }
}

describe('PyTorch checkpoints reproduce PyTorch outputs in torchlet layers', () => {
  it.each(['lstm', 'gru', 'lstm_proj'])('%s: torch.load(.pt) → loadStateDict (strict) → PyTorch outputs', (name) => {
    const m = build(name);
    const result = m.loadStateDict(torch.io.toStateDict(torch.load(read(`io_${name}.pt`))));
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
    checkOutputs(name, m);
  });

  it('lstm in the legacy (pre-1.6) format: torch.load → loadStateDict → PyTorch outputs', () => {
    const m = build('lstm');
    m.loadStateDict(torch.io.toStateDict(torch.load(read('io_lstm_legacy.pt'))));
    checkOutputs('lstm', m);
  });

  it.each(['lstm', 'gru', 'lstm_proj'])('%s: loadSafetensors → loadStateDict (strict) → PyTorch outputs', (name) => {
    const m = build(name);
    m.loadStateDict(torch.io.loadSafetensors(read(`io_${name}.safetensors`)).tensors);
    checkOutputs(name, m);
  });

  it('the nested training checkpoint: the model entry loads and gives the trained GRU outputs', () => {
    const m = build('gru') as torch.nn.GRU;
    m.loadStateDict(torch.io.toStateDict(torch.load(read('io_checkpoint.pt')), 'model'));
    const [out] = torch.noGrad(() => m.forward(fx.get('gru.x'), fx.get('gru.h0')));
    expectClose(out, fx.get('gru_trained.out'), TOL.f32Deep, 'trained gru');
  });

  it('a torchlet-written safetensors file round-trips through a fresh layer', () => {
    const a = build('lstm');
    const b = build('lstm');
    b.loadStateDict(torch.io.loadSafetensors(torch.io.saveSafetensors(torch.io.toStateDict(torch.load(read('io_lstm.pt'))))).tensors);
    a.loadStateDict(b.stateDict());
    checkOutputs('lstm', a);
  });

  it('a mismatched checkpoint fails in loadStateDict with PyTorch\'s message and changes nothing', () => {
    const m = build('gru');
    const before = m.stateDict().weight_ih_l0!.toFloat32Array();
    const load = () => m.loadStateDict(torch.io.toStateDict(torch.load(read('io_lstm.pt'))));
    expect(load).toThrow(/^Error\(s\) in loading state_dict for GRU:\n\tMissing key\(s\) in state_dict: "weight_ih_l2"/);
    expect(load).toThrow(/size mismatch for weight_ih_l0: copying a param with shape torch\.Size\(\[20, 4\]\) from checkpoint, the shape in current model is torch\.Size\(\[15, 4\]\)/);
    expect(m.stateDict().weight_ih_l0!.toFloat32Array()).toEqual(before);
  });
});
