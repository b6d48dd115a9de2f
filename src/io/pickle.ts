/**
 * A pickle reader that executes nothing. PyTorch twin: the `Unpickler` of
 * `torch._weights_only_unpickler` (what `torch.load(..., weights_only=True)` uses).
 *
 * Python's pickle is a small stack machine whose GLOBAL/REDUCE opcodes import and call any
 * function named in the file, so loading an untrusted pickle with Python's own `pickle` runs
 * arbitrary code. This reader implements the data opcodes of protocols 0 to 5 in a loop (no
 * recursion, so nesting depth cannot overflow the JS stack) and hands every GLOBAL, REDUCE,
 * NEWOBJ, BUILD and persistent id to a `PickleHooks` policy, which resolves an allow-list of
 * names to inert values and refuses the rest. Opcodes that only make sense for executing code
 * (INST, OBJ, NEWOBJ_EX, EXT*, out-of-band buffers) are refused outright.
 *
 * Python values become: None → null, bool → boolean, int → number (bigint past 2^53), float →
 * number, str → string, bytes → Uint8Array, list/tuple/set → array, dict → plain object
 * (keys as strings: an int key 3 becomes "3"; JavaScript lists integer-like keys first).
 */

import { FormatError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

/** What a pickle loads as, once every opaque value has been resolved. PyTorch: what `torch.load` returns. */
export type PickleValue = null | boolean | number | bigint | string | Uint8Array | Tensor | PickleValue[] | PickleDict;

/** A Python dict (or OrderedDict) as a plain object; `__proto__` is an own key, never the prototype. PyTorch: a `dict` from `torch.load`. */
export interface PickleDict {
  [key: string]: PickleValue;
}

/**
 * A value the hooks create that only makes sense inside the pickle (a global's name, a storage
 * reference). One left in the final result makes the load fail.
 */
export class Opaque {
  constructor(readonly description: string) {}
}

/** A value on the machine's stack. */
export type Value = PickleValue | Opaque | Value[] | { [key: string]: Value };

/** The policy: what globals mean and what calling them does. Each throws a FormatError to refuse. */
export interface PickleHooks {
  /** GLOBAL / STACK_GLOBAL `module name`. */
  global(module: string, name: string): Value;
  /** REDUCE (`fn(*args)`) and NEWOBJ (`cls.__new__(cls, *args)`). */
  call(fn: Value, args: Value[], machine: PickleMachine): Value;
  /** BUILD (`obj.__setstate__(state)`); returns nothing, may ignore the state. */
  build(obj: Value, state: Value, machine: PickleMachine): void;
  /** BINPERSID / PERSID. */
  persistentLoad(pid: Value): Value;
}

/** Limits that keep a hostile file from costing much. */
const MAX_INT_BYTES = 1024;

/** Helpers the hooks use to make and recognise containers. */
export class PickleMachine {
  private readonly dicts = new WeakSet<object>();

  /** A fresh dict. */
  newDict(): { [key: string]: Value } {
    const d: { [key: string]: Value } = {};
    this.dicts.add(d);
    return d;
  }

  isDict(v: Value): v is { [key: string]: Value } {
    return typeof v === 'object' && v !== null && this.dicts.has(v);
  }

  /** `d[key] = value` with Python's key types mapped to strings; `__proto__` stays an own key. */
  setItem(d: { [key: string]: Value }, key: Value, value: Value): void {
    let k: string;
    if (typeof key === 'string') k = key;
    else if (typeof key === 'number' || typeof key === 'bigint') k = String(key);
    else if (typeof key === 'boolean') k = key ? 'True' : 'False';
    else if (key === null) k = 'None';
    else throw new FormatError('pickle: dict keys must be strings, numbers, booleans or None');
    Object.defineProperty(d, k, { value, enumerable: true, writable: true, configurable: true });
  }
}

class Reader {
  pos = 0;
  private readonly dv: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.bytes.length) {
      throw new FormatError(`pickle: ${what} needs ${n} bytes at offset ${this.pos}, but the pickle ends at ${this.bytes.length} (truncated?)`);
    }
  }
  /** Step over `n` bytes (`what` names them if the pickle ends first) and return where they start. */
  private advance(n: number, what: string): number {
    this.need(n, what);
    const at = this.pos;
    this.pos += n;
    return at;
  }
  u8(): number {
    return this.bytes[this.advance(1, 'an opcode argument')];
  }
  u16(): number {
    return this.dv.getUint16(this.advance(2, 'a 2-byte argument'), true);
  }
  u32(): number {
    return this.dv.getUint32(this.advance(4, 'a 4-byte argument'), true);
  }
  i32(): number {
    return this.dv.getInt32(this.advance(4, 'a 4-byte argument'), true);
  }
  u64(): number {
    const at = this.advance(8, 'an 8-byte argument');
    const v = this.dv.getBigUint64(at, true);
    if (v > BigInt(this.bytes.length)) throw new FormatError(`pickle: length ${v} at offset ${at} is past the end of the pickle`);
    return Number(v);
  }
  f64be(): number {
    return this.dv.getFloat64(this.advance(8, 'a float'), false);
  }
  take(n: number, what: string): Uint8Array {
    const at = this.advance(n, what);
    return this.bytes.subarray(at, at + n);
  }
  line(what: string): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw new FormatError(`pickle: ${what} at offset ${this.pos} has no terminating newline (truncated?)`);
    const s = latin1(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * UTF-8 as Python's pickle decodes it (`str(data, 'utf-8', 'surrogatepass')`): invalid bytes
 * are refused with Python's message, and encoded surrogates (ED A0..BF xx) become lone
 * surrogates instead of an error. The fast path is the platform's strict decoder.
 */
export function decodeUtf8Pickle(b: Uint8Array, what: string): string {
  try {
    return utf8.decode(b);
  } catch {
    // invalid for a strict decoder: either a surrogate (allowed here) or a real error below
  }
  const units: number[] = [];
  let out = '';
  const fail = (i: number, reason: string): never => {
    throw new FormatError(`pickle: ${what} is not valid UTF-8 ('utf-8' codec can't decode byte 0x${b[i].toString(16).padStart(2, '0')} in position ${i}: ${reason})`);
  };
  let start = 0;
  const cont = (i: number): number => {
    if (i >= b.length) fail(start, 'unexpected end of data');
    const c = b[i];
    if ((c & 0xc0) !== 0x80) fail(start, 'invalid continuation byte');
    return c & 0x3f;
  };
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    start = i;
    let cp: number;
    if (c < 0x80) {
      cp = c;
      i += 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
      cp = ((c & 0x1f) << 6) | cont(i + 1);
      i += 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      const c1 = i + 1 < b.length ? b[i + 1] : -1;
      // Overlong forms (E0 80..9F) are refused; surrogates (ED A0..BF) pass, as surrogatepass allows.
      if (c === 0xe0 && c1 >= 0 && c1 < 0xa0) fail(i, 'invalid continuation byte');
      cp = ((c & 0x0f) << 12) | (cont(i + 1) << 6) | cont(i + 2);
      i += 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
      const c1 = i + 1 < b.length ? b[i + 1] : -1;
      if ((c === 0xf0 && c1 >= 0 && c1 < 0x90) || (c === 0xf4 && c1 >= 0x90)) fail(i, 'invalid continuation byte');
      cp = ((c & 0x07) << 18) | (cont(i + 1) << 12) | (cont(i + 2) << 6) | cont(i + 3);
      i += 4;
    } else {
      return fail(i, 'invalid start byte');
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    } else units.push(cp);
    if (units.length >= 4096) {
      out += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  return out + String.fromCharCode(...units);
}

/** Little-endian two's-complement integer of `b.length` bytes (LONG1/LONG4). */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  if (b.length > MAX_INT_BYTES) throw new FormatError(`pickle: a ${b.length}-byte integer is refused (limit ${MAX_INT_BYTES})`);
  let hex = '';
  for (let i = b.length - 1; i >= 0; i--) hex += b[i].toString(16).padStart(2, '0');
  let v = BigInt(`0x${hex}`);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return shrink(v);
}

function shrink(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function parseIntText(s: string, what: string): number | bigint {
  const t = s.endsWith('L') ? s.slice(0, -1) : s;
  if (!/^[-+]?\d{1,2000}$/.test(t)) throw new FormatError(`pickle: ${what} ${JSON.stringify(s.slice(0, 40))} is not an integer`);
  return shrink(BigInt(t));
}

function index(v: number | bigint, what: string): number {
  if (typeof v !== 'number' || v < 0) throw new FormatError(`pickle: ${what} index ${v} is invalid`);
  return v;
}

/** Python string literal body of protocol-0 STRING (`'abc'` with escapes); kept simple: quotes stripped, escapes refused. */
function stringLiteral(s: string): string {
  const q = s[0];
  if ((q !== "'" && q !== '"') || s.length < 2 || s[s.length - 1] !== q || s.slice(1, -1).includes('\\')) {
    throw new FormatError('pickle: protocol-0 STRING literal is malformed or uses escapes, which are not read');
  }
  return s.slice(1, -1);
}

/**
 * Run the pickle in `bytes` with `hooks` deciding what globals mean. Returns the value at STOP
 * after checking that no opaque value is left in it.
 */
export function unpickle(bytes: Uint8Array, hooks: PickleHooks): PickleValue {
  return unpickleFrom(bytes, 0, hooks).value;
}

/**
 * Run the pickle that starts at `bytes[start]` (files like PyTorch's legacy format hold several
 * pickles back to back); returns the value and the offset just past its STOP.
 */
export function unpickleFrom(bytes: Uint8Array, start: number, hooks: PickleHooks): { value: PickleValue; end: number } {
  const r = new Reader(bytes);
  r.pos = start;
  const m = new PickleMachine();
  let stack: Value[] = [];
  const metastack: Value[][] = [];
  const memo = new Map<number, Value>();
  const sets = new WeakSet<Value[]>();

  const pop = (what: string): Value => {
    if (stack.length === 0) throw new FormatError(`pickle: ${what} at offset ${r.pos - 1} found an empty stack`);
    return stack.pop()!;
  };
  const top = (what: string): Value => {
    if (stack.length === 0) throw new FormatError(`pickle: ${what} at offset ${r.pos - 1} found an empty stack`);
    return stack[stack.length - 1];
  };
  const popMark = (what: string): Value[] => {
    const items = stack;
    const prev = metastack.pop();
    if (prev === undefined) throw new FormatError(`pickle: ${what} at offset ${r.pos - 1} has no MARK`);
    stack = prev;
    return items;
  };
  const list = (v: Value, what: string): Value[] => {
    if (!Array.isArray(v)) throw new FormatError(`pickle: ${what} on something that is not a list`);
    return v;
  };
  const dict = (v: Value, what: string): { [key: string]: Value } => {
    if (!m.isDict(v)) throw new FormatError(`pickle: ${what} on something that is not a dict`);
    return v;
  };
  const setItems = (d: Value, items: Value[], what: string): void => {
    const target = dict(d, what);
    if (items.length % 2 !== 0) throw new FormatError(`pickle: ${what} has an odd number of items`);
    for (let i = 0; i < items.length; i += 2) m.setItem(target, items[i], items[i + 1]);
  };
  const getMemo = (i: number): Value => {
    const v = memo.get(i);
    if (v === undefined) throw new FormatError(`pickle: memo entry ${i} is read before it is written`);
    return v;
  };
  const putMemo = (i: number): void => {
    memo.set(i, top('PUT'));
  };

  for (;;) {
    const op = r.u8();
    switch (op) {
      case 0x80: { // PROTO
        const proto = r.u8();
        if (proto > 5) throw new FormatError(`pickle: protocol ${proto} is newer than 5`);
        break;
      }
      case 0x95: // FRAME: a length hint only
        r.u64();
        break;
      case 0x2e: { // STOP
        const result = pop('STOP');
        return { value: finish(result), end: r.pos };
      }
      case 0x28: // MARK
        metastack.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        pop('POP');
        break;
      case 0x31: // POP_MARK
        popMark('POP_MARK');
        break;
      case 0x32: // DUP
        stack.push(top('DUP'));
        break;
      // ---- constants and numbers
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(r.u8()); break; // BININT1
      case 0x4d: stack.push(r.u16()); break; // BININT2
      case 0x4a: stack.push(r.i32()); break; // BININT
      case 0x8a: stack.push(decodeLong(r.take(r.u8(), 'LONG1'))); break; // LONG1
      case 0x8b: { // LONG4
        const n = r.i32();
        if (n < 0) throw new FormatError('pickle: LONG4 has a negative length');
        stack.push(decodeLong(r.take(n, 'LONG4')));
        break;
      }
      case 0x49: { // INT (protocol 0; "01"/"00" are True/False)
        const s = r.line('INT');
        stack.push(s === '01' ? true : s === '00' ? false : parseIntText(s, 'INT'));
        break;
      }
      case 0x4c: stack.push(parseIntText(r.line('LONG'), 'LONG')); break; // LONG
      case 0x47: stack.push(r.f64be()); break; // BINFLOAT
      case 0x46: { // FLOAT
        const s = r.line('FLOAT');
        const v = /^[-+]?inf$/i.test(s) ? (s.startsWith('-') ? -Infinity : Infinity) : Number(s);
        if (s.trim() === '' || (Number.isNaN(v) && !/^[-+]?nan$/i.test(s))) throw new FormatError(`pickle: FLOAT ${JSON.stringify(s.slice(0, 40))} is not a number`);
        stack.push(v);
        break;
      }
      // ---- strings and bytes
      case 0x58: stack.push(decodeUtf8Pickle(r.take(r.u32(), 'BINUNICODE'), `the BINUNICODE ending at offset ${r.pos}`)); break; // BINUNICODE
      case 0x8c: stack.push(decodeUtf8Pickle(r.take(r.u8(), 'SHORT_BINUNICODE'), `the SHORT_BINUNICODE ending at offset ${r.pos}`)); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(decodeUtf8Pickle(r.take(r.u64(), 'BINUNICODE8'), `the BINUNICODE8 ending at offset ${r.pos}`)); break; // BINUNICODE8
      case 0x56: stack.push(r.line('UNICODE')); break; // UNICODE (raw-unicode-escape; ASCII read as is)
      case 0x55: stack.push(latin1(r.take(r.u8(), 'SHORT_BINSTRING'))); break; // SHORT_BINSTRING (Python 2 str)
      case 0x54: { // BINSTRING
        const n = r.i32();
        if (n < 0) throw new FormatError('pickle: BINSTRING has a negative length');
        stack.push(latin1(r.take(n, 'BINSTRING')));
        break;
      }
      case 0x53: stack.push(stringLiteral(r.line('STRING'))); break; // STRING
      case 0x43: stack.push(r.take(r.u8(), 'SHORT_BINBYTES').slice()); break; // SHORT_BINBYTES
      case 0x42: stack.push(r.take(r.u32(), 'BINBYTES').slice()); break; // BINBYTES
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(r.take(r.u64(), 'BINBYTES8').slice());
        break;
      // ---- containers
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x7d: stack.push(m.newDict()); break; // EMPTY_DICT
      case 0x8f: { // EMPTY_SET
        const s: Value[] = [];
        sets.add(s);
        stack.push(s);
        break;
      }
      case 0x85: stack.push([pop('TUPLE1')]); break; // TUPLE1
      case 0x86: { // TUPLE2
        const b = pop('TUPLE2');
        const a = pop('TUPLE2');
        stack.push([a, b]);
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop('TUPLE3');
        const b = pop('TUPLE3');
        const a = pop('TUPLE3');
        stack.push([a, b, c]);
        break;
      }
      case 0x74: // TUPLE
      case 0x6c: // LIST
      case 0x91: { // FROZENSET
        // popMark replaces `stack`, so take the items before naming the stack to push to.
        const items = popMark(op === 0x74 ? 'TUPLE' : op === 0x6c ? 'LIST' : 'FROZENSET');
        stack.push(items);
        break;
      }
      case 0x64: { // DICT
        const items = popMark('DICT');
        const d = m.newDict();
        setItems(d, items, 'DICT');
        stack.push(d);
        break;
      }
      case 0x61: { // APPEND
        const v = pop('APPEND');
        list(top('APPEND'), 'APPEND').push(v);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark('APPENDS');
        const target = list(top('APPENDS'), 'APPENDS');
        for (const v of items) target.push(v);
        break;
      }
      case 0x90: { // ADDITEMS
        const items = popMark('ADDITEMS');
        const target = list(top('ADDITEMS'), 'ADDITEMS');
        if (!sets.has(target)) throw new FormatError('pickle: ADDITEMS on something that is not a set');
        for (const v of items) target.push(v);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop('SETITEM');
        const k = pop('SETITEM');
        m.setItem(dict(top('SETITEM'), 'SETITEM'), k, v);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark('SETITEMS');
        setItems(top('SETITEMS'), items, 'SETITEMS');
        break;
      }
      // ---- memo
      case 0x71: putMemo(r.u8()); break; // BINPUT
      case 0x72: putMemo(r.u32()); break; // LONG_BINPUT
      case 0x70: putMemo(index(parseIntText(r.line('PUT'), 'PUT'), 'PUT')); break; // PUT
      case 0x94: putMemo(memo.size); break; // MEMOIZE
      case 0x68: stack.push(getMemo(r.u8())); break; // BINGET
      case 0x6a: stack.push(getMemo(r.u32())); break; // LONG_BINGET
      case 0x67: stack.push(getMemo(index(parseIntText(r.line('GET'), 'GET'), 'GET'))); break; // GET
      // ---- the code-shaped opcodes, all routed through the hooks
      case 0x63: { // GLOBAL "module\nname\n"
        const module = r.line('GLOBAL');
        const name = r.line('GLOBAL');
        stack.push(hooks.global(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop('STACK_GLOBAL');
        const module = pop('STACK_GLOBAL');
        if (typeof module !== 'string' || typeof name !== 'string') throw new FormatError('pickle: STACK_GLOBAL needs two strings');
        stack.push(hooks.global(module, name));
        break;
      }
      case 0x52: // REDUCE
      case 0x81: { // NEWOBJ
        const args = pop('REDUCE');
        const fn = pop('REDUCE');
        if (!Array.isArray(args)) throw new FormatError('pickle: REDUCE arguments are not a tuple');
        stack.push(hooks.call(fn, args, m));
        break;
      }
      case 0x62: { // BUILD
        const state = pop('BUILD');
        hooks.build(top('BUILD'), state, m);
        break;
      }
      case 0x51: stack.push(hooks.persistentLoad(pop('BINPERSID'))); break; // BINPERSID
      case 0x50: stack.push(hooks.persistentLoad(r.line('PERSID'))); break; // PERSID
      default: {
        const refused = new Map([
          [0x69, 'INST'], [0x6f, 'OBJ'], [0x92, 'NEWOBJ_EX'], [0x82, 'EXT1'], [0x83, 'EXT2'], [0x84, 'EXT4'], [0x97, 'NEXT_BUFFER'], [0x98, 'READONLY_BUFFER'],
        ]);
        const name = refused.get(op);
        throw new FormatError(
          name
            ? `pickle: opcode ${name} at offset ${r.pos - 1} is refused (it builds arbitrary objects)`
            : `pickle: unknown opcode 0x${op.toString(16).padStart(2, '0')} at offset ${r.pos - 1} (corrupt data?)`,
        );
      }
    }
  }
}

/** Check the loaded value holds no opaque object (walking shared and cyclic structure once). */
function finish(result: Value): PickleValue {
  const seen = new Set<object>();
  const todo: Value[] = [result];
  while (todo.length > 0) {
    const v = todo.pop()!;
    if (v instanceof Opaque) {
      throw new FormatError(`pickle: the result contains ${v.description}, which torchlet cannot return as data`);
    }
    if (v === null || typeof v !== 'object' || v instanceof Tensor || v instanceof Uint8Array || seen.has(v)) continue;
    seen.add(v);
    if (Array.isArray(v)) {
      for (const x of v) todo.push(x);
    } else {
      for (const x of Object.values(v)) todo.push(x);
    }
  }
  if (!isPickleValue(result)) throw new FormatError('pickle: unexpected value in the result');
  return result;
}

/** Type guard after `finish` has walked the value (shallow: the walk checked the rest). */
function isPickleValue(v: Value): v is PickleValue {
  return !(v instanceof Opaque);
}
