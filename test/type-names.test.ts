/**
 * Library Module classes keep their PyTorch names in a minified build: minifiers rename classes
 * (an LSTMCell once printed as `qs(6, 20)` in a minified Vite build), so every library class carries
 * a static `typeName` (src/nn/type-name.ts) that repr, explain and ONNX export read. Checked on an
 * esbuild-minified bundle (as test/bundle.test.ts builds them), run in Node.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { moduleTypeName } from '../src/nn/type-name.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('stable Module type names', () => {
  it('every library Module class names itself (its own static typeName, equal to its class name)', () => {
    const classes = Object.values(torch.nn).filter((v): v is typeof torch.nn.Module => typeof v === 'function' && v.prototype instanceof torch.nn.Module);
    expect(classes.length).toBeGreaterThan(30);
    const missing = classes.filter((c) => !Object.hasOwn(c, 'typeName') || (c as unknown as { typeName: string }).typeName !== c.name).map((c) => c.name);
    expect(missing).toEqual([]);
    // A user's subclass is named by its own class name, not its parent's typeName.
    class MyLSTM extends torch.nn.LSTM {}
    expect(moduleTypeName(new MyLSTM(2, 3))).toBe('MyLSTM');
  });

  it('survive esbuild minification: repr, explain and the ONNX tracer name the classes', async () => {
    const r = await esbuild.build({
      stdin: {
        contents: `
          import * as torch from 'torchlet';
          const { nn } = torch;
          const cell = new nn.LSTMCell(6, 20);
          const seq = new nn.Sequential(new nn.Linear(3, 4), new nn.GRU(4, 5));
          const report = torch.explain(new nn.LSTM(6, 20), [7, 2, 6]);
          let traced = '';
          class Masked extends nn.Module {
            fc = this.registerModule('fc', new nn.Linear(3, 3));
            forward(x) { return this.fc.forward(x).cumsum(1); }
          }
          try { torch.onnx.export(new Masked(), torch.randn(2, 3)); } catch (e) { traced = e.message; }
          console.log(JSON.stringify({ cell: String(cell), seq: String(seq), types: report.nodes.map((n) => n.type), traced }));`,
        resolveDir: ROOT,
        loader: 'ts',
      },
      absWorkingDir: ROOT,
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'node',
      target: 'es2022',
      alias: { torchlet: `${ROOT}src/index.ts` },
      write: false,
      logLevel: 'silent',
    });
    const text = r.outputFiles[0]!.text;
    // The minifier did rename the classes (else this test proves nothing).
    expect(text).not.toMatch(/class LSTMCell\b/);
    const dir = mkdtempSync(join(tmpdir(), 'torchlet-names-'));
    try {
      writeFileSync(join(dir, 'app.mjs'), text);
      for (const f of readdirSync(`${ROOT}src/kernels/wasm`).filter((n) => n.endsWith('.wasm'))) copyFileSync(`${ROOT}src/kernels/wasm/${f}`, join(dir, f));
      const out = JSON.parse(execFileSync(process.execPath, [join(dir, 'app.mjs')], { encoding: 'utf8' }));
      expect(out.cell).toBe('LSTMCell(6, 20)');
      expect(out.seq).toMatch(/^Sequential\(\n {2}\(0\): Linear\(in_features=3, out_features=4, bias=True\)\n {2}\(1\): GRU\(4, 5\)\n\)$/);
      expect(out.types).toContain('LSTM');
      expect(out.traced).toMatch(/CumsumBackward0/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
