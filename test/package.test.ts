/**
 * The package as a user gets it: build with the project's build config (tsconfig.build.json, as
 * `npm run build`) into a temp dir, lay it out as node_modules/torchlet of a throwaway project
 * (package.json + dist, as `npm install <path>` would, its dependencies linked from this repo),
 * then `import * as torch from 'torchlet'` from plain Node ESM and type-check a TypeScript user.
 * Works from a clean clone (no dist/ needed) and with no network.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
let tmp = '';
let project = '';

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'torchlet-pkg-'));
  const pkg = join(tmp, 'torchlet');
  mkdirSync(pkg);
  // --noCheck: emit only; `npm test` type-checks the same sources once already (tsc --noEmit).
  const build = spawnSync(
    process.execPath,
    [TSC, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist'), '--noCheck', '--sourceMap', 'false'],
    { encoding: 'utf8' },
  );
  if (!existsSync(join(pkg, 'dist', 'index.js'))) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
  copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  project = join(tmp, 'user');
  mkdirSync(join(project, 'node_modules'), { recursive: true });
  symlinkSync(pkg, join(project, 'node_modules', 'torchlet'), 'dir');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user', type: 'module', private: true }));
}, 120_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the built package', () => {
  it("imports from plain Node ESM as `import * as torch from 'torchlet'`", () => {
    writeFileSync(
      join(project, 'main.mjs'),
      `import * as torch from 'torchlet';
const x = torch.tensor([[1, 2], [3, 4]], { requiresGrad: true });
x.matmul(x).sum().backward();
console.log(JSON.stringify({ grad: x.grad.tolist(), text: String(x), nn: typeof torch.nn, tensor: typeof torch.Tensor }));
`,
    );
    const out = execFileSync(process.execPath, ['main.mjs'], { cwd: project, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({
      // d/dX sum(X·X) = 1·Xᵀ + Xᵀ·1
      grad: [
        [7, 11],
        [9, 13],
      ],
      text: 'tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)',
      nn: 'object',
      tensor: 'function',
    });
  });

  it("resolves every entry point in package.json's exports", () => {
    writeFileSync(
      join(project, 'entries.mjs'),
      `import { readFileSync } from 'node:fs';
const pkg = JSON.parse(readFileSync(new URL('./node_modules/torchlet/package.json', import.meta.url), 'utf8'));
const out = {};
for (const key of Object.keys(pkg.exports)) {
  const spec = key === '.' ? 'torchlet' : 'torchlet' + key.slice(1);
  const mod = key.endsWith('.json') ? await import(spec, { with: { type: 'json' } }) : await import(spec);
  out[key] = Object.keys(mod).length > 0;
}
console.log(JSON.stringify(out));
`,
    );
    const out = JSON.parse(execFileSync(process.execPath, ['entries.mjs'], { cwd: project, encoding: 'utf8' })) as Record<string, boolean>;
    expect(Object.keys(out)).toContain('.');
    for (const [key, nonEmpty] of Object.entries(out)) expect(nonEmpty, `export ${key}`).toBe(true);
  });

  it('ships type declarations that a TypeScript user compiles against', () => {
    writeFileSync(
      join(project, 'user.ts'),
      `import * as torch from 'torchlet';
const x: torch.Tensor = torch.zeros(2, 3);
const n: number = x.sum().item();
export { n };
`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['user.ts'],
      }),
    );
    const r = spawnSync(process.execPath, [TSC, '-p', project], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
