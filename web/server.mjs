/**
 * A tiny static server for the built playground (web/dist): `npm run playground` runs it after
 * `vite build`, and test/playground.test.ts starts it in-process. With `isolate` it sends
 * Cross-Origin-Opener-Policy / Cross-Origin-Embedder-Policy, so the page is cross-origin isolated
 * (SharedArrayBuffer, 2 training threads); without, the page runs single-threaded.
 *
 *   node web/server.mjs [--port 5180] [--no-isolation] [--root web/dist]
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
};

/**
 * Serve `root` on 127.0.0.1 (`port` 0: any free port). Resolves to `{ url, close }`.
 * Only files under `root` are served; `/` is index.html.
 */
export function startServer({ root, port = 0, isolate = true, host = '127.0.0.1' }) {
  const base = resolve(root);
  const server = createServer((req, res) => {
    const headers = { 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' };
    if (isolate) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400, headers).end('bad request');
      return;
    }
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(base, path));
    if (file !== base && !file.startsWith(base + sep)) {
      res.writeHead(403, headers).end('forbidden');
      return;
    }
    let size;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end('not found');
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': size });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: p } = server.address();
      resolvePromise({
        url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${p}/`,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
  };
  const root = resolve(opt('--root', fileURLToPath(new URL('./dist', import.meta.url))));
  const port = Number(opt('--port', process.env.PORT ?? '5180'));
  const isolate = !args.includes('--no-isolation');
  try {
    statSync(join(root, 'index.html'));
  } catch {
    console.error(`no playground build in ${root}: run \`npm run build:web\` first`);
    process.exit(1);
  }
  startServer({ root, port, isolate }).then(
    ({ url }) => {
      console.log(`torchlet playground: ${url}`);
      console.log(isolate ? '  cross-origin isolated (COOP/COEP sent): training uses 2 threads' : '  not isolated (--no-isolation): single-threaded');
      console.log('  Ctrl-C stops the server');
    },
    (e) => {
      console.error(e.code === 'EADDRINUSE' ? `port ${port} is in use: try --port ${port + 1} (or PORT=${port + 1})` : String(e.message ?? e));
      process.exit(1);
    },
  );
}
