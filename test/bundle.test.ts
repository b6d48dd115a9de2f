/**
 * What a browser app pays for torchlet, measured the way apps are built: esbuild bundles small
 * entry files (minified, ESM, platform browser) that import torchlet by its package names
 * (aliased to the sources, so no build is needed; package.json's `sideEffects: false` applies as
 * it does to the published files). Targets: an LSTM-only bundle at most 50 KB of gzipped JS plus
 * one .wasm file of at most 10 KB gzipped; `nn` tree-shakes (no losses, no norms in that bundle).
 *
 * esbuild does not tree-shake a namespace re-exported with `export * as` (`torch.nn.X` keeps all
 * of `nn`); Rollup (Vite) and webpack do. So the tree-shakable path under esbuild is the
 * `torchlet/nn` entry point; the `torch.nn` form is measured and reported beside it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const alias = {
  torchlet: `${ROOT}src/index.ts`,
  'torchlet/nn': `${ROOT}src/nn/index.ts`,
};

interface Bundle {
  gzip: number;
  inputs: string[];
  text: string;
}

async function bundle(code: string): Promise<Bundle> {
  const r = await esbuild.build({
    stdin: { contents: code, resolveDir: ROOT, loader: 'ts' },
    absWorkingDir: ROOT,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    alias,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const out = r.outputFiles[0]!;
  // The modules that put code in the output (the metafile also lists the ones tree-shaken to nothing).
  const inputs = Object.values(r.metafile.outputs).flatMap((o) => Object.entries(o.inputs).filter(([, v]) => v.bytesInOutput > 0).map(([k]) => k));
  return { gzip: gzipSync(out.contents, { level: 9 }).length, inputs, text: out.text };
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

describe('browser bundles (esbuild)', () => {
  it('an nn.LSTM-only app: <= 50 KB gzipped JS, no losses or norms, the kernels as files', async () => {
    const b = await bundle(`
      import { LSTM } from 'torchlet/nn';
      import { randn, wasmReady } from 'torchlet';
      await wasmReady();
      const lstm = new LSTM(8, 16, { batchFirst: true });
      const [y] = lstm.forward(randn(2, 5, 8));
      console.log(y.shape);`);
    console.log(`[bundle.test] LSTM-only bundle: ${kb(b.gzip)} gzipped JS, ${b.inputs.length} modules`);
    expect(b.gzip).toBeLessThanOrEqual(50 * 1024);
    expect(b.inputs).toContain('src/nn/rnn/layers.ts');
    const unwanted = b.inputs.filter((f) => /loss|norm|conv|embedding|optim|onnx|\/io\//i.test(f));
    expect(unwanted).toEqual([]);
    expect(b.text).not.toMatch(/MSELoss|CrossEntropyLoss|GroupNorm|LayerNorm|BatchNorm/);
    // The kernels are referenced as files, not embedded.
    expect(b.text).toContain('kernels-relaxed.wasm');
    expect(b.text).not.toContain('AGFzbQ');
    // The one flavour a browser fetches: <= 10 KB gzipped (each of them).
    for (const f of ['simd', 'relaxed', 'simd-shared', 'relaxed-shared']) {
      const gz = gzipSync(readFileSync(`${ROOT}src/kernels/wasm/kernels-${f}.wasm`), { level: 9 }).length;
      if (f === 'relaxed') console.log(`[bundle.test] kernels-${f}.wasm: ${kb(gz)} gzipped`);
      expect(gz, f).toBeLessThanOrEqual(10 * 1024);
    }
  });

  it('the same through torch.nn and the whole library, for the record', async () => {
    const viaNamespace = await bundle(`
      import * as torch from 'torchlet';
      const [y] = new torch.nn.LSTM(8, 16).forward(torch.randn(5, 2, 8));
      console.log(y.shape);`);
    const whole = await bundle(`import * as torch from 'torchlet'; console.log(torch);`);
    console.log(`[bundle.test] LSTM through torch.nn: ${kb(viaNamespace.gzip)}; whole library: ${kb(whole.gzip)} gzipped JS`);
    expect(viaNamespace.gzip).toBeLessThan(whole.gzip);
    expect(whole.text).not.toContain('AGFzbQ');
  });
});
