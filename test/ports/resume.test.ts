/**
 * Resuming training from a PyTorch training checkpoint (fixture: tools/fixtures/port_resume.py).
 *
 * PyTorch wrote `torch.save({'model', 'optimizer', 'scheduler', 'epoch': 3})` after 3 Adam steps
 * (two parameter groups, the second added with `add_param_group`, a StepLR, and a write to
 * `param_groups[0]['lr']`), then made 3 more steps. Here the checkpoint is loaded into a torchlet
 * port of the same model, optimiser and scheduler, and the 3 steps after it must give PyTorch's
 * losses, learning rates and weights: that holds only if Adam's moments and step counts, each
 * group's hyper-parameters and the scheduler's position all came back.
 *
 * Tolerance: the optimiser update is bit-exact (test/optim.test.ts); the GRU's gradients differ
 * from PyTorch's by float32 summation order (~1e-7 relative), so weights are checked at TOL.f32
 * and losses at 1e-5 relative (the bar; measured ~1e-7).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { expectClose, loadFixture, TOL } from '../helpers/fixtures.js';

const { nn } = torch;

interface Cases {
  keys: string[];
  first_losses: number[];
  losses: number[];
  lrs: number[][];
  param_groups: Array<Record<string, unknown>>;
  scheduler: Record<string, unknown>;
}
const fx = loadFixture<Cases>('port_resume');
const ckptBytes = new Uint8Array(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'port_resume.pt')));
const F = 3;
const H = 5;
const O = 2;

// The PyTorch script's model, ported line by line.
class Net extends nn.Module {
  gru = new nn.GRU(F, H, { batchFirst: true });
  head = new nn.Linear(H, O);
  forward(x: Tensor): Tensor {
    const [out] = this.gru.forward(x) as [Tensor, Tensor];
    return this.head.forward(out);
  }
}

function make(): { model: Net; opt: torch.optim.Adam; sched: torch.optim.lrScheduler.StepLR } {
  const model = new Net();
  model.loadStateDict(Object.fromEntries(fx.cases.keys.map((k) => [k, fx.get(`init/${k}`)])));
  const opt = new torch.optim.Adam(model.gru.parameters(), { lr: 0.01, weightDecay: 0.01 });
  opt.addParamGroup({ params: model.head.parameters(), lr: 0.03, betas: [0.8, 0.99] });
  const sched = new torch.optim.lrScheduler.StepLR(opt, { stepSize: 2, gamma: 0.5 });
  return { model, opt, sched };
}

function step(m: ReturnType<typeof make>, epoch: number): number {
  const x = fx.get('x').float();
  const y = fx.get('y').float();
  m.opt.zeroGrad();
  const loss = nn.functional.mseLoss(m.model.forward(x), y);
  loss.backward();
  m.opt.step();
  m.sched.step();
  if (epoch === 1) m.opt.paramGroups[0]!.lr = 0.004; // writable param groups; StepLR keeps the write
  return loss.item();
}

function loadCheckpoint(m: ReturnType<typeof make>): number {
  const ckpt = torch.load(ckptBytes) as torch.io.PickleDict;
  m.model.loadStateDict(torch.io.toStateDict(ckpt, 'model'));
  m.opt.loadStateDict(ckpt.optimizer as unknown as torch.optim.OptimizerStateDict);
  m.sched.loadStateDict(ckpt.scheduler as unknown as torch.optim.lrScheduler.SchedulerStateDict);
  return ckpt.epoch as number;
}

describe('resuming from a PyTorch checkpoint', () => {
  it("the checkpoint's optimizer and scheduler entries resume training exactly where PyTorch left off", () => {
    const m = make();
    const start = loadCheckpoint(m);
    expect(start).toBe(3);
    expect(m.opt.paramGroups.map((g) => [g.lr, g.initialLr, [...g.betas], g.weightDecay])).toEqual([
      [0.004, 0.01, [0.9, 0.999], 0.01],
      [0.015, 0.03, [0.8, 0.99], 0.01],
    ]);
    for (let e = start; e < start + 3; e++) {
      const loss = step(m, e);
      expect(Math.abs(loss - fx.cases.losses[e - start]!) / fx.cases.losses[e - start]!, `loss ${e}`).toBeLessThan(1e-5);
      expect(m.opt.paramGroups.map((g) => g.lr)).toEqual(fx.cases.lrs[e - start]);
      expect(m.sched.getLastLr()).toEqual(fx.cases.lrs[e - start]);
      const sd = m.model.stateDict();
      for (const k of fx.cases.keys) expectClose(sd[k], fx.get(`after${e}/${k}`), TOL.f32, `step ${e} ${k}`);
    }
  });

  it('without the optimizer entry (fresh moments), the same weights and rates train differently', () => {
    const m = make();
    const ckpt = torch.load(ckptBytes) as torch.io.PickleDict;
    m.model.loadStateDict(torch.io.toStateDict(ckpt, 'model'));
    m.sched.loadStateDict(ckpt.scheduler as unknown as torch.optim.lrScheduler.SchedulerStateDict);
    m.opt.paramGroups[0]!.lr = 0.004;
    m.opt.paramGroups[1]!.lr = 0.015;
    step(m, 3);
    const w = m.model.stateDict()['gru.weight_hh_l0']!;
    const want = fx.get('after3/gru.weight_hh_l0');
    const diff = Math.max(...Array.from(w.contiguousData(), (v, i) => Math.abs(v - want.contiguousData()[i]!)));
    expect(diff).toBeGreaterThan(1e-4);
  });

  it("3 torchlet steps from the same start give PyTorch's optimizer and scheduler state dicts", () => {
    const m = make();
    const losses = [0, 1, 2].map((e) => step(m, e));
    for (const [i, l] of losses.entries()) expect(Math.abs(l - fx.cases.first_losses[i]!) / fx.cases.first_losses[i]!).toBeLessThan(1e-5);
    const sd = m.opt.stateDict();
    // PyTorch 1.13 also saves foreach/capturable/differentiable/fused, which torchlet has no use for.
    const known = ['amsgrad', 'betas', 'eps', 'initial_lr', 'lr', 'maximize', 'params', 'weight_decay'];
    expect(sd.param_groups).toEqual(
      fx.cases.param_groups.map((g) => Object.fromEntries(known.map((k) => [k, g[k]]))),
    );
    expect(Object.keys(sd.state)).toEqual(['0', '1', '2', '3', '4', '5']);
    for (const [i, s] of Object.entries(sd.state)) {
      expect(Object.keys(s).sort()).toEqual(['exp_avg', 'exp_avg_sq', 'step']);
      expect((s.step as Tensor).item()).toBe(fx.get(`state/${i}/step`).item());
      expectClose(s.exp_avg as Tensor, fx.get(`state/${i}/exp_avg`), TOL.f32, `exp_avg ${i}`);
      expectClose(s.exp_avg_sq as Tensor, fx.get(`state/${i}/exp_avg_sq`), TOL.f32, `exp_avg_sq ${i}`);
    }
    const want = fx.cases.scheduler;
    expect(m.sched.stateDict()).toMatchObject({
      step_size: want.step_size, gamma: want.gamma, base_lrs: want.base_lrs,
      last_epoch: want.last_epoch, _step_count: want._step_count, _last_lr: want._last_lr,
    });
  });

  it('a torchlet state dict round-trips through loadStateDict into a fresh optimizer (groups and moments)', () => {
    const a = make();
    [0, 1, 2].map((e) => step(a, e));
    const b = make();
    b.model.loadStateDict(a.model.stateDict());
    b.opt.loadStateDict(a.opt.stateDict());
    b.sched.loadStateDict(a.sched.stateDict());
    for (const e of [3, 4]) expect(step(b, e)).toBe(step(a, e));
    expect(Array.from(b.model.head.weight.contiguousData())).toEqual(Array.from(a.model.head.weight.contiguousData()));
  });
});
