/**
 * Reductions and elementwise maths against PyTorch 1.13 (fixture: tools/fixtures/ops_math.py):
 * every case checks the values and dtype, the indices of (values, indices) results, and the
 * gradient of each float input for a fixed upstream gradient; the Tensor method form gives the same
 * values. Ties, NaN, negative dims, keepdim and empty dims are among the cases. Then PyTorch's
 * error messages for bad input.
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { expectClose, loadFixture, TOL } from './helpers/fixtures.js';

type Json = number | string | boolean | null | Json[] | { [k: string]: Json };
interface Case {
  fn: string;
  args: Json[];
  method: boolean;
  note: string;
  kind: 'tensor' | 'pair' | 'bool';
  value?: boolean;
  grads: string[];
}
interface Err {
  fn: string;
  args: Json[];
  type: string;
  message: string;
}
const fx = loadFixture<{ cases: Case[]; errors: Err[] }>('ops_math');
const SPECIAL: Record<string, number> = { inf: Number.POSITIVE_INFINITY, '-inf': Number.NEGATIVE_INFINITY, nan: Number.NaN };

/** The call's arguments: stored inputs cloned (float ones needing a gradient as leaves, shared per name). */
function build(args: Json[], grads: readonly string[]): { args: unknown[]; leaves: Map<string, torch.Tensor> } {
  const leaves = new Map<string, torch.Tensor>();
  const conv = (a: Json): unknown => {
    if (a !== null && typeof a === 'object' && !Array.isArray(a)) {
      if ('t' in a) {
        const name = a.t as string;
        if (grads.includes(name)) {
          if (!leaves.has(name)) leaves.set(name, fx.get(`in/${name}`).clone().requiresGrad_());
          return leaves.get(name);
        }
        return fx.get(`in/${name}`).clone();
      }
      if ('n' in a) return SPECIAL[a.n as string];
      return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, conv(v)]));
    }
    return Array.isArray(a) ? a.map(conv) : a;
  };
  return { args: args.map(conv), leaves };
}

const tolOf = (t: torch.Tensor) => (t.dtype === 'float32' ? TOL.f32 : TOL.f64);

function checkOut(res: unknown, c: Case, i: number, label: string): torch.Tensor | null {
  if (c.kind === 'bool') {
    expect(res, label).toBe(c.value);
    return null;
  }
  if (c.kind === 'pair') {
    const r = res as torch.ValuesIndices;
    const [values, indices] = r;
    const ev = fx.get(`out/${i}/values`);
    const ei = fx.get(`out/${i}/indices`);
    expectClose(values, ev, tolOf(ev), `${label} values`);
    expect(values!.dtype, `${label} values dtype`).toBe(ev.dtype);
    if (c.fn === 'topk' && c.note.startsWith('ties')) {
      // PyTorch leaves the indices among ties unspecified (1.13's partial sort picks others than
      // torchlet's lowest-first): check they are distinct and point at the values.
      const x = fx.get(`in/${(c.args[0] as { t: string }).t}`);
      const d = x.ndim - 1;
      expectClose(x.gather(d, indices!), ev, tolOf(ev), `${label} gathered`);
      for (const row of indices!.tolist() as number[][]) expect(new Set(row).size).toBe(row.length);
    } else {
      expect(indices!.tolist(), `${label} indices`).toEqual(ei.tolist());
    }
    expect(indices!.dtype, `${label} indices dtype`).toBe('int64');
    expect(r.values).toBe(values);
    expect(r[1]).toBe(indices);
    return values!;
  }
  const out = res as torch.Tensor;
  const e = fx.get(`out/${i}`);
  expect(out.dtype, `${label} dtype`).toBe(e.dtype);
  expectClose(out, e, tolOf(e), label);
  return out;
}

describe('reductions and maths against PyTorch 1.13', () => {
  const torchFns = torch as unknown as Record<string, (...a: unknown[]) => unknown>;
  fx.cases.cases.forEach((c, i) => {
    const title = `${c.fn}(${JSON.stringify(c.args).slice(1, -1)})${c.note ? ` [${c.note}]` : ''}`;
    it(title, () => {
      const { args, leaves } = build(c.args, c.grads);
      const out = checkOut(torchFns[c.fn]!(...args), c, i, `torch.${c.fn}`);
      if (c.grads.length > 0) {
        const up = fx.tensors[`up/${i}`];
        expect(up, 'PyTorch recorded a gradient').toBeTruthy();
        out!.backward(up);
        for (const name of c.grads) {
          const g = fx.get(`grad/${i}/${name}`);
          if (c.fn === 'topk' && c.note.startsWith('ties')) {
            // Other indices among ties move the gradient between equal elements: compare totals.
            expect(leaves.get(name)!.grad!.sum().item()).toBeCloseTo(g.sum().item(), 10);
            continue;
          }
          // A float32 result (e.g. `{ dtype: 'float32' }` on float64 input) was differentiated in float32.
          expectClose(leaves.get(name)!.grad, g, out!.dtype === 'float32' ? TOL.f32 : tolOf(g), `grad of ${name}`);
        }
      }
      if (c.method) {
        const m = build(c.args, []).args;
        const self = m[0] as Record<string, (...a: unknown[]) => unknown>;
        expect(typeof self[c.fn], `Tensor.${c.fn} exists`).toBe('function');
        checkOut(self[c.fn]!(...m.slice(1)), c, i, `Tensor.${c.fn}`);
      }
    });
  });
});

describe("PyTorch's errors", () => {
  const torchFns = torch as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const e of fx.cases.errors) {
    it(`${e.fn}(${JSON.stringify(e.args).slice(1, -1)}): ${e.type}`, () => {
      const { args } = build(e.args, []);
      let err: (Error & { pytorchType?: string }) | null = null;
      try {
        torchFns[e.fn]!(...args);
      } catch (x) {
        err = x as Error;
      }
      expect(err, 'throws').toBeTruthy();
      // PyTorch names a Python number's type (int, float); torchlet's argument checks say number.
      const want = e.type === 'TypeError' ? e.message.replace(/not (int|float)$/, 'not number') : e.message;
      expect(err!.message.startsWith(want), `message was: ${err!.message}`).toBe(true);
      const type = err!.pytorchType ?? (err instanceof TypeError ? 'TypeError' : err instanceof RangeError ? 'IndexError' : err!.name);
      expect(type).toBe(e.type);
    });
  }
});
