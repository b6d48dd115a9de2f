/**
 * The load panel: a dropped model file goes to a fresh worker (load-worker.ts); its report is
 * shown as `torchlet inspect` shows a file (recognised layers as PyTorch and torchlet code, the
 * tensors, the metadata) plus one run of each layer. A worker that does not answer within the
 * time limit is terminated and the page says so: a hostile file cannot freeze the tab.
 */
import { bytesText } from '../../src/explain/index.js';
import { byId, h, int, onFileChosen } from './dom.js';
import type { FromLoadWorker, LoadReport } from './load-protocol.js';

/** How long a file may take to load before the worker is stopped. */
export const LOAD_LIMIT_MS = 20_000;
let current: Worker | null = null;

function show(r: LoadReport): void {
  const out = byId('l-out');
  const parts: HTMLElement[] = [];
  parts.push(h('p', { class: 'model-line', id: 'l-format' }, h('strong', {}, r.name), `: ${r.formatName}, ${bytesText(r.bytes)}, ${int(r.totalParameters)} parameters in ${r.tensors.length} tensors${r.weightsKey ? ` (entry "${r.weightsKey}")` : ''}`));
  parts.push(h('h3', {}, 'Recognised layers'));
  if (r.layers.length === 0) parts.push(h('p', { class: 'help' }, 'No recurrent, Linear or Conv1d layer recognised from the key names.'));
  for (const l of r.layers) {
    const run = 'error' in l.run
      ? h('p', { class: 'error', 'data-run': 'error' }, `Could not run it: ${l.run.error}`)
      : h(
          'div',
          { class: 'tensor', 'data-run': 'ok' },
          h('span', { class: 'tname' }, 'run'),
          ' on randn ',
          h('code', { class: 'dims' }, `(${l.run.input.join(', ')})`),
          ' → ',
          ...l.run.outputs.flatMap((o, i) => [i > 0 ? ', ' : '', `${o.name} `, h('code', { class: 'dims', 'data-output': o.name }, `(${o.shape.join(', ')})`)]),
        );
    parts.push(
      h(
        'div',
        { class: 'box layer-box', 'data-layer': l.prefix || '(root)', 'data-type': l.type },
        h('h4', { class: 'layer-title' }, h('code', {}, l.prefix ? l.prefix.replace(/\.$/, '') : '(root)'), ` ${l.type}`),
        h('p', { class: 'summary' }, l.summary),
        h('div', { class: 'code-line' }, h('span', { class: 'tname' }, 'PyTorch'), ' ', h('code', { 'data-code': 'pytorch' }, l.pytorch)),
        h('div', { class: 'code-line' }, h('span', { class: 'tname' }, 'torchlet'), ' ', h('code', { 'data-code': 'torchlet' }, l.torchlet)),
        ...l.notes.map((n) => h('p', { class: 'note' }, `note: ${n}`)),
        run,
      ),
    );
  }
  if (r.unrecognized.length > 0) parts.push(h('p', { class: 'help' }, `Not part of a recognised layer: ${r.unrecognized.slice(0, 8).join(', ')}${r.unrecognized.length > 8 ? `, … (${r.unrecognized.length})` : ''}`));
  if (r.entries) {
    parts.push(h('h3', {}, 'Checkpoint entries'));
    parts.push(h('ul', { class: 'entries' }, ...r.entries.map((e) => h('li', {}, h('code', {}, e.key), ` ${e.what}`, e.key === r.weightsKey ? h('strong', {}, ' ← the weights') : null))));
  }
  parts.push(h('h3', {}, `Tensors (${r.tensors.length})`));
  parts.push(
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { id: 'l-tensors' },
        h('caption', { class: 'sr-only' }, 'Tensors in the file'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'name'), h('th', { scope: 'col' }, 'dtype'), h('th', { scope: 'col' }, 'shape'), h('th', { scope: 'col', class: 'num' }, 'count'))),
        h('tbody', {}, ...r.tensors.map((t) => h('tr', {}, h('th', { scope: 'row' }, h('code', {}, t.name)), h('td', {}, t.dtype), h('td', {}, h('code', {}, `[${t.shape.join(', ')}]`)), h('td', { class: 'num' }, int(t.count))))),
      ),
    ),
  );
  const meta = Object.entries(r.metadata).filter(([, v]) => v !== '');
  if (meta.length > 0) {
    parts.push(h('h3', {}, 'Metadata'));
    parts.push(h('dl', { class: 'cost' }, ...meta.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v.length > 120 ? `${v.slice(0, 120)}…` : v)])));
  }
  out.replaceChildren(...parts);
}

function fail(message: string): void {
  const err = byId('l-error');
  err.hidden = false;
  err.textContent = message;
  byId('l-out').replaceChildren();
  byId('l-status').textContent = 'Could not read the file.';
  byId('l-status').dataset.state = 'error';
}

async function open(file: File): Promise<void> {
  current?.terminate();
  const status = byId('l-status');
  byId('l-error').hidden = true;
  delete status.dataset.state;
  status.textContent = `Reading ${file.name} (${bytesText(file.size)})…`;
  const bytes = new Uint8Array(await file.arrayBuffer());
  const worker = new Worker(new URL('./load-worker.ts', import.meta.url), { type: 'module', name: 'torchlet-load' });
  current = worker;
  const timer = setTimeout(() => {
    worker.terminate();
    if (current === worker) fail(`${file.name}: still loading after ${LOAD_LIMIT_MS / 1000} s; stopped (the file is too large or malformed)`);
  }, LOAD_LIMIT_MS);
  worker.onmessage = (e: MessageEvent<FromLoadWorker>) => {
    clearTimeout(timer);
    worker.terminate();
    if (current !== worker) return;
    const m = e.data;
    if (m.type === 'error') fail(m.message);
    else {
      show(m.report);
      status.textContent = `Read ${file.name}.`;
      status.dataset.state = 'done';
    }
  };
  worker.onerror = (e) => {
    clearTimeout(timer);
    worker.terminate();
    e.preventDefault();
    if (current === worker) fail(`${file.name}: the reader failed: ${e.message}`);
  };
  worker.postMessage({ name: file.name, bytes }, [bytes.buffer]);
}

export function initLoad(): void {
  byId<HTMLFormElement>('load-form').addEventListener('submit', (e) => e.preventDefault());
  onFileChosen('l-file', 'l-drop', (file) => void open(file));
}
