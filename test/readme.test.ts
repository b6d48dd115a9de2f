/**
 * The README's TypeScript examples run as written (with `from 'torchlet'` pointed at src/), and
 * print what the README says they print.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const scratch = join(root, 'test', '.readme-tmp');

/** The first ```ts block after a heading. */
function block(heading: string): string {
  const at = readme.indexOf(heading);
  expect(at, `README has no heading ${heading}`).toBeGreaterThanOrEqual(0);
  const m = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  expect(m, `no ts block after ${heading}`).toBeTruthy();
  return m![1]!;
}

async function run(name: string, code: string, prelude = ''): Promise<string[]> {
  mkdirSync(scratch, { recursive: true });
  const src = (prelude + code).replace(/from 'torchlet'/g, "from '../../src/index.js'");
  const file = join(scratch, `${name}.ts`);
  writeFileSync(file, `${src}\nexport {};\n`);
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  });
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    await import(/* @vite-ignore */ `${file}?t=${Date.now()}`);
  } finally {
    spy.mockRestore();
    warn.mockRestore();
  }
  return lines;
}

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('README examples', () => {
  it('the seed tutorial block gives the shapes it states', async () => {
    const code = block('## The seed tutorial');
    const out = await run(
      'seed',
      `${code}\nconsole.log(output.shape, hN.shape, cN.shape, rnn.toString());`,
    );
    expect(out[0]).toBe('LSTM(60, 20, num_layers=2, batch_first=True, dropout=0.2, bidirectional=True)');
    expect(out[1]).toBe('[32,100,40] [4,32,20] [4,32,20] GRU(60, 20, batch_first=True, dropout=0.2, bidirectional=True)');
  });

  it('the own-model block registers by assignment and its forward hook sees every layer', async () => {
    const out = await run('own-model', block('## Your own model'));
    expect(out).toEqual([
      'emb.weight lstm.weight_ih_l0 lstm.weight_hh_l0 lstm.bias_ih_l0 lstm.bias_hh_l0 head.weight head.bias',
      'emb -> [1,3,16]',
      'lstm -> [1,3,32]',
      'head -> [1,3,5]',
      'model -> [1,3,5]',
    ]);
  });

  it('the training block runs and lowers the loss', async () => {
    const code = block('## Training');
    const out = await run(
      'training',
      `${code}\nconsole.log(lossFn.forward(head.forward(model.forward(x)[0].narrow(1, -1, 1).squeeze(1)), y).item());`,
      "import * as torch from 'torchlet';\nconst { nn } = torch;\ntorch.manualSeed(0);\n",
    );
    // Random targets have variance ~1; 100 Adam steps must fit them well below that.
    expect(Number(out[0])).toBeLessThan(0.5);
  });
});
