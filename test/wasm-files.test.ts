/**
 * The WebAssembly kernels ship as .wasm files next to the JS (src/kernels/wasm/kernels-*.wasm,
 * copied to dist/ by `npm run build`), not as base64 inside it. In Node the chosen flavour is read
 * synchronously at the first op, so the first ops run on WebAssembly; only that flavour is read.
 * (The browser side, fetch + compileStreaming of one flavour, is checked in test/browser.test.ts.)
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { flavourSupported } from '../src/kernels/wasm/loader.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WASM_DIR = join(ROOT, 'src/kernels/wasm');
const FLAVOURS = ['simd', 'relaxed', 'simd-shared', 'relaxed-shared'] as const;

/** Run a module in a fresh Node (through tsx, on the sources) and parse its last line as JSON. */
function fresh(code: string, nodeFlags: string[] = []): unknown {
  const out = execFileSync(process.execPath, [...nodeFlags, '--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TORCHLET_KERNELS: '' } });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe('the kernels as .wasm files', () => {
  it('all four builds are there, small, and none is embedded in the sources', () => {
    for (const f of FLAVOURS) {
      const bytes = readFileSync(join(WASM_DIR, `kernels-${f}.wasm`));
      expect(bytes.subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
      expect(bytes.length).toBeLessThan(64 * 1024);
    }
    const sources = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    for (const f of sources) expect(readFileSync(join(ROOT, 'src', f), 'utf8').includes('AGFzbQ'), `${f} embeds a wasm module as base64`).toBe(false);
  });

  it('the few-byte feature tests agree with the real builds (with and without relaxed SIMD)', () => {
    const check = `
      import { readFileSync } from 'node:fs';
      import { flavourSupported } from './src/kernels/wasm/loader.ts';
      const real = (f) => WebAssembly.validate(readFileSync('src/kernels/wasm/kernels-' + f + '.wasm'));
      console.log(JSON.stringify({ simd: [flavourSupported('simd'), real('simd'), real('simd-shared')], relaxed: [flavourSupported('relaxed'), real('relaxed'), real('relaxed-shared')] }));`;
    const plain = fresh(check) as Record<string, boolean[]>;
    const flagged = fresh(check, ['--experimental-wasm-relaxed-simd']) as Record<string, boolean[]>;
    expect(flagged).toEqual({ simd: [true, true, true], relaxed: [true, true, true] });
    // Node 20 has relaxed SIMD only behind the flag; later Nodes have it on.
    const r = flavourSupported('relaxed');
    expect(plain).toEqual({ simd: [true, true, true], relaxed: [r, r, r] });
  });

  it('in Node the first op already runs on WebAssembly, and only the chosen flavour is read', () => {
    const run = `
      import * as torch from './src/index.ts';
      import { loadedWasmFiles } from './src/kernels/wasm/loader.ts';
      const before = loadedWasmFiles().length;
      const y = torch.randn(3, 4).matmul(torch.randn(4, 5));
      console.log(JSON.stringify({ before, kernels: torch.activeKernels(), files: loadedWasmFiles().map((u) => u.split('/').pop()), shape: y.shape }));`;
    const res = fresh(run) as { before: number; kernels: string; files: string[] };
    expect(res.before).toBe(0); // nothing is read at import
    expect(['simd', 'relaxed']).toContain(res.kernels);
    expect(res.files).toEqual([`kernels-${res.kernels}.wasm`]);
    const relaxed = fresh(run, ['--experimental-wasm-relaxed-simd']) as { kernels: string; files: string[] };
    expect(relaxed).toMatchObject({ kernels: 'relaxed', files: ['kernels-relaxed.wasm'] });
  });
});
