/**
 * Einstein summation. PyTorch: `torch.einsum(equation, *operands)`.
 *
 * Built from recorded ops (diagonal views, sums, permutes, batched matmuls), so gradients, and
 * gradients of gradients, flow through every form: `'bij,bjk->bik'` (batched matmul),
 * `'bqd,bkd->bqk'` (attention scores), `'i,j->ij'` (outer), `'ij->ji'`, `'ii->'` (trace),
 * `'ij->'`, implicit outputs (`'ij,jk'`), `'...'` broadcast dims, and any number of operands
 * (contracted left to right).
 */

import { noGrad } from '../autograd/grad-mode.js';
import { record } from '../autograd/node.js';
import { ArgumentTypeError, RuntimeError, ValueError, typeName } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { matmul } from './matmul.js';
import { expand, permute, reshape } from './shape.js';
import { sum } from './reduce.js';

/** A label: a letter's code, or for the i-th ellipsis dim (counted from the right) the number -1 - i. */
type Label = number;

const isLetter = (c: string): boolean => /^[a-zA-Z]$/.test(c);

interface Term {
  labels: string;
  ellipsis: boolean;
}

function parseTerm(term: string, what: string): Term {
  let ellipsis = false;
  let labels = '';
  for (let i = 0; i < term.length; i++) {
    const c = term[i];
    if (c === '.') {
      if (ellipsis || term.slice(i, i + 3) !== '...') {
        throw new ValueError(`einsum(): found '.' for ${what} that is not part of any ellipsis`);
      }
      ellipsis = true;
      labels += '.';
      i += 2;
    } else if (isLetter(c)) {
      labels += c;
    } else {
      throw new ValueError(`einsum(): invalid subscript given at index ${i} in the equation string, subscripts must be in [a-zA-Z]`);
    }
  }
  return { labels, ellipsis };
}

/** One operand's labels, one per dim, with the ellipsis expanded to the operand's broadcast dims. */
function operandLabels(t: Term, ndim: number, i: number): Label[] {
  const letters = t.labels.replace('.', '').length;
  if (!t.ellipsis && letters !== ndim) {
    throw new RuntimeError(
      `einsum(): the number of subscripts in the equation (${letters}) does not match the number of dimensions (${ndim}) for operand ${i} and no ellipsis was given`,
    );
  }
  if (t.ellipsis && letters > ndim) {
    throw new RuntimeError(
      `einsum(): the number of subscripts in the equation (${letters}) is more than the number of dimensions (${ndim}) for operand ${i}`,
    );
  }
  const out: Label[] = [];
  const nEll = ndim - letters;
  for (const c of t.labels) {
    if (c === '.') for (let k = nEll - 1; k >= 0; k--) out.push(-1 - k);
    else out.push(c.charCodeAt(0));
  }
  return out;
}

const labelName = (l: Label): string => (l < 0 ? '...' : String.fromCharCode(l));

/** Take the diagonal over repeated labels of one operand (a strided view, recorded). */
function dedupe(x: Tensor, labels: Label[], i: number): [Tensor, Label[]] {
  let t = x;
  let ls = [...labels];
  for (let a = 0; a < ls.length; a++) {
    for (let b = ls.length - 1; b > a; b--) {
      if (ls[b] !== ls[a]) continue;
      if (t.shape[a] !== t.shape[b]) {
        throw new RuntimeError(
          `einsum(): subscript ${labelName(ls[a])} is repeated for operand ${i} but the sizes don't match, ${t.shape[b]} != ${t.shape[a]}`,
        );
      }
      t = diagonalOf(t, a, b);
      ls = ls.filter((_, k) => k !== b);
    }
  }
  return [t, ls];
}

/** The diagonal over dims a < b (dim b dropped) as a view; its backward writes g back onto the diagonal of zeros. */
function diagonalOf(x: Tensor, a: number, b: number): Tensor {
  const shape = x.shape.filter((_, k) => k !== b);
  const strides = x.strides.filter((_, k) => k !== b);
  strides[a] = x.strides[a] + x.strides[b];
  const v = new Tensor(x.storage, shape, x.dtype, strides, x.offset);
  v._base = x._base ?? x;
  return record('DiagonalBackward0', [x], v, ([g]) => [diagonalEmbed(g!, x.shape, a, b)], []);
}

function diagonalEmbed(g: Tensor, shape: readonly number[], a: number, b: number): Tensor {
  const z = Tensor.empty(shape, g.dtype);
  noGrad(() => {
    const strides = z.strides.filter((_, k) => k !== b);
    strides[a] = z.strides[a] + z.strides[b];
    new Tensor(z.storage, g.shape, z.dtype, strides, 0).copy_(g);
  });
  return record('DiagonalBackwardBackward0', [g], z, ([gg]) => [diagonalOf(gg!, a, b)], []);
}

/** Sum out the labels of `t` that are not in `keep`. */
function sumOut(t: Tensor, ls: Label[], keep: Set<Label>): [Tensor, Label[]] {
  const dims = ls.flatMap((l, k) => (keep.has(l) ? [] : [k]));
  if (dims.length === 0) return [t, ls];
  return [sum(t, dims), ls.filter((l) => keep.has(l))];
}

/** Contract two operands over their shared labels not in `keep`: permute + reshape + batched matmul. */
function contract(a: Tensor, la: Label[], b: Tensor, lb: Label[], keep: Set<Label>): [Tensor, Label[]] {
  const size = new Map<Label, number>();
  for (const [t, ls] of [[a, la], [b, lb]] as const) {
    ls.forEach((l, k) => {
      const s = t.shape[k];
      const prev = size.get(l);
      if (prev === undefined || prev === 1) size.set(l, s);
    });
  }
  const inB = new Set(lb);
  const inA = new Set(la);
  const batch = la.filter((l) => inB.has(l) && keep.has(l));
  const summed = la.filter((l) => inB.has(l) && !keep.has(l));
  const aOnly = la.filter((l) => !inB.has(l));
  const bOnly = lb.filter((l) => !inA.has(l));
  const sz = (ls: Label[]): number[] => ls.map((l) => size.get(l)!);
  const prod = (ls: Label[]): number => sz(ls).reduce((p, s) => p * s, 1);
  const arrange = (t: Tensor, ls: Label[], order: Label[]): Tensor => {
    const p = permute(t, order.map((l) => ls.indexOf(l)));
    // Size-1 dims broadcast against the other operand's size.
    return p.shape.every((s, k) => s === size.get(order[k])) ? p : expand(p, sz(order));
  };
  const A = reshape(arrange(a, la, [...batch, ...aOnly, ...summed]), [prod(batch), prod(aOnly), prod(summed)]);
  const B = reshape(arrange(b, lb, [...batch, ...summed, ...bOnly]), [prod(batch), prod(summed), prod(bOnly)]);
  const y = reshape(matmul(A, B), [...sz(batch), ...sz(aOnly), ...sz(bOnly)]);
  return [y, [...batch, ...aOnly, ...bOnly]];
}

/**
 * PyTorch: `torch.einsum(equation, *operands)`: sums of products of the operands' entries over the
 * subscripts the output leaves out. `einsum('bqd,bkd->bqk', q, k)`, also with the operands in
 * one array: `einsum('ij,jk->ik', [a, b])`. Without `->` the output holds the subscripts that
 * appear once, in alphabetical order (A-Z before a-z), after the `...` dims.
 * Shapes: as the equation says; a subscript's sizes must match across operands or be 1 (broadcast).
 */
export function einsum(equation: string, ...operandArgs: (Tensor | readonly Tensor[])[]): Tensor {
  if (typeof equation !== 'string') {
    throw new ArgumentTypeError(`einsum(): argument 'equation' (position 1) must be str, not ${typeName(equation)}`);
  }
  const operands = (operandArgs.length === 1 && Array.isArray(operandArgs[0]) ? operandArgs[0] : operandArgs) as Tensor[];
  operands.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new ArgumentTypeError(`einsum(): expected Tensor as element ${i} in argument 1, but got ${typeName(t)}`);
  });
  if (operands.length === 0) throw new RuntimeError('einsum(): must provide at least one operand');
  const eq = equation.replace(/\s+/g, '');
  const arrow = eq.indexOf('->');
  const lhs = arrow >= 0 ? eq.slice(0, arrow) : eq;
  const terms = lhs.split(',').map((s, i) => parseTerm(s, `operand ${i}`));
  if (terms.length > operands.length) throw new RuntimeError('einsum(): fewer operands were provided than specified in the equation');
  if (terms.length < operands.length) throw new RuntimeError('einsum(): more operands were provided than specified in the equation');
  const labels = terms.map((t, i) => operandLabels(t, operands[i].ndim, i));

  // A subscript repeated within one operand (a diagonal) needs equal sizes there.
  labels.forEach((ls, i) => {
    ls.forEach((l, k) => {
      const first = ls.indexOf(l);
      const s = operands[i].shape;
      if (first < k && s[first] !== s[k]) {
        throw new RuntimeError(`einsum(): subscript ${labelName(l)} is repeated for operand ${i} but the sizes don't match, ${s[k]} != ${s[first]}`);
      }
    });
  });
  // Sizes must agree (or be 1) across operands; ellipsis dims broadcast from the right.
  const seen = new Map<Label, number>();
  labels.forEach((ls, i) => {
    ls.forEach((l, k) => {
      const s = operands[i].shape[k];
      const prev = seen.get(l);
      if (prev !== undefined && prev !== s && prev !== 1 && s !== 1) {
        if (l < 0) throw new RuntimeError(`einsum(): operands do not broadcast with remapped shapes (original->remapped): the '...' dims of operand ${i} do not broadcast`);
        throw new RuntimeError(`einsum(): subscript ${labelName(l)} has size ${s} for operand ${i} which does not broadcast with previously seen size ${prev}`);
      }
      if (prev === undefined || prev === 1) seen.set(l, s);
    });
  });

  const ellDims = Math.max(0, ...labels.map((ls) => ls.filter((l) => l < 0).length));
  let out: Label[];
  if (arrow >= 0) {
    const t = parseTerm(eq.slice(arrow + 2), 'the output');
    out = [];
    for (const c of t.labels) {
      if (c === '.') {
        for (let k = ellDims - 1; k >= 0; k--) out.push(-1 - k);
        continue;
      }
      const l = c.charCodeAt(0);
      if (out.includes(l)) throw new RuntimeError(`einsum(): output subscript ${c} appears more than once in the output`);
      if (!seen.has(l)) throw new RuntimeError(`einsum(): output subscript ${c} does not appear in the equation for any input operand`);
      out.push(l);
    }
  } else {
    const count = new Map<Label, number>();
    for (const ls of labels) for (const l of ls) if (l >= 0) count.set(l, (count.get(l) ?? 0) + 1);
    const once = [...count].filter(([, c]) => c === 1).map(([l]) => l).sort((p, q) => p - q); // char codes: A-Z before a-z, as PyTorch
    out = [...Array.from({ length: ellDims }, (_, k) => -ellDims + k), ...once];
  }

  // Each operand: diagonals of repeated labels, then sum the labels no one else needs.
  const work: [Tensor, Label[]][] = operands.map((t, i) => dedupe(t, labels[i], i));
  const outSet = new Set(out);
  const neededLater = (from: number): Set<Label> => {
    const s = new Set(outSet);
    for (let j = from; j < work.length; j++) for (const l of work[j][1]) s.add(l);
    return s;
  };
  let [acc, accL] = sumOut(work[0][0], work[0][1], neededLater(1));
  for (let j = 1; j < work.length; j++) {
    const keepAfter = neededLater(j + 1);
    const [t, tl] = sumOut(work[j][0], work[j][1], new Set([...keepAfter, ...accL]));
    [acc, accL] = contract(acc, accL, t, tl, keepAfter);
  }
  [acc, accL] = sumOut(acc, accL, outSet);
  // The output order is the equation's.
  return permute(acc, out.map((l) => accL.indexOf(l)));
}
