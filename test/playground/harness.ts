/**
 * Shared set-up of the playground tests: build the site with Vite (web/vite.config.ts) into a
 * temporary folder, serve it with web/server.mjs (with and without COOP/COEP), open pages in
 * Debian's Chromium through playwright-core, and fail on any console error or uncaught exception.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { type Served, startServer } from '../../web/server.mjs';

export const CHROMIUM = '/usr/bin/chromium';
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Where the screenshots go (gitignored). */
export const SHOTS = join(ROOT, 'test', '.output', 'playground');
export const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;

export interface Harness {
  dist: string;
  isolated: Served;
  plain: Served;
  browser: Browser;
  /** Messages of console errors and uncaught exceptions, per page. */
  errors: Map<Page, string[]>;
  open(url: string, viewport?: { width: number; height: number }, opts?: { acceptDownloads?: boolean }): Promise<Page>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const dist = mkdtempSync(join(tmpdir(), 'torchlet-playground-'));
  await build({ configFile: join(ROOT, 'web', 'vite.config.ts'), build: { outDir: dist, emptyOutDir: true }, logLevel: 'error' });
  const isolated: Served = await startServer({ root: dist, isolate: true });
  const plain: Served = await startServer({ root: dist, isolate: false });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 20_000,
  });
  mkdirSync(SHOTS, { recursive: true });
  const errors = new Map<Page, string[]>();
  return {
    dist,
    isolated,
    plain,
    browser,
    errors,
    async open(url, viewport = VIEWPORTS.desktop, opts = {}) {
      const context = await browser.newContext({ viewport, acceptDownloads: opts.acceptDownloads ?? false });
      const page = await context.newPage();
      const list: string[] = [];
      errors.set(page, list);
      page.on('pageerror', (e) => list.push(`uncaught: ${e.message}`));
      page.on('console', (m) => m.type() === 'error' && list.push(`console.error: ${m.text()}`));
      // The workers' console too (training and loading run there).
      page.on('worker', (w) => w.on('console', (m) => m.type() === 'error' && list.push(`worker console.error: ${m.text()}`)));
      // Nothing may be fetched from anywhere but the test's own server.
      await context.route('**/*', (route) => (route.request().url().startsWith('http://127.0.0.1:') || route.request().url().startsWith('blob:') || route.request().url().startsWith('data:') ? route.continue() : route.abort()));
      await page.goto(url, { waitUntil: 'load', timeout: 20_000 });
      return page;
    },
    async close() {
      await browser.close().catch(() => {});
      await isolated.close();
      await plain.close();
      rmSync(dist, { recursive: true, force: true });
    },
  };
}

/** Run a CLI command function in-process and return what it wrote to stdout (its `--json`). */
export function captureStdout(run: () => unknown): string {
  const write = process.stdout.write;
  let text = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    text += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    run();
  } finally {
    process.stdout.write = write;
  }
  return text;
}

/** Text styles without colour, for the CLI's command functions. */
export const PLAIN = { bold: (s: string) => s, dim: (s: string) => s, cyan: (s: string) => s, yellow: (s: string) => s, red: (s: string) => s, green: (s: string) => s };
