/**
 * The HTTP front of `torchlet serve`, on node:http (routing four paths and reading a bounded body
 * is all it needs; no framework):
 * - POST /v1/predict: JSON `{"inputs": [[x, ...], ...]}` (one sequence of L feature vectors) or
 *   `{"inputs": [[[...]], ...]}` (a batch of sequences of any lengths), answered with each
 *   sequence's results (`output`, `h_n`, `c_n` as the model has them; `"outputs": ["h_n"]` keeps
 *   only those named); or safetensors in
 *   (Content-Type application/octet-stream or application/x-safetensors: a tensor `input` (L, F),
 *   or `input.0`, `input.1`, ... for a batch) and safetensors out (`output`, `h_n`, `c_n`, with
 *   the same `.i` suffixes for a batch).
 * - GET /v1/model, GET /healthz, GET /metrics (Prometheus text).
 * Bad requests get 400 (413 for a body over maxBody, 415 for another content type) and a JSON
 * `{"error": "..."}` saying what was wrong; a full queue 503 with Retry-After. `close()` stops
 * accepting, answers what was accepted, then resolves.
 */

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as torch from '../index.js';
import type { Batcher } from './batcher.js';
import { checkSequence } from './batcher.js';
import { readRequest } from './json.js';
import { ServeMetrics } from './metrics.js';
import type { RawSequence, RawTensor } from './model.js';

/** Options of `startServer`. */
export interface ServerOptions {
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Largest request body in bytes. Default 8 MiB. */
  maxBody?: number;
}

/** A running server. */
export interface RunningServer {
  readonly server: Server;
  /** `http://127.0.0.1:8080` */
  readonly url: string;
  readonly metrics: ServeMetrics;
  /** Stop accepting, answer every accepted request, close the batcher. Idempotent. */
  close(): Promise<void>;
}

/** A request the server refuses: status and message. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const BINARY_TYPES = new Set(['application/octet-stream', 'application/x-safetensors', 'application/vnd.safetensors']);
/** Read as JSON: also curl's default for -d (form-urlencoded) and text/plain, so `curl -d '{...}'` works as typed. */
const JSON_TYPES = new Set(['application/json', 'application/x-www-form-urlencoded', 'text/plain']);

/** The body, at most `max` bytes (413 past it, without reading the rest). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) return Promise.reject(new HttpError(413, `the body is ${declared} bytes, over the limit of ${max} bytes (--max-body)`));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      n += c.length;
      if (n > max) {
        over = true;
        reject(new HttpError(413, `the body is over the limit of ${max} bytes (--max-body)`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      // One chunk (a body up to the socket's read size) is the body as it is: no copy.
      if (!over) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, n));
    });
    req.on('error', reject);
  });
}

const RESULTS_OPEN = Buffer.from('{"results":[');
const COMMA = Buffer.from(',');
const RESULTS_CLOSE = Buffer.from(']}');

const SHAPE_HINT = 'expected {"inputs": [[x1, ..., xF], ...]} (one sequence: L steps of F features) or {"inputs": [[[...], ...], ...]} (a batch of sequences)';

/** One sequence of a JSON body: rows of exactly F finite numbers. */
function jsonSequence(seq: unknown, F: number, maxLength: number, where: string): RawSequence {
  if (!Array.isArray(seq)) throw new HttpError(400, `${where} must be a sequence (an array of feature vectors), got ${seq === null ? 'null' : typeof seq}; ${SHAPE_HINT}`);
  checkSequence(seq.length, F, { inputSize: F, maxLength }, where);
  const data = new Float32Array(seq.length * F);
  for (let t = 0; t < seq.length; t++) {
    const row = seq[t] as unknown;
    if (!Array.isArray(row)) throw new HttpError(400, `${where}[${t}] must be a feature vector (an array of ${F} numbers), got ${row === null ? 'null' : typeof row}; ${SHAPE_HINT}`);
    if (row.length !== F) checkSequence(seq.length, row.length, { inputSize: F, maxLength }, `${where}[${t}]`);
    for (let f = 0; f < F; f++) {
      const v = row[f] as unknown;
      if (typeof v !== 'number') throw new HttpError(400, `${where}[${t}][${f}] must be a number, got ${v === null ? 'null' : typeof v}`);
      data[t * F + f] = v;
    }
  }
  return { data, length: seq.length, json: true };
}

/** The sequences of a JSON body, and whether it was a batch. */
function parseJson(body: Buffer, F: number, maxLength: number, names: readonly string[]): { seqs: RawSequence[]; batch: boolean } {
  // The usual well-formed body straight into float32 rows; anything else (and every error) below.
  const fast = readRequest(body, F, maxLength);
  if (fast) {
    const only = outputsOf(fast.outputs, names);
    return { seqs: fast.seqs.map((s) => ({ data: s.data, length: s.length, json: true, ...(only ? { only } : {}) })), batch: fast.batch };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new HttpError(400, `the body is not JSON (${(e as Error).message}); ${SHAPE_HINT}`);
  }
  const inputs = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as { inputs?: unknown }).inputs : undefined;
  if (!Array.isArray(inputs)) throw new HttpError(400, `no "inputs" array in the body; ${SHAPE_HINT}`);
  if (inputs.length === 0) throw new HttpError(400, `"inputs" is empty: an empty sequence (0 steps) or an empty batch; ${SHAPE_HINT}`);
  const only = outputsOf((doc as { outputs?: unknown }).outputs, names);
  const batch = Array.isArray(inputs[0]) && Array.isArray((inputs[0] as unknown[])[0]);
  const seqs = batch ? inputs.map((s, i) => jsonSequence(s, F, maxLength, `inputs[${i}]`)) : [jsonSequence(inputs, F, maxLength, 'inputs')];
  return { seqs: only ? seqs.map((s) => ({ ...s, only })) : seqs, batch };
}

/** The optional `"outputs": ["h_n", ...]` of a JSON body: which results to answer with (all when left out). */
function outputsOf(v: unknown, names: readonly string[]): readonly string[] | null {
  if (v === undefined) return null;
  if (!Array.isArray(v) || v.length === 0 || v.some((n) => typeof n !== 'string' || !names.includes(n))) {
    throw new HttpError(400, `"outputs" must be a non-empty list of this model's results (${names.map((n) => `"${n}"`).join(', ')}), got ${JSON.stringify(v)}`);
  }
  return v as string[];
}

/** The sequences of a safetensors body: `input`, or `input.0` ... `input.{B-1}`. */
function parseSafetensors(body: Buffer, F: number, maxLength: number): { seqs: RawSequence[]; batch: boolean } {
  let tensors: Record<string, torch.Tensor>;
  try {
    tensors = torch.io.loadSafetensors(new Uint8Array(body.buffer, body.byteOffset, body.length), { maxBytes: Math.max(body.length * 4, 1 << 20) }).tensors;
  } catch (e) {
    throw new HttpError(400, `the body is not a safetensors file: ${(e as Error).message}`);
  }
  const names = Object.keys(tensors);
  const one = tensors.input;
  const batch = one === undefined;
  const list: [string, torch.Tensor][] = [];
  if (!batch) list.push(['input', one]);
  else for (let i = 0; tensors[`input.${i}`] !== undefined; i++) list.push([`input.${i}`, tensors[`input.${i}`]]);
  if (list.length === 0) throw new HttpError(400, `the safetensors body has no tensor "input" (L, ${F}) or "input.0", "input.1", ... (a batch); it has ${names.length === 0 ? 'none' : names.map((n) => `"${n}"`).join(', ')}`);
  if (list.length !== names.length) throw new HttpError(400, `the safetensors body has tensors other than ${batch ? `"input.0" ... "input.${list.length - 1}"` : '"input"'}: ${names.filter((n) => !list.some(([k]) => k === n)).map((n) => `"${n}"`).join(', ')}`);
  const seqs = list.map(([name, t]) => {
    if (t.ndim !== 2) throw new HttpError(400, `tensor "${name}" must be one sequence (L, ${F}), got shape [${t.shape.join(', ')}]`);
    checkSequence(t.shape[0], t.shape[1], { inputSize: F, maxLength }, `tensor "${name}"`);
    return { data: t.toFloat32Array(), length: t.shape[0] };
  });
  return { seqs, batch };
}

function send(res: ServerResponse, status: number, body: string | Uint8Array, type: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers?: Record<string, string>): void {
  send(res, status, JSON.stringify(value), 'application/json', headers);
}

/** How a thrown error answers: 400 for an input that does not fit, 503 for a full or closed queue. */
function statusOf(e: unknown): { status: number; headers?: Record<string, string> } {
  if (e instanceof HttpError) return { status: e.status };
  const code = (e as { code?: string }).code;
  if (code === 'ERR_TORCHLET_QUEUE_FULL') return { status: 503, headers: { 'Retry-After': '1' } };
  if (code === 'ERR_TORCHLET_CLOSED') return { status: 503, headers: { 'Retry-After': '5', Connection: 'close' } };
  if (e instanceof torch.ShapeError || e instanceof torch.ValueError || e instanceof torch.ArgumentTypeError) return { status: 400 };
  return { status: 500 };
}

/**
 * Serve `batcher` over HTTP (see the file header). Resolves once listening. No PyTorch twin
 * (TorchServe's inference API, for one model).
 */
export function startServer(batcher: Batcher, options: ServerOptions = {}): Promise<RunningServer> {
  const maxBody = options.maxBody ?? 8 * 1024 * 1024;
  const info = batcher.info;
  const metrics = new ServeMetrics();
  batcher.watch((n) => metrics.batchSize.observe(n));
  let draining = false;

  const predict = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const start = performance.now();
    const type = (req.headers['content-type'] ?? 'application/json').split(';')[0].trim().toLowerCase();
    const binary = BINARY_TYPES.has(type);
    if (!binary && !JSON_TYPES.has(type)) throw new HttpError(415, `Content-Type ${type} is not accepted: send application/json ({"inputs": ...}) or application/octet-stream (a safetensors file)`);
    const body = await readBody(req, maxBody);
    const { seqs, batch } = binary ? parseSafetensors(body, info.inputSize, info.maxLength) : parseJson(body, info.inputSize, info.maxLength, info.outputs);
    const results = await batcher.submit(seqs);
    const headers: Record<string, string> = draining ? { Connection: 'close' } : {};
    if (binary) {
      const out: Record<string, torch.Tensor> = {};
      results.forEach((r, i) => {
        for (const t of r as RawTensor[]) out[batch ? `${t.name}.${i}` : t.name] = torch.tensor(t.data, { shape: [...t.shape] });
      });
      send(res, 200, torch.io.saveSafetensors(out), 'application/octet-stream', headers);
    } else {
      // Each sequence's JSON was made where its batch ran (a worker); here it is only joined.
      const parts = results as Uint8Array[];
      const body = batch ? Buffer.concat([RESULTS_OPEN, ...parts.flatMap((p, i) => (i > 0 ? [COMMA, p] : [p])), RESULTS_CLOSE]) : parts[0];
      send(res, 200, body, 'application/json', headers);
    }
    metrics.latency.observe((performance.now() - start) / 1000);
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    const only = (m: string): void => {
      if (method !== m) throw Object.assign(new HttpError(405, `${path} takes ${m}, not ${method}`), { allow: m });
    };
    if (path === '/v1/predict') {
      only('POST');
      if (draining) throw Object.assign(new Error('the server is shutting down'), { code: 'ERR_TORCHLET_CLOSED' });
      return predict(req, res);
    }
    if (path === '/healthz') {
      only('GET');
      return sendJson(res, draining ? 503 : 200, { status: draining ? 'shutting down' : 'ok' });
    }
    if (path === '/v1/model') {
      only('GET');
      return sendJson(res, 200, {
        model: info.model,
        parameters: info.parameters,
        input: { shape: ['L', info.inputSize], dtype: 'float32', maxLength: info.maxLength },
        outputs: info.outputs,
        batching: { maxBatch: info.maxBatch, maxWaitMs: info.maxWaitMs, maxQueue: info.maxQueue, workers: info.workers },
        limits: { maxBody },
      });
    }
    if (path === '/metrics') {
      only('GET');
      return send(res, 200, metrics.text(batcher.queued(), info.workers), 'text/plain; version=0.0.4; charset=utf-8');
    }
    throw new HttpError(404, `no such endpoint: ${method} ${path} (POST /v1/predict, GET /v1/model, GET /healthz, GET /metrics)`);
  };

  const server = createServer((req, res) => {
    res.on('finish', () => metrics.response(res.statusCode));
    route(req, res).catch((e: unknown) => {
      const { status, headers = {} } = statusOf(e);
      const allow = (e as { allow?: string }).allow;
      if (allow) headers.Allow = allow;
      // A body left unread (413) would be taken for the next request: close the connection.
      if (status === 413 || draining) headers.Connection = 'close';
      const message = status === 500 ? `internal error: ${(e as Error).message}` : (e as Error).message;
      if (!res.headersSent) sendJson(res, status, { error: message }, headers);
      else res.destroy();
    });
  });
  // Connections are bounded (each holds at most maxBody of body): the rest wait in the backlog.
  server.maxConnections = Math.max(256, info.maxQueue);

  return new Promise<RunningServer>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      let closed: Promise<void> | null = null;
      resolve({
        server,
        url: `http://${host}:${a.port}`,
        metrics,
        close() {
          if (closed) return closed;
          draining = true;
          batcher.flush();
          closed = new Promise<void>((done) => {
            // Stops accepting; keep-alive connections close once idle (each answer now says Connection: close).
            server.close(() => done());
            server.closeIdleConnections();
          }).then(() => batcher.close());
          return closed;
        },
      });
    });
  });
}
