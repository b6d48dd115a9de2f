/**
 * Optimiser state dicts against PyTorch 1.13 (fixture: tools/fixtures/optim_state.py): for SGD
 * (plain, momentum + dampening, nesterov + weight decay, two groups), RMSprop (plain, centered +
 * momentum + weight decay), Adam (amsgrad) and AdamW, PyTorch saved `opt.state_dict()` with
 * `torch.save` after 3 steps and made 3 more. Here:
 * - the saved `optimizer` entry, loaded with `torch.load` into an optimiser built with other
 *   hyper-parameters, resumes exactly as PyTorch's run continued (bit-exact parameters: the update
 *   rules replay PyTorch's float32 kernels, see test/optim.test.ts);
 * - torchlet's own 3 steps give PyTorch's state dict (same keys, values, step counts, None
 *   momentum buffers, param groups);
 * - without the optimizer entry the continued run differs (so the test sees the state).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import type { Optimizer, OptimizerStateDict } from '../src/optim/index.js';
import type { BaseHyper } from '../src/optim/optimizer.js';
import { expectClose, loadFixture } from './helpers/fixtures.js';

interface Case {
  name: string;
  optim: 'SGD' | 'RMSprop' | 'Adam' | 'AdamW';
  options: Record<string, number | boolean | number[]>;
  extraGroup: Record<string, number> | null;
  saveAt: number;
  steps: number;
  nParams: number;
}
interface Checkpoint {
  params: torch.Tensor[];
  optimizer: OptimizerStateDict;
  step: number;
}

const fx = loadFixture<{ cases: Case[] }>('optim_state');
const pt = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'optim_state.pt'));
const checkpoints = torch.load(new Uint8Array(pt)) as unknown as Record<string, Checkpoint>;
const EXACT = { rtol: 0, atol: 0 };
/** PyTorch 1.13's param-group keys torchlet has no use for (implementation switches). */
const PYTORCH_ONLY = new Set(['foreach', 'differentiable', 'capturable', 'fused']);

/** PyTorch's keyword arguments in torchlet's spelling (`weight_decay` → `weightDecay`). */
const camel = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]));

function make(c: Case, params: torch.Tensor[], scaleLr = 1): Optimizer<BaseHyper> {
  const o = camel(c.options) as { lr: number };
  const options = { ...o, lr: o.lr * scaleLr };
  const first = c.extraGroup ? params.slice(0, 2) : params;
  const opt: Optimizer<BaseHyper> =
    c.optim === 'SGD'
      ? new torch.optim.SGD(first, options)
      : c.optim === 'RMSprop'
        ? new torch.optim.RMSprop(first, options)
        : c.optim === 'Adam'
          ? new torch.optim.Adam(first, options)
          : new torch.optim.AdamW(first, options);
  if (c.extraGroup) {
    const g = camel(c.extraGroup) as { lr: number };
    opt.addParamGroup({ ...g, lr: g.lr * scaleLr, params: [params[2]!] });
  }
  return opt;
}

/** PyTorch's gradient rule of the fixture: 0.5·p + ramp (none for parameter 2 on odd steps). */
function feed(c: Case, params: torch.Tensor[], step: number): void {
  params.forEach((p, i) => {
    const ramp = fx.tensors[`ramp/${c.name}/step${step}/${i}`];
    p.grad = ramp === undefined ? null : p.detach().mul(0.5).add(ramp);
  });
}

const fresh = (ts: readonly torch.Tensor[]) => ts.map((t) => new torch.nn.Parameter(t.clone()));

describe('optimiser state dicts: PyTorch checkpoint → torchlet → resume', () => {
  for (const c of fx.cases.cases) {
    const ckpt = checkpoints[c.name]!;

    it(`${c.name}: PyTorch's saved state resumes exactly as PyTorch continued`, () => {
      const params = fresh(ckpt.params);
      // Built with other learning rates: loadStateDict must bring PyTorch's back.
      const opt = make(c, params, 7);
      opt.loadStateDict(ckpt.optimizer);
      expect(opt.paramGroups.map((g) => g.lr)).toEqual(ckpt.optimizer.param_groups.map((g) => g.lr));
      for (let s = c.saveAt; s < c.steps; s++) {
        feed(c, params, s);
        opt.step();
        for (const [i, p] of params.entries()) expectClose(p, fx.get(`after/${c.name}/step${s}/param${i}`), EXACT, `step ${s} param ${i}`);
      }
    });

    it(`${c.name}: torchlet's 3 steps give PyTorch's state dict`, () => {
      const params = fresh(Array.from({ length: c.nParams }, (_, i) => fx.get(`init/${c.name}/param${i}`)));
      const opt = make(c, params);
      for (let s = 0; s < c.saveAt; s++) {
        feed(c, params, s);
        opt.step();
      }
      for (const [i, p] of params.entries()) expectClose(p, ckpt.params[i]!, EXACT, `param ${i} at the checkpoint`);
      const mine = opt.stateDict();
      const theirs = ckpt.optimizer;
      expect(Object.keys(mine.state)).toEqual(Object.keys(theirs.state));
      for (const [i, s] of Object.entries(theirs.state)) {
        const m = mine.state[Number(i)]!;
        expect(Object.keys(m).sort(), `state ${i} keys`).toEqual(Object.keys(s).sort());
        for (const [k, v] of Object.entries(s)) {
          const got = m[k];
          if (v instanceof torch.Tensor && k !== 'step') expectClose(got as torch.Tensor, v, EXACT, `state ${i} ${k}`);
          else if (v instanceof torch.Tensor) expect((got as torch.Tensor).item(), `state ${i} step`).toBe(v.item());
          else expect(got, `state ${i} ${k}`).toEqual(v);
        }
      }
      expect(mine.param_groups.length).toBe(theirs.param_groups.length);
      mine.param_groups.forEach((g, gi) => {
        const py = theirs.param_groups[gi]!;
        // Every key is PyTorch's with PyTorch's value; PyTorch's extra keys are implementation switches.
        expect(Object.keys(py).filter((k) => !(k in g) && !PYTORCH_ONLY.has(k)), `group ${gi} keys torchlet lacks`).toEqual([]);
        for (const [k, v] of Object.entries(g)) expect(v, `group ${gi} ${k}`).toEqual(py[k]);
      });
    });

    if (c.name !== 'sgd_plain') {
      it(`${c.name}: without the optimizer entry the run differs (the state matters)`, () => {
        const params = fresh(ckpt.params);
        const opt = make(c, params);
        feed(c, params, c.saveAt);
        opt.step();
        const want = fx.get(`after/${c.name}/step${c.saveAt}/param0`).contiguousData();
        const got = params[0]!.contiguousData();
        const diff = Math.max(...Array.from(got, (v, k) => Math.abs(v - want[k]!)));
        expect(diff).toBeGreaterThan(1e-4);
      });
    }
  }
});
