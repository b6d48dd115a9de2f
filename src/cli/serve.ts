/**
 * `torchlet serve CHECKPOINT [--port 8080] [--host 127.0.0.1] [--max-batch 64] [--max-wait-ms 0]
 * [--max-length 4096] [--max-body 8388608] [--max-queue 1024] [--workers N]`: an HTTP inference
 * server for a recurrent model (src/serve/http.ts), batching concurrent requests on worker threads
 * (src/serve/batcher.ts). The model comes from a `train` checkpoint (its folder or model.json), a
 * weights file whose single layer is inferred, or any weights file with `--arch`. SIGTERM / SIGINT:
 * stop accepting, answer what was accepted, exit 0.
 */

import { createBatcher } from '../serve/batcher.js';
import { startServer } from '../serve/http.js';
import { resolveModelPath } from './model-source.js';
import type { Style } from '../explain/render.js';
import { CliError, intOption, out, outJson, UsageError } from './ui.js';

export interface ServeCliOptions {
  port: string;
  host: string;
  maxBatch: string;
  maxWaitMs: string;
  maxLength: string;
  maxBody: string;
  maxQueue: string;
  workers?: string;
  arch?: string;
  json?: boolean;
}

export async function serveCommand(checkpoint: string, o: ServeCliOptions, s: Style): Promise<number> {
  // Signals are taken from the start: one that arrives while the model loads stops the server as soon as it is up.
  let stop: (signal: NodeJS.Signals) => void = () => {};
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    stop = resolve;
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals > 1) {
      process.stderr.write(`torchlet serve: ${signal} again: exiting without waiting\n`);
      process.exit(1);
    }
    stop(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    return await serveUntilStopped(checkpoint, o, s, stopped);
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

async function serveUntilStopped(checkpoint: string, o: ServeCliOptions, s: Style, stopped: Promise<NodeJS.Signals>): Promise<number> {
  const port = intOption(o.port, '--port', 0);
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  const waitMs = Number(o.maxWaitMs);
  if (!Number.isFinite(waitMs) || waitMs < 0) throw new UsageError(`--max-wait-ms must be a number >= 0, got "${o.maxWaitMs}"`);
  const options = {
    maxBatch: intOption(o.maxBatch, '--max-batch'),
    maxWaitMs: waitMs,
    maxLength: intOption(o.maxLength, '--max-length'),
    maxQueue: intOption(o.maxQueue, '--max-queue'),
    ...(o.workers !== undefined ? { workers: intOption(o.workers, '--workers', 0) } : {}),
  };
  const maxBody = intOption(o.maxBody, '--max-body');
  const { module } = resolveModelPath(checkpoint, o.arch);
  module.eval();
  let batcher: ReturnType<typeof createBatcher>;
  try {
    batcher = createBatcher(module, options);
  } catch (e) {
    throw new CliError(`${checkpoint}: ${(e as Error).message}`);
  }
  try {
    await batcher.ready();
  } catch (e) {
    await batcher.close();
    throw new CliError(`${checkpoint}: ${(e as Error).message}`);
  }
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(batcher, { port, host: o.host, maxBody });
  } catch (e) {
    await batcher.close();
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(code === 'EADDRINUSE' ? `port ${port} on ${o.host} is in use (pick another with --port, or --port 0 for any free one)` : `cannot listen on ${o.host}:${port}: ${(e as Error).message}`);
  }
  const info = batcher.info;
  if (o.json) outJson({ url: server.url, model: info.model, workers: info.workers, maxBatch: info.maxBatch, maxWaitMs: info.maxWaitMs });
  else {
    out(`${s.green('torchlet serve')}: ${info.model} (${info.parameters} parameters) on ${server.url}`);
    out(`  POST ${server.url}/v1/predict   GET /v1/model /healthz /metrics   ${info.workers} worker${info.workers === 1 ? '' : 's'}, batches of up to ${info.maxBatch}${info.maxWaitMs > 0 ? ` within ${info.maxWaitMs} ms` : ''}`);
  }
  const signal = await stopped;
  process.stderr.write(`torchlet serve: ${signal}: finishing the accepted requests, then exiting\n`);
  await server.close();
  return 0;
}
