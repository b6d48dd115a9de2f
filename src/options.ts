/**
 * The one run-time check of options objects (PyTorch's keyword arguments, camelCase here).
 *
 * Each options type declares its schema right beside it, typed so that a key added to the
 * interface without a rule (or a rule without a key) is a compile error:
 *
 *   export interface LossOptions { reduction?: Reduction }
 *   export const LOSS_OPTIONS = defineOptions<LossOptions>('nn.MSELoss', { reduction: opt.oneOf('mean', 'sum', 'none') });
 *   ...
 *   const o = LOSS_OPTIONS.parse(options);          // in the constructor, before anything is built
 *
 * `parse` refuses, with an `OptionError` (a TypeError), what Python would refuse for keyword
 * arguments: `null` or a non-object where options belong, an unknown key (naming the nearest
 * valid one: "unexpected option 'batch_first'; did you mean 'batchFirst'?"), and a value of the
 * wrong type (naming the expected type). A key set to `undefined` counts as left out. Booleans take
 * `true`/`false` and, as Python's `bidirectional=1`, `0`/`1` (returned as booleans).
 */

import { OptionError, typeName } from './errors.js';

/** One option's check: what it expects (for the message) and the test. */
export interface Rule {
  /** The expected type as the message names it: `boolean`, `number`, `'mean' | 'sum' | 'none'`. */
  readonly expected: string;
  readonly test: (v: unknown) => boolean;
  /** Turns an accepted value into the one the caller reads (0/1 into booleans). */
  readonly convert?: (v: unknown) => unknown;
  /** The key must be given (PyTorch: a required argument, `StepLR(optimizer, step_size)`). */
  readonly required?: boolean;
}

function rule(expected: string, test: (v: unknown) => boolean, convert?: (v: unknown) => unknown): Rule {
  return convert ? { expected, test, convert } : { expected, test };
}

const isBool = (v: unknown) => v === true || v === false || v === 0 || v === 1;

/** The rules options are built from. */
export const opt = {
  /** true/false, or 0/1 as Python accepts (converted to a boolean). */
  bool: rule('boolean (true/false or 0/1)', isBool, (v) => v === true || v === 1),
  /** Like `bool` but keeps 0/1 as given (PyTorch prints `bidirectional=1` as given). */
  flag: rule('boolean (true/false or 0/1)', isBool),
  /** Any number (NaN and ±Infinity included; value checks are the caller's, in PyTorch's words). */
  number: rule('number', (v) => typeof v === 'number'),
  /** An integer number. */
  int: rule('integer', (v) => typeof v === 'number' && Number.isInteger(v)),
  /** Any string. */
  string: rule('string', (v) => typeof v === 'string'),
  /** A function. */
  func: rule('function', (v) => typeof v === 'function'),
  /** Anything (for options whose value the callee checks itself, e.g. dtypes and devices). */
  any: rule('any value', () => true),
  /** One of the given strings. */
  oneOf(...values: readonly string[]): Rule {
    return rule(values.map((v) => `'${v}'`).join(' | '), (v) => typeof v === 'string' && values.includes(v));
  },
  /** An instance of a class, looked up lazily (no import-order cycle): `opt.instance(() => Tensor, 'Tensor')`. */
  instance(ctor: () => abstract new (...args: never[]) => unknown, name: string): Rule {
    return rule(name, (v) => v instanceof ctor());
  },
  /** An array whose every element passes `item`. */
  arrayOf(item: Rule): Rule {
    return rule(`array of ${item.expected}`, (v) => Array.isArray(v) && v.every((x) => item.test(x)));
  },
  /** A rule of one's own: the expected type as messages name it, and its test. */
  named(expected: string, test: (v: unknown) => boolean): Rule {
    return rule(expected, test);
  },
  /** Any of the rules (the first that accepts converts). */
  or(...rules: readonly Rule[]): Rule {
    return rule(
      rules.map((r) => r.expected).join(' or '),
      (v) => rules.some((r) => r.test(v)),
      (v) => {
        const r = rules.find((x) => x.test(v));
        return r?.convert ? r.convert(v) : v;
      },
    );
  },
  /** The rule, for a key that must be given. */
  required(r: Rule): Rule {
    return { ...r, required: true };
  },
  /** The rule, or null (PyTorch's None). */
  nullable(r: Rule): Rule {
    return rule(`${r.expected} or null`, (v) => v === null || r.test(v), (v) => (v === null || !r.convert ? v : r.convert(v)));
  },
} as const;

/** One rule per key of the options type T, no more and no less. */
export type OptionsSpec<T> = { readonly [K in keyof Required<T>]-?: Rule };

/** A declared options schema. */
export interface OptionsSchema<T> {
  /** Who takes these options, as messages name it (`nn.LSTM`, `optim.Adam`). */
  readonly owner: string;
  /** The valid keys, in declaration order. */
  readonly keys: readonly string[];
  /** The rules, for another schema with the same keys under another owner. */
  readonly rules: OptionsSpec<T>;
  /**
   * Check `value` and return a copy with booleans converted; `undefined` gives `{}`. `owner`
   * overrides the schema's name in messages (one schema shared by several classes).
   */
  parse(value: unknown, owner?: string): T;
  /** A schema with more keys (e.g. LSTM's `projSize` on top of the recurrent layers' options). */
  extend<U extends T>(owner: string, more: OptionsSpec<Omit<U, keyof T>>): OptionsSchema<U>;
}

/** Every schema declared, by owner (the options test checks that each is exercised). */
export const declaredOptions = new Map<string, OptionsSchema<unknown>>();

/**
 * Declare the schema of an options type, beside the type. `owner` names the taker in messages.
 */
export function defineOptions<T>(owner: string, spec: OptionsSpec<T>): OptionsSchema<T> {
  const rules = new Map<string, Rule>(Object.entries(spec) as [string, Rule][]);
  const keys = [...rules.keys()];
  const schema: OptionsSchema<T> = {
    owner,
    keys,
    rules: spec,
    parse(value: unknown, who = owner): T {
      if (value === undefined) value = {};
      if (value === null || typeof value !== 'object' || Array.isArray(value) || isSpecial(value)) {
        throw new OptionError(
          `${who}: options must be an object like { ${keys.slice(0, 2).join(': ..., ')}${keys.length > 0 ? ': ...' : ''} }, not ${typeName(value)}${showValue(value)}`,
        );
      }
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        const v = (value as Record<string, unknown>)[key];
        const r = rules.get(key);
        if (!r) {
          throw new OptionError(`${who}: unexpected option '${key}'${suggest(key, keys)}`, key);
        }
        if (v === undefined) continue;
        if (!r.test(v)) {
          throw new OptionError(`${who}: option '${key}' must be ${r.expected}, not ${typeName(v)}${showValue(v)}`, key);
        }
        out[key] = r.convert ? r.convert(v) : v;
      }
      for (const [key, r] of rules) {
        if (r.required && !(key in out)) throw new OptionError(`${who}: missing required option '${key}' (${r.expected})`, key);
      }
      return out as T;
    },
    extend<U extends T>(name: string, more: OptionsSpec<Omit<U, keyof T>>): OptionsSchema<U> {
      return defineOptions<U>(name, { ...spec, ...more } as OptionsSpec<U>);
    },
  };
  declaredOptions.set(owner, schema as OptionsSchema<unknown>);
  return schema;
}

/** Objects that are values, not option bags: typed arrays, maps, class instances such as a Tensor. */
function isSpecial(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto !== Object.prototype && proto !== null;
}

/** A short rendering of a refused value, for the message. */
function showValue(v: unknown): string {
  if (typeof v === 'string') return ` ('${v.length > 40 ? `${v.slice(0, 40)}...` : v}')`;
  if (typeof v === 'number' || typeof v === 'bigint') return ` (${String(v)})`;
  return '';
}

/** `; did you mean 'batchFirst'?` for the nearest valid key, or the list of valid keys. */
export function suggest(key: string, valid: readonly string[]): string {
  if (valid.length === 0) return '; this takes no options';
  const squash = (s: string) => s.replace(/[_-]/g, '').toLowerCase();
  let best = '';
  let bestD = Number.POSITIVE_INFINITY;
  for (const k of valid) {
    // snake_case and case slips ('batch_first', 'BatchFirst') squash to the same word: distance 0.
    const d = squash(k) === squash(key) ? 0 : editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  if (bestD <= Math.max(2, Math.floor(best.length / 3))) return `; did you mean '${best}'?`;
  return `; valid options are ${valid.map((k) => `'${k}'`).join(', ')}`;
}

/** Levenshtein distance (the options' names are short; O(mn) is fine). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
