/**
 * `npm run bench`, first part: how long `import * as torch from 'torchlet'` takes in Node, as a
 * user's program pays it. Builds the package as `npm run build` does (into bench/.cache/pkg/dist,
 * without type-checking), then starts a fresh Node process per run, in a project whose
 * node_modules/torchlet is that build, that times its own `await import('torchlet')` (resolution
 * through the exports map's `node` condition to dist/bundle/index.js, loading, parsing and
 * evaluation; performance.now() around it, no Node start-up; also the process's CPU time, steadier
 * on a busy machine), and reports the median
 * (and spread) of many runs. The target is
 * 30 ms or less (issue 19); the result goes to bench/import-time.md. Also times the first op
 * (which reads and compiles the WebAssembly kernels) and the first read of `torch.optim` (whose
 * code the import leaves in dist/bundle/cold-train.js) in the same processes.
 *
 *   npx tsx bench/import-time.ts [--runs=N]   (default 41)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The build goes into a folder with a copy of package.json beside it, so that its `sideEffects`
// globs (`./dist/...`) match when finish-build bundles it, as they do for the real dist/.
const pkg = join(root, 'bench/.cache/pkg');
const out = join(pkg, 'dist');
const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 41);

rmSync(pkg, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
copyFileSync(join(root, 'package.json'), join(pkg, 'package.json'));
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', out, '--noCheck'], { stdio: 'inherit' });
execFileSync(process.execPath, [join(root, 'tools/finish-build.mjs'), out], { stdio: 'inherit' });

// A user's project: node_modules/torchlet is the build above. (Importing dist/bundle/index.js by
// its path would skip reading torchlet's package.json, which a user's import pays: ~5 ms.)
const project = join(root, 'bench/.cache/project');
rmSync(project, { recursive: true, force: true });
mkdirSync(join(project, 'node_modules'), { recursive: true });
writeFileSync(join(project, 'package.json'), '{ "type": "module" }\n');
symlinkSync(pkg, join(project, 'node_modules', 'torchlet'), 'dir');
const probe = `
const c0 = process.cpuUsage();
const t0 = performance.now();
const torch = await import('torchlet');
const t1 = performance.now();
const c = process.cpuUsage(c0);
torch.randn(4, 8).matmul(torch.randn(8, 4));
const t2 = performance.now();
// What the import leaves for later: the first read of torch.optim loads its code (dist/bundle/cold-train.js).
void torch.optim.Adam;
const t3 = performance.now();
console.log(JSON.stringify({ importMs: t1 - t0, importCpuMs: (c.user + c.system) / 1000, firstOpMs: t2 - t1, firstOptimMs: t3 - t2, kernels: torch.activeKernels() }));
`;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

const imports: number[] = [];
const cpus: number[] = [];
const firstOps: number[] = [];
const firstOptims: number[] = [];
let kernels = '';
// One warm-up run (fills the OS file cache), then the measured runs.
for (let i = 0; i <= runs; i++) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: project, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const m = JSON.parse(r.stdout.trim().split('\n').pop()!) as { importMs: number; importCpuMs: number; firstOpMs: number; firstOptimMs: number; kernels: string };
  if (i === 0) continue;
  imports.push(m.importMs);
  cpus.push(m.importCpuMs);
  firstOps.push(m.firstOpMs);
  firstOptims.push(m.firstOptimMs);
  kernels = m.kernels;
}

const line = `import torchlet: median ${median(imports).toFixed(1)} ms (p10 ${quantile(imports, 0.1).toFixed(1)}, p90 ${quantile(imports, 0.9).toFixed(1)}) over ${runs} fresh processes (CPU time: median ${median(cpus).toFixed(1)} ms); target <= 30 ms: ${median(imports) <= 30 ? 'met' : 'NOT met'}`;
const line2 = `first op (reads and compiles the '${kernels}' kernels): median ${median(firstOps).toFixed(1)} ms; first read of torch.optim (loads its code): median ${median(firstOptims).toFixed(1)} ms`;
console.log(line);
console.log(line2);
writeFileSync(
  join(root, 'bench/import-time.md'),
  `# Import time (npm run bench, bench/import-time.ts)\n\n${new Date().toISOString().slice(0, 16)} UTC, Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} (${os.cpus().length} vCPU), load average ${os.loadavg()[0]!.toFixed(1)}\n\n- ${line}\n- ${line2}\n`,
);
