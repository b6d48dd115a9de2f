/**
 * The shapes panel: the form's configuration → the layer (the same builder as `torchlet explain`'s
 * constructor strings) → `torch.explain` → the diagram, the parameter table, the cost, the warnings
 * and the code. Everything shown comes from the report, so the page and the CLI cannot disagree.
 */
import { buildLayer, bytesText, dimsText, explain, si } from '../../src/explain/index.js';
import type { ExplainNode, ExplainReport, TensorInfo } from '../../src/explain/index.js';
import type { LayerType, ShapeConfig } from './config.js';
import { applies, DEFAULTS, explainInput, LAYER_TYPES, pythonCode, specOf, torchletCode } from './config.js';
import { byId, copyText, h, int } from './dom.js';

class FormError extends Error {}

function intField(form: HTMLFormElement, name: string, label: string, min: number): number {
  const el = form.elements.namedItem(name) as HTMLInputElement;
  const v = el.value.trim();
  const n = Number(v);
  if (v === '' || !Number.isInteger(n) || n < min) throw new FormError(`${label} must be a whole number of at least ${min}, got "${v}"`);
  return n;
}

const checked = (form: HTMLFormElement, name: string): boolean => (form.elements.namedItem(name) as HTMLInputElement).checked;

/** Read the form. Throws FormError with a readable message for a value that is not a number. */
export function readForm(form: HTMLFormElement): ShapeConfig {
  const type = (form.elements.namedItem('type') as HTMLSelectElement).value as LayerType;
  if (!LAYER_TYPES.includes(type)) throw new FormError(`unknown module ${type}`);
  const dropoutText = (form.elements.namedItem('dropout') as HTMLInputElement).value.trim();
  const dropout = Number(dropoutText);
  if (dropoutText === '' || !Number.isFinite(dropout)) throw new FormError(`dropout must be a number, got "${dropoutText}"`);
  const lengthsText = (form.elements.namedItem('lengths') as HTMLInputElement).value;
  const lengths = lengthsText.split(/[\s,]+/).filter((s) => s !== '').map(Number);
  const packed = checked(form, 'packed');
  if (packed && lengths.some((n) => !Number.isInteger(n))) throw new FormError(`lengths must be whole numbers separated by commas, got "${lengthsText}"`);
  return {
    type,
    inputSize: intField(form, 'inputSize', 'input_size', 1),
    hiddenSize: intField(form, 'hiddenSize', 'hidden_size', 1),
    numLayers: intField(form, 'numLayers', 'num_layers', 1),
    bias: checked(form, 'bias'),
    batchFirst: checked(form, 'batchFirst'),
    dropout,
    bidirectional: checked(form, 'bidirectional'),
    projSize: intField(form, 'projSize', 'proj_size', 0),
    nonlinearity: (form.elements.namedItem('nonlinearity') as HTMLSelectElement).value === 'relu' ? 'relu' : 'tanh',
    batch: intField(form, 'batch', 'batch N', 0),
    length: intField(form, 'length', 'length L', 1),
    features: intField(form, 'features', 'features', 1),
    unbatched: checked(form, 'unbatched'),
    packed,
    lengths,
    enforceSorted: checked(form, 'enforceSorted'),
    statesGiven: checked(form, 'statesGiven'),
  };
}

/** The report for a configuration (what `torchlet explain --json` prints for the same layer and input). */
export function reportFor(c: ShapeConfig): ExplainReport {
  const layer = buildLayer(specOf(c));
  return explain(layer, explainInput(c), { statesGiven: c.statesGiven });
}

function tensorLine(t: TensorInfo): HTMLElement {
  return h(
    'div',
    { class: 'tensor', 'data-tensor': t.name },
    h('span', { class: 'tname' }, t.name),
    ' ',
    h('code', { class: 'dims' }, dimsText(t.dims)),
    t.note ? h('span', { class: 'note' }, t.note) : null,
  );
}

function box(cls: string, title: string, tensors: readonly TensorInfo[], attrs: Record<string, string> = {}): HTMLElement {
  return h('div', { class: `box ${cls}`, ...attrs }, h('div', { class: 'box-title' }, title), ...tensors.map(tensorLine));
}

const arrow = (label = ''): HTMLElement => h('div', { class: 'arrow', 'aria-hidden': 'true' }, `↓${label ? ` ${label}` : ''}`);

function diagram(r: ExplainReport): HTMLElement {
  const root = r.nodes[0]!;
  const flow = h('div', { class: 'flow' });
  const ins = root.inputs.filter((t) => t.name === 'input');
  const stateIns = root.inputs.filter((t) => t.name !== 'input');
  const outs = root.outputs.filter((t) => t.name === 'output');
  const stateOuts = root.outputs.filter((t) => t.name !== 'output');
  const cell = root.inputs.length > 0 && !root.outputs.some((t) => t.name === 'output');
  if (cell) {
    // A cell: one step; input and state in, the next state out.
    flow.append(h('div', { class: 'row' }, box('in', 'in', root.inputs, { 'data-box': 'in' })));
    flow.append(arrow());
    flow.append(h('div', { class: 'row' }, h('div', { class: 'box layer-box', 'data-box': 'cell' }, h('div', { class: 'box-title' }, root.repr), h('div', { class: 'note' }, 'one time step: loop over time yourself'))));
    flow.append(arrow());
    flow.append(h('div', { class: 'row' }, box('out', 'out', root.outputs, { 'data-box': 'out' })));
    return flow;
  }
  flow.append(h('div', { class: 'row io' }, box('in', 'input', ins, { 'data-box': 'input' }), stateIns.length ? box('state', 'initial states', stateIns, { 'data-box': 'states-in' }) : null));
  const dirs = r.nodes.filter((n) => n.kind === 'direction');
  const layers = new Map<string, ExplainNode[]>();
  for (const n of dirs) {
    const m = /^layer (\d+)/.exec(n.type);
    const k = m ? m[1]! : n.type;
    layers.set(k, [...(layers.get(k) ?? []), n]);
  }
  for (const [k, nodes] of layers) {
    flow.append(arrow());
    const row = h('div', { class: 'row layer', 'data-layer': k }, h('div', { class: 'layer-label' }, `layer ${k}`));
    for (const n of nodes) {
      const b = box('dir', n.type.replace(/^layer \d+ /, ''), [...n.inputs, ...n.outputs], { 'data-node': n.type });
      b.append(h('div', { class: 'note' }, n.repr.replace(/^layer \d+, /, '')));
      row.append(b);
    }
    flow.append(row);
  }
  flow.append(arrow());
  flow.append(h('div', { class: 'row io' }, box('out', 'output', outs, { 'data-box': 'output' }), stateOuts.length ? box('state', 'final states', stateOuts, { 'data-box': 'states-out' }) : null));
  return flow;
}

function render(c: ShapeConfig, r: ExplainReport | null, error: string | null): void {
  const model = byId('shapes-model');
  const err = byId('shapes-error');
  const dia = byId('shapes-diagram');
  const tbody = byId<HTMLTableElement>('shapes-params').tBodies[0]!;
  const tfoot = byId<HTMLTableElement>('shapes-params').tFoot!;
  const cost = byId('shapes-cost');
  const warns = byId('shapes-warnings');
  const legend = byId('shapes-legend');
  const message = error ?? r?.error ?? null;
  err.hidden = message === null;
  err.textContent = message === null ? '' : `${error ? 'Cannot build this layer' : 'The layer cannot run on this input'}: ${message}`;
  if (r === null) {
    model.textContent = '';
    for (const el of [dia, tbody, tfoot, cost, warns, legend]) el.replaceChildren();
  } else {
    model.replaceChildren(h('code', {}, r.model), ' on input ', h('code', { class: 'dims' }, dimsText(r.input.dims)));
    dia.replaceChildren(diagram(r));
    const root = r.nodes[0]!;
    tbody.replaceChildren(
      ...root.params.map((p) =>
        h('tr', { 'data-param': p.name }, h('th', { scope: 'row' }, h('code', {}, p.name)), h('td', {}, h('code', {}, dimsText(p.dims))), h('td', { class: 'num' }, int(p.count))),
      ),
    );
    tfoot.replaceChildren(h('tr', {}, h('th', { scope: 'row' }, 'total'), h('td', {}, bytesText(r.totals.paramBytes)), h('td', { class: 'num', id: 'params-total' }, int(r.totals.params))));
    const t = r.totals;
    const item = (k: string, v: string, id: string) => [h('dt', {}, k), h('dd', { id }, v)];
    cost.replaceChildren(
      ...item('one forward (inference)', `${si(t.flops.inference)}FLOP`, 'cost-inference'),
      ...item('one training step (forward + backward)', `≈ ${si(t.flops.trainingStep)}FLOP`, 'cost-training'),
      ...item('activations, no grad (peak)', bytesText(t.activationBytes.noGrad), 'cost-nograd'),
      ...item('activations kept for backward', `≈ ${bytesText(t.activationBytes.grad)}`, 'cost-grad'),
    );
    warns.replaceChildren(
      ...(r.warnings.length === 0
        ? [h('li', { class: 'none' }, 'None for this configuration.')]
        : r.warnings.map((w) => h('li', { 'data-warning': w.code }, h('p', {}, w.message), h('p', { class: 'fix' }, h('strong', {}, 'Fix: '), w.fix)))),
    );
    const used = new Set<string>();
    for (const n of r.nodes) for (const x of [...n.inputs, ...n.outputs, ...n.params]) for (const d of x.dims) for (const part of d.sym.split('*')) used.add(part);
    legend.replaceChildren(...Object.entries(r.legend).filter(([k]) => used.has(k)).flatMap(([k, v]) => [h('dt', {}, h('code', {}, k)), h('dd', {}, v)]));
  }
  byId('code-python').textContent = pythonCode(c, r);
  byId('code-torchlet').textContent = torchletCode(c, r);
}

/** Enable only the controls that apply to the chosen module and input. */
function syncEnabled(form: HTMLFormElement): void {
  const type = (form.elements.namedItem('type') as HTMLSelectElement).value as LayerType;
  const a = applies(type);
  const set = (name: string, on: boolean) => {
    const el = form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;
    el.disabled = !on;
    el.closest('.field, label')?.classList.toggle('off', !on);
  };
  set('numLayers', a.numLayers);
  set('batchFirst', a.batchFirst);
  set('dropout', a.dropout);
  set('bidirectional', a.bidirectional);
  set('projSize', a.projSize);
  set('nonlinearity', a.nonlinearity);
  set('length', a.length);
  const unbatched = checked(form, 'unbatched');
  set('batch', !unbatched);
  set('packed', a.packed && !unbatched);
  const packed = a.packed && !unbatched && checked(form, 'packed');
  set('lengths', packed);
  set('enforceSorted', packed);
}

export function initShapes(): void {
  const form = byId<HTMLFormElement>('shapes-form');
  let lastInputSize = DEFAULTS.inputSize;
  const update = () => {
    syncEnabled(form);
    let c: ShapeConfig;
    try {
      c = readForm(form);
    } catch (e) {
      byId('shapes-error').hidden = false;
      byId('shapes-error').textContent = (e as Error).message;
      return;
    }
    let report: ExplainReport | null = null;
    let error: string | null = null;
    try {
      report = reportFor(c);
    } catch (e) {
      error = (e as Error).message;
    }
    render(c, report, error);
  };
  form.addEventListener('input', (e) => {
    // The input's features follow input_size until they are set apart.
    const t = e.target as HTMLInputElement;
    if (t.name === 'inputSize') {
      const f = form.elements.namedItem('features') as HTMLInputElement;
      if (Number(f.value) === lastInputSize) f.value = t.value;
      lastInputSize = Number(t.value);
    }
    update();
  });
  form.addEventListener('change', update);
  form.addEventListener('submit', (e) => e.preventDefault());
  for (const b of document.querySelectorAll<HTMLButtonElement>('#shapes button.copy')) {
    b.addEventListener('click', () => {
      const pre = byId(b.dataset.copy!);
      void copyText(pre.textContent ?? '', b, pre);
    });
  }
  update();
}
