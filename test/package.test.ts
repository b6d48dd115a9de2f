/**
 * The package as a user gets it. A copy of the repository's tracked files is built as
 * `npm run build` does (tsc with tsconfig.build.json, then the .wasm files copied next to the JS;
 * `--noCheck` here, since `npm test` type-checks the same sources once already), packed with
 * `npm pack` (so package.json's `files` decides what ships), and the tarball is installed offline
 * into a fresh project with `npm install` (production dependencies only, from npm's cache: CI's
 * `npm ci` has just filled it). Then, as users do: ESM `import`, CommonJS `require` (Node's
 * require(esm)), TypeScript with moduleResolution node16, nodenext and bundler (types: ["node"],
 * skipLibCheck false), the tarball's file list and size, and the installed size.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const NPM_ENV = { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' };
let tmp = '';
let project = '';
let tarball = '';
let packed: { path: string; size: number }[] = [];
let tarballBytes = 0;

function npm(args: string[], cwd: string): string {
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8', env: NPM_ENV });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Bytes of every file under `dir`. */
function duBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size;
  return total;
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'torchlet-pkg-'));
  // The repository's tracked files, as a clean clone has them.
  const src = join(tmp, 'src-copy');
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(ROOT, f))) continue; // deleted in the work tree
    mkdirSync(dirname(join(src, f)), { recursive: true });
    cpSync(join(ROOT, f), join(src, f));
  }
  const build = spawnSync(process.execPath, [TSC, '-p', join(src, 'tsconfig.build.json'), '--noCheck'], { cwd: src, encoding: 'utf8' });
  if (!existsSync(join(src, 'dist', 'index.js'))) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
  execFileSync(process.execPath, [join(src, 'tools', 'finish-build.mjs')], { cwd: src });
  const out = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], src)) as { filename: string; size: number; files: { path: string; size: number }[] }[];
  tarball = join(tmp, out[0]!.filename);
  packed = out[0]!.files;
  tarballBytes = out[0]!.size;

  project = join(tmp, 'user');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user', version: '1.0.0', private: true }));
  // torchlet's production dependencies, packed from this repository's node_modules (what `npm ci`
  // installed from the lockfile), so the install needs no registry metadata: `--offline`.
  const deps = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: ROOT, encoding: 'utf8', env: NPM_ENV })
    .trim()
    .split('\n')
    .slice(1)
    .filter(Boolean);
  const depTarballs = deps.map((d) => join(tmp, (JSON.parse(npm(['pack', d, '--json', '--ignore-scripts', '--pack-destination', tmp], tmp)) as { filename: string }[])[0]!.filename));
  npm(['install', tarball, ...depTarballs, '--offline', '--omit=dev', '--ignore-scripts', '--no-package-lock', '--loglevel=error'], project);
  // TypeScript's Node types, for `types: ["node"]` (not a dependency of torchlet).
  mkdirSync(join(project, 'node_modules', '@types'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(project, 'node_modules', '@types', 'node'), 'dir');
  for (const dep of ['undici-types']) {
    if (existsSync(join(ROOT, 'node_modules', dep)) && !existsSync(join(project, 'node_modules', dep))) symlinkSync(join(ROOT, 'node_modules', dep), join(project, 'node_modules', dep), 'dir');
  }
}, 180_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the tarball (npm pack)', () => {
  it('holds the built package, the wasm files, types, LICENSE, and no tests, fixtures or sources', () => {
    const paths = packed.map((f) => f.path);
    for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/index.js', 'dist/index.d.ts', 'dist/node.js', 'dist/node.d.ts', 'dist/onnx/proto.js']) {
      expect(paths, f).toContain(f);
    }
    for (const f of ['simd', 'relaxed', 'simd-shared', 'relaxed-shared']) expect(paths).toContain(`dist/kernels/wasm/kernels-${f}.wasm`);
    expect(paths.filter((p) => !p.startsWith('dist/') && !p.startsWith('assets/') && !['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'].includes(p))).toEqual([]);
    expect(paths.filter((p) => /(^|\/)(test|fixtures|tools|bench|assembly)\/|\.test\.|\.safetensors$|\.pt$|\.onnx$/.test(p))).toEqual([]);
    // No base64 copy of the kernels in the JS or the declarations any more.
    const big = packed.filter((f) => f.path.endsWith('.d.ts') && f.size > 40_000).map((f) => f.path);
    expect(big).toEqual([]);
  });

  it('is small: under 900 KB packed, 3.25 MB unpacked', () => {
    console.log(`[package.test] tarball ${(tarballBytes / 1024).toFixed(0)} KB packed, ${(packed.reduce((a, f) => a + f.size, 0) / 1024).toFixed(0)} KB unpacked, ${packed.length} files`);
    expect(tarballBytes).toBeLessThan(900 * 1024);
    // 3.06 MB unpacked before issue 13's reductions and maths (+155 KB of JS, declarations and
    // source maps with their sources), 3.21 MB with them: this bound only stops further growth.
    expect(packed.reduce((a, f) => a + f.size, 0)).toBeLessThan(3.25 * 1024 * 1024);
  });

  it('ships source maps that carry their sources (src/ is not shipped) and map errors to the right line', () => {
    const map = JSON.parse(readFileSync(join(project, 'node_modules', 'torchlet', 'dist', 'index.js.map'), 'utf8')) as { sources: string[]; sourcesContent?: string[] };
    expect(map.sourcesContent?.length).toBe(map.sources.length);
    expect(map.sourcesContent![0]).toContain("export * as nn from './nn/index.js'");
    // A stack trace through the (line-level) maps points at the TypeScript line that throws.
    writeFileSync(join(project, 'throws.mjs'), "import * as torch from 'torchlet';\ntorch.zeros(2, 3).matmul(torch.zeros(4, 5));\n");
    const r = spawnSync(process.execPath, ['--enable-source-maps', 'throws.mjs'], { cwd: project, encoding: 'utf8' });
    const frame = r.stderr.match(/\(?([^\s()]+\/src\/[\w/.-]+\.ts):(\d+):\d+\)?/);
    expect(frame, r.stderr).not.toBeNull();
    const [, tsFile, line] = frame!;
    const jsMap = join(project, 'node_modules', 'torchlet', 'dist', tsFile!.replace(/.*\/src\//, '').replace(/\.ts$/, '.js.map'));
    const m = JSON.parse(readFileSync(jsMap, 'utf8')) as { sourcesContent: string[] };
    expect(m.sourcesContent[0]!.split('\n')[Number(line) - 1]).toMatch(/throw|Error/);
  });
});

describe('installed from the tarball into a fresh project', () => {
  // Issue 19's target is <= 3 MB. Measured 2.56-2.77 MB before the CLI landed (torchlet + fflate), 3.67 MB with
  // the CLI's dependencies and the births CSV: the target is NOT met now; this bound only stops further growth.
  it('a production install stays under 4.25 MB (torchlet and its dependencies; the target is 3 MB)', () => {
    const modules = join(project, 'node_modules');
    const deps = readdirSync(modules).filter((d) => d !== '@types' && d !== 'undici-types' && !d.startsWith('.'));
    const bytes = deps.reduce((a, d) => a + duBytes(join(modules, d)), 0);
    const each = deps.map((d) => `${d} ${(duBytes(join(modules, d)) / 1024).toFixed(0)} KB`);
    console.log(`[package.test] production install: ${(bytes / 1024 / 1024).toFixed(2)} MB (${each.join(', ')})`);
    expect(deps).toContain('torchlet');
    // 4.25 MB: issue 12's boundary checks (option schemas on every taker, dtype checks) added 57 KB
    // to dist (2967 -> 3024 KB measured) with main at 3.98 MB; issue 19's bundling is to bring it to 3 MB.
    expect(bytes).toBeLessThan(4.25 * 1024 * 1024);
  });

  it("ESM: `import * as torch from 'torchlet'` runs on the WebAssembly kernels read from dist/", () => {
    writeFileSync(
      join(project, 'main.mjs'),
      `import * as torch from 'torchlet';
import { loadSafetensorsFile } from 'torchlet/node';
import { LSTM } from 'torchlet/nn';
const x = torch.tensor([[1, 2], [3, 4]], { requiresGrad: true });
x.matmul(x).sum().backward();
const lstm = new torch.nn.LSTM(3, 4);
const [y] = lstm.forward(torch.randn(5, 2, 3));
console.log(JSON.stringify({ grad: x.grad.tolist(), text: String(x), y: y.shape, kernels: torch.activeKernels(), node: typeof loadSafetensorsFile, sameLstm: LSTM === torch.nn.LSTM }));
`,
    );
    const out = JSON.parse(execFileSync(process.execPath, ['main.mjs'], { cwd: project, encoding: 'utf8' }));
    expect(out).toEqual({
      // d/dX sum(X·X) = 1·Xᵀ + Xᵀ·1
      grad: [
        [7, 11],
        [9, 13],
      ],
      text: 'tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)',
      y: [5, 2, 4],
      kernels: out.kernels,
      node: 'function',
      sameLstm: true, // one copy of each class, whichever entry point it came through
    });
    expect(['simd', 'relaxed']).toContain(out.kernels);
  });

  it("CommonJS: `require('torchlet')` and `require('torchlet/node')` (no top-level await in the package)", () => {
    writeFileSync(
      join(project, 'main.cjs'),
      `const torch = require('torchlet');
const node = require('torchlet/node');
const pkg = require('torchlet/package.json');
const nn = require('torchlet/nn');
console.log(JSON.stringify({ sum: torch.ones(2, 3).sum().item(), lstm: typeof torch.nn.LSTM, save: typeof node.saveSafetensorsFile, version: pkg.version, same: nn.GRU === torch.nn.GRU }));
`,
    );
    const r = spawnSync(process.execPath, ['main.cjs'], { cwd: project, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ sum: 6, lstm: 'function', save: 'function', same: true });
  });

  it.each([
    ['node16', 'node16'],
    ['nodenext', 'nodenext'],
    ['bundler', 'esnext'],
  ])('TypeScript, moduleResolution %s, types ["node"], skipLibCheck false', (resolution, module) => {
    writeFileSync(
      join(project, 'user.mts'),
      `import * as torch from 'torchlet';
import { loadSafetensorsFile } from 'torchlet/node';
const x: torch.Tensor = torch.zeros(2, 3);
const n: number = x.sum().item();
const lstm = new torch.nn.LSTM(3, 4, { numLayers: 2 });
const [y, [h, c]] = lstm.forward(torch.randn(5, 2, 3));
const shapes: readonly number[][] = [y.shape, h.shape, c.shape].map((s) => [...s]);
const bytes: Uint8Array = torch.onnx.export(lstm, torch.randn(5, 2, 3));
// Methods declared by src/ops/methods/*.ts (declaration merging) are typed on Tensor.
const z: torch.Tensor = y.matmul(y.transpose(1, 2)).float().index(0).reshape(-1);
export { n, shapes, bytes, loadSafetensorsFile, z };
`,
    );
    const config = `tsconfig.${resolution}.json`;
    writeFileSync(
      join(project, config),
      JSON.stringify({
        compilerOptions: { module, moduleResolution: resolution, target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
        files: ['user.mts'],
      }),
    );
    const r = spawnSync(process.execPath, [TSC, '-p', config], { cwd: project, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
