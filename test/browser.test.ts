/**
 * torchlet in a real browser: the public entry point bundled by esbuild for the browser, served
 * cross-origin isolated (COOP/COEP, so SharedArrayBuffer exists) from a local HTTP server, and
 * run in headless Chromium through playwright-core. The page computes the seed's LSTM and a GRU
 * (forward and every gradient, test/browser/compute.ts) on the WebAssembly kernels and on the
 * reference kernels; Node computes the same and the numbers must agree within float32 round-off.
 *
 * Needs Debian's chromium at /usr/bin/chromium (`apt-get install -y chromium`); without it the
 * test fails rather than skips, since a skipped browser test proves nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { type Results, seedLayers, threadedLstm } from './browser/compute.js';
import type { TorchletPage } from './browser/entry.js';
import { TOL } from './helpers/fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const ENTRY = fileURLToPath(new URL('./browser/entry.ts', import.meta.url));
const HTML = fileURLToPath(new URL('./browser/index.html', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WASM_DIR = fileURLToPath(new URL('../src/kernels/wasm/', import.meta.url));
/** The .wasm files the page fetched, in order. */
const wasmRequests: string[] = [];
const STEP_MS = 15_000;

/** Rejects with a labelled error if `p` has not settled within `ms`. */
function within<T>(p: Promise<T>, label: string, ms = STEP_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Every key of `expected` present in `actual` with the same shape and values within tol. */
function expectResultsClose(actual: Results, expected: Results, tol: { rtol: number; atol: number }, label: string): void {
  expect(Object.keys(actual).sort(), `${label}: result names`).toEqual(Object.keys(expected).sort());
  for (const [name, e] of Object.entries(expected)) {
    const a = actual[name]!;
    expect(a.shape, `${label}: ${name} shape`).toEqual(e.shape);
    let worst = '';
    let worstExcess = 0;
    for (let i = 0; i < e.data.length; i++) {
      const x = a.data[i]!;
      const y = e.data[i]!;
      const excess = Math.abs(x - y) - (tol.atol + tol.rtol * Math.abs(y));
      if (!(excess <= worstExcess) || !Number.isFinite(x)) {
        worstExcess = Number.isFinite(excess) ? excess : Number.POSITIVE_INFINITY;
        worst = `${label}: ${name}[${i}] = ${x}, expected ${y}`;
      }
    }
    expect(worst, worst).toBe('');
  }
}

let bundleInputs: string[] = [];
let server: Server | undefined;
let browser: Browser | undefined;
let page: Page | undefined;
const pageErrors: string[] = [];

/** Call a method of the page's torchletPage (page errors are appended to any failure). */
async function call<K extends keyof TorchletPage>(method: K, arg?: Parameters<TorchletPage[K]>[0]): Promise<Awaited<ReturnType<TorchletPage[K]>>> {
  if (!page) throw new Error('page not open');
  try {
    return await within(
      page.evaluate(
        ([m, a]) => {
          const api = (globalThis as { torchletPage?: Record<string, (x: unknown) => unknown> }).torchletPage;
          if (!api) throw new Error('torchletPage missing: the bundle did not run');
          return api[m]!(a);
        },
        [method, arg ?? null] as const,
      ) as Promise<Awaited<ReturnType<TorchletPage[K]>>>,
      `page.${method}`,
    );
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}\npage errors: ${pageErrors.join('\n') || 'none'}`);
  }
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: this test needs Debian's chromium. Install it with \`apt-get install -y chromium\` (as root).`);
  }
  const built = await within(
    esbuild.build({ absWorkingDir: ROOT, entryPoints: [ENTRY], bundle: true, platform: 'browser', format: 'esm', target: 'es2022', write: false, metafile: true, logLevel: 'silent' }),
    'esbuild',
  );
  bundleInputs = Object.keys(built.metafile.inputs);
  const bundle = built.outputFiles[0]!.contents;
  const html = readFileSync(HTML);
  server = createServer((req, res) => {
    const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cache-Control': 'no-store' };
    if (req.url === '/' || req.url === '/index.html') res.writeHead(200, { ...isolation, 'Content-Type': 'text/html; charset=utf-8' }).end(html);
    else if (req.url === '/entry.js') res.writeHead(200, { ...isolation, 'Content-Type': 'text/javascript; charset=utf-8' }).end(bundle);
    else if (/^\/kernels-[a-z-]+\.wasm$/.test(req.url ?? '') && existsSync(join(WASM_DIR, req.url!))) {
      // The kernels as the package ships them: .wasm files next to the (bundled) JS.
      wasmRequests.push(req.url!);
      res.writeHead(200, { ...isolation, 'Content-Type': 'application/wasm' }).end(readFileSync(join(WASM_DIR, req.url!)));
    } else res.writeHead(404, isolation).end();
  });
  const s = server;
  await within(new Promise<void>((resolve, reject) => s.once('error', reject).listen(0, '127.0.0.1', resolve)), 'server listen');
  const { port } = s.address() as AddressInfo;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: STEP_MS,
  });
  page = await within(browser.newPage(), 'newPage');
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
  await page.goto(`http://127.0.0.1:${port}/`, { timeout: STEP_MS, waitUntil: 'load' });
  await page.waitForFunction(() => 'torchletPage' in globalThis, null, { timeout: STEP_MS });
}, 60_000);

afterAll(async () => {
  await within(browser?.close() ?? Promise.resolve(), 'browser close').catch(() => {});
  const s = server;
  if (s) await within(new Promise<void>((resolve) => s.close(() => resolve())), 'server close').catch(() => {});
}, 30_000);

describe('torchlet in Chromium (esbuild bundle, cross-origin isolated page)', () => {
  it('bundles the public entry for the browser without Node-only modules (src/node.ts unreached)', () => {
    expect(bundleInputs).toContain('src/index.ts');
    expect(bundleInputs.filter((f) => f.startsWith('node:') || f === 'src/node.ts')).toEqual([]);
  });

  it('loads the WebAssembly kernels in the page (relaxed or simd, not the reference path)', async () => {
    const env = await call('ready');
    expect(env.isolated, 'crossOriginIsolated (COOP/COEP headers)').toBe(true);
    expect(env.sharedArrayBuffer).toBe(true);
    expect(env.wasm).toBe(true);
    expect(['relaxed', 'simd']).toContain(env.kernels);
    // Only the chosen flavour was fetched (the engine's features are tested without fetching).
    expect(wasmRequests).toEqual([`/kernels-${env.kernels}.wasm`]);
    console.log(`[browser.test] Chromium ${browser?.version()} runs torchlet on the '${env.kernels}' WebAssembly kernels`);
  });

  it("seed LSTM and GRU: outputs, states and every gradient match Node's within float32 round-off", async () => {
    const inPage = await call('run', 'auto');
    expect(inPage.kernels).not.toBe('ref');
    const inNode = seedLayers(torch);
    expect(Object.keys(inNode).length).toBeGreaterThan(20);
    expectResultsClose(inPage.results, inNode, TOL.f32Deep, `browser (${inPage.kernels}) vs node (${torch.activeKernels()})`);
    // the bidirectional LSTM's final states are its output's ends: the page's numbers are not just close to Node's but sane
    const o = inPage.results['lstm/output']!;
    const h = inPage.results['lstm/hN']!;
    expect(o.shape).toEqual([3, 7, 40]);
    expect(h.shape).toEqual([2, 3, 20]);
    for (let b = 0; b < 3; b++) {
      for (let j = 0; j < 20; j++) {
        expect(h.data[b * 20 + j]).toBe(o.data[(b * 7 + 6) * 40 + j]);
        expect(h.data[60 + b * 20 + j]).toBe(o.data[b * 7 * 40 + 20 + j]);
      }
    }
  });

  it("the page's reference kernels (setKernelPreference('ref')) give the same numbers", async () => {
    const ref = await call('run', 'ref');
    expect(ref.kernels).toBe('ref');
    const fast = await call('run', 'auto');
    expectResultsClose(fast.results, ref.results, TOL.f32Deep, `browser ${fast.kernels} vs browser ref`);
  });

  it('setNumThreads(2) in the page: Web Workers on shared memory give the one-thread numbers', async () => {
    const r = await call('threads');
    expect(r.threads, 'threads in use after setNumThreads(2)').toBe(2);
    expect(r.jobs, 'jobs run on the worker pool').toBeGreaterThan(0);
    // The shared-memory build of the same flavour, fetched once; the workers got the compiled module.
    expect(wasmRequests).toEqual([`/kernels-${r.kernels}.wasm`, `/kernels-${r.kernels}-shared.wasm`]);
    expectResultsClose(r.two, r.one, TOL.f32Deep, `browser 2 threads vs 1 (${r.kernels})`);
    expectResultsClose(r.one, threadedLstm(torch), TOL.f32Deep, 'browser vs node');
  });

  it('a Web Worker of the pool terminated before a call (no event tells the page): the call throws, the pool rebuilds itself and gives the same numbers', async () => {
    const r = await call('killedWorker');
    expect(r.threads).toBe(2);
    expect(r.error).toMatch(/^a worker thread of the kernel pool stopped/);
    expect(r.jobs, 'jobs run on the rebuilt pool').toBeGreaterThan(0);
    expectResultsClose(r.after, r.before, TOL.f32Deep, 'after the rebuild vs before the kill');
  });
});
