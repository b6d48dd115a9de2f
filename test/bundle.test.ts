/**
 * What a browser app pays for torchlet, measured the way apps are built: esbuild bundles small
 * entry files (minified, ESM, platform browser) that import torchlet by its package names
 * (aliased to the sources, so no build is needed; package.json's `sideEffects: false` applies as
 * it does to the published files). Targets: an LSTM-only bundle at most 50 KB of gzipped JS plus
 * one .wasm file of at most 10 KB gzipped; `nn` tree-shakes (no losses, no norms in that bundle).
 *
 * The Tensor methods (`x.matmul(w)`) are installed on the prototype by src/ops/methods/*.ts, which
 * export nothing: package.json `sideEffects` lists them, or a tree-shaking bundler drops them. The
 * third case proves they survive: a minimal app that calls methods only, bundled and run.
 *
 * esbuild (0.28) tree-shakes property accesses only on a namespace *import* of the module that
 * defines the names (`import * as nn from 'torchlet/nn'; nn.LSTM`), not through a namespace
 * object one level down (`torch.nn.LSTM`, whatever the structure: `export * as nn`,
 * `import * as nn ...; export { nn }`, or a frozen `/* @__PURE__ *\/` object all keep every layer,
 * checked on a 3-file example). Rollup (Vite) and webpack do shake `torch.nn.X`. So under esbuild
 * the tree-shakable spellings are `import { LSTM } from 'torchlet/nn'` and
 * `import * as nn from 'torchlet/nn'`; the `torch.nn` form is measured and reported beside them.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { build as viteBuild } from 'vite';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const alias = {
  torchlet: `${ROOT}src/index.ts`,
  'torchlet/nn': `${ROOT}src/nn/index.ts`,
};

interface Bundle {
  /** Gzipped bytes of the entry and the chunks it imports statically (what loads before the app runs). */
  gzip: number;
  /** Chunks loaded only by a dynamic import (esbuild's code splitting), with their gzipped bytes. */
  lazy: { file: string; gzip: number; inputs: string[] }[];
  /** The modules with code in the output (every chunk). */
  inputs: string[];
  /** The text of the entry and its static chunks. */
  text: string;
  /** Every output file, by name (the entry is app.js). */
  files: Map<string, Uint8Array>;
}

async function bundle(code: string): Promise<Bundle> {
  // Code splitting on, as an app that cares about its size builds: a dynamic import of the library
  // (the thread pool's workers, src/kernels/wasm/pool-code.browser.ts) becomes a chunk of its own.
  const r = await esbuild.build({
    stdin: { contents: code, resolveDir: ROOT, loader: 'ts', sourcefile: 'app.ts' },
    absWorkingDir: ROOT,
    bundle: true,
    minify: true,
    splitting: true,
    outdir: join(tmpdir(), 'torchlet-bundle-out'),
    entryNames: 'app',
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    alias,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const outputs = Object.entries(r.metafile.outputs);
  const contents = new Map(r.outputFiles.map((f) => [relative(r.outputFiles[0]!.path.replace(/[^/]+$/, ''), f.path), f.contents]));
  const name = (k: string) => k.replace(/^.*\//, '');
  // The modules that put code in an output (the metafile also lists the ones tree-shaken to nothing).
  const inputsOf = (o: (typeof outputs)[number][1]) => Object.entries(o.inputs).filter(([, v]) => v.bytesInOutput > 0).map(([k]) => k);
  const entry = outputs.find(([, o]) => o.entryPoint !== undefined)!;
  const statics = new Set<string>();
  const visit = (k: string): void => {
    if (statics.has(k)) return;
    statics.add(k);
    for (const i of r.metafile.outputs[k]!.imports) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(entry[0]);
  const gz = (k: string) => gzipSync(contents.get(name(k))!, { level: 9 }).length;
  return {
    gzip: [...statics].reduce((n, k) => n + gz(k), 0),
    lazy: outputs.filter(([k]) => !statics.has(k) && !k.endsWith('.map')).map(([k, o]) => ({ file: name(k), gzip: gz(k), inputs: inputsOf(o) })),
    inputs: outputs.flatMap(([, o]) => inputsOf(o)),
    text: [...statics].map((k) => new TextDecoder().decode(contents.get(name(k)))).join('\n'),
    files: contents,
  };
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

describe('browser bundles (esbuild)', () => {
  it('an nn.LSTM-only app: its size (issue 19 aimed at <= 50 KB gzipped JS), no losses or norms, the kernels as files', async () => {
    const b = await bundle(`
      import { LSTM } from 'torchlet/nn';
      import { randn, wasmReady } from 'torchlet';
      await wasmReady();
      const lstm = new LSTM(8, 16, { batchFirst: true });
      const [y] = lstm.forward(randn(2, 5, 8));
      console.log(y.shape);`);
    console.log(`[bundle.test] LSTM-only bundle: ${kb(b.gzip)} gzipped JS (${b.gzip} B: the entry and its static chunks), ${b.inputs.length} modules`);
    // Loaded later, by dynamic import, and only if the page starts threads (setNumThreads, or the
    // first large op on a cross-origin isolated page): the workers' code, counted apart.
    for (const c of b.lazy) console.log(`[bundle.test]   + ${c.file} when threads start: ${kb(c.gzip)} gzipped (${c.inputs.join(', ')})`);
    expect(b.lazy.map((c) => c.inputs)).toEqual([['src/kernels/wasm/pool.ts']]);
    // Issue 19's target is <= 50 KB. Every Tensor method is installed by side effect, so every op
    // with a method is in every bundle: 49.6 KB before issue 13's reductions and maths (~50 methods,
    // +7.3 KB), 56.9 KB with them. The target is NOT met now; this bound only stops further growth.
    // Decided in session 6: methods stay installed whenever a tensor exists (the same app with no
    // methods installed: 35.7 KB, so ~24 KB are the methods' ops); see /README.md "browser app".
    if (b.gzip > 50 * 1024) console.log(`[bundle.test] over issue 19's 50 KB target by ${kb(b.gzip - 50 * 1024)}`);
    // Issue 13's scatterReduce / scatter(reduce=) and the dtype keyword of the reductions: 57.7 -> 60.0 KB (s6).
    // s7 (60.8 KB): with the methods' files replaced by empty modules the same app is 36.2 KB; the
    // methods add the op code they call (minified: reductions 12.9 KB, math 8.2, elementwise 8.1,
    // indexing 7.8, inplace 6.5, scatter 5.1, shape 4.5, matmul 3.5, matrix 3.2, random 3.0, ...). No
    // module is there for anything else (no conv/norm kernels, ONNX, io, optimizers, losses); about
    // 15 KB of the gzipped JS is string literals (PyTorch's messages). This bound stops growth.
    // s8: 61.0 -> 59.9 KB (61,326 B): the thread pool's workers (src/kernels/wasm/pool.ts, 1.5 KB
    // gzipped) are a chunk loaded when threads start (src/kernels/wasm/pool-code.browser.ts).
    // s8 (issue 16): 61,400 B: a batch-first bidirectional layer places x once for both directions (+74 B).
    expect(b.gzip).toBeLessThanOrEqual(61_440);
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

  it("`import * as nn from 'torchlet/nn'; nn.LSTM` leaves losses and norms out too", async () => {
    const b = await bundle(`
      import * as nn from 'torchlet/nn';
      import { randn } from 'torchlet';
      const [y] = new nn.LSTM(8, 16).forward(randn(5, 2, 8));
      console.log(y.shape);`);
    expect(b.inputs).toContain('src/nn/rnn/layers.ts');
    expect(b.inputs.filter((f) => /loss|norm|conv|embedding|optim|onnx|\/io\//i.test(f))).toEqual([]);
    console.log(`[bundle.test] LSTM through import * as nn: ${kb(b.gzip)} gzipped JS, ${b.inputs.length} modules`);
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

  it('`torch.nn.LSTM` under Vite (Rolldown) leaves losses and norms out, as the named import does', async () => {
    // esbuild keeps every layer for this spelling (above); the README's `import * as torch` form is
    // shaken by Vite 8's Rolldown (and Rollup, webpack), which follow reads through the namespace.
    const dir = mkdtempSync(join(tmpdir(), 'torchlet-vite-'));
    try {
      writeFileSync(join(dir, 'app.ts'), "import * as torch from 'torchlet';\nconst [y] = new torch.nn.LSTM(8, 16).forward(torch.randn(5, 2, 8));\nconsole.log(y.shape);\n");
      const r = await viteBuild({
        root: dir,
        logLevel: 'silent',
        configFile: false,
        resolve: { alias: { 'torchlet/nn': alias['torchlet/nn'], torchlet: alias.torchlet } },
        build: { write: false, minify: true, lib: { entry: join(dir, 'app.ts'), formats: ['es'], fileName: 'app' } },
      });
      const chunks = (Array.isArray(r) ? r : [r]).flatMap((o) => ('output' in o ? o.output : [])).filter((o) => o.type === 'chunk');
      const inputs = chunks.flatMap((c) => Object.entries(c.modules).filter(([, m]) => m.renderedLength > 0).map(([k]) => k.replace(ROOT, '')));
      expect(inputs).toContain('src/nn/rnn/layers.ts');
      expect(inputs.filter((f) => /loss|norm|conv|embedding|optim|onnx|\/io\//i.test(f))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Tensor methods survive tree-shaking: x.matmul and one method of each src/ops/methods file', async () => {
    const methodFiles = readdirSync(`${ROOT}src/ops/methods`).filter((f) => f.endsWith('.ts') && f !== 'index.ts');
    // Only `tensor` is imported: everything else is a method call, which a bundler cannot see.
    const b = await bundle(`
      import { tensor } from 'torchlet';
      const x = tensor([[1, 2], [3, 4]]);
      const y = x.matmul(x.t()).add(1).reshape(4).float();   // matmul, elementwise, shape, core
      const [a] = y.split(2);                                 // join
      console.log(JSON.stringify([y.tolist(), a.sum().item(), x.index(1, 0).item()]));  // reduce, indexing`);
    const methodInputs = b.inputs.filter((f) => f.startsWith('src/ops/methods/'));
    expect(methodFiles.map((f) => `src/ops/methods/${f}`).filter((f) => !methodInputs.includes(f))).toEqual([]);
    // Run the minified bundle (the .wasm kernels copied next to it, as an app's build does).
    const dir = mkdtempSync(join(tmpdir(), 'torchlet-bundle-'));
    try {
      writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
      for (const [f, bytes] of b.files) writeFileSync(join(dir, f), bytes);
      for (const f of readdirSync(`${ROOT}src/kernels/wasm`).filter((n) => n.endsWith('.wasm'))) copyFileSync(`${ROOT}src/kernels/wasm/${f}`, join(dir, f));
      const printed = execFileSync(process.execPath, [join(dir, 'app.js')], { encoding: 'utf8' });
      expect(JSON.parse(printed)).toEqual([[6, 12, 12, 26], 18, 3]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
