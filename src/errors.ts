/**
 * Typed errors. Each names the Python exception PyTorch raises in the same situation
 * (`pytorchType`), and its message keeps PyTorch's wording, followed by a hint for the
 * beginner's usual mistake where one applies.
 *
 * Every class is also `instanceof` the JavaScript built-in that matches PyTorch's exception, so
 * `catch (e) { if (e instanceof TypeError) ... }` works as a JS caller expects:
 *
 * | class               | JS built-in  | PyTorch raises                 | when                                          |
 * |---------------------|--------------|--------------------------------|-----------------------------------------------|
 * | `TorchletError`     | Error        | (any)                          | base: `instanceof` is true for every class    |
 * | `RuntimeError`      | Error        | RuntimeError                   | autograd misuse, anything else                |
 * | `ShapeError`        | Error        | RuntimeError                   | shapes that do not fit together               |
 * | `DTypeError`        | Error        | RuntimeError / ValueError      | a dtype mismatch between tensors              |
 * | `ValueError`        | Error        | ValueError                     | a bad argument value                          |
 * | `FormatError`       | Error        | RuntimeError                   | a malformed, truncated or hostile file        |
 * | `ArgumentTypeError` | TypeError    | TypeError                      | an argument of the wrong type                 |
 * | `OptionError`       | TypeError    | TypeError                      | an unknown option or an option's wrong type   |
 * | `IndexError`        | RangeError   | IndexError                     | a dim or an index out of range                |
 * | `SizeError`         | RangeError   | RuntimeError (out of memory)   | a size beyond the typed-array/memory limits   |
 *
 * The table is repeated in docs/errors.md.
 */

export type PyTorchErrorType = 'RuntimeError' | 'ValueError' | 'IndexError' | 'TypeError' | 'KeyError' | 'NotImplementedError';

/** The PyTorch exceptions that map to a plain JS `Error` (TypeError and IndexError have their own classes). */
export type PlainErrorType = Exclude<PyTorchErrorType, 'TypeError' | 'IndexError'>;

/** Marks every torchlet error, whatever built-in it extends (`Symbol.for`: two copies of the library agree). */
const BRAND: unique symbol = Symbol.for('torchlet.error') as never;

/** Name, PyTorch type and brand, set the same way by every class. */
function stamp(e: Error, name: string, pytorchType: PyTorchErrorType): void {
  e.name = name;
  Object.defineProperty(e, BRAND, { value: true });
  Object.defineProperty(e, 'pytorchType', { value: pytorchType, enumerable: true });
}

/**
 * Base class of every error torchlet throws on purpose. `e instanceof TorchletError` is true for
 * all of them, also for those that extend `TypeError` or `RangeError` (a brand checked by
 * `Symbol.hasInstance`; subclasses keep the ordinary prototype test).
 */
export class TorchletError extends Error {
  declare readonly pytorchType: PyTorchErrorType;
  constructor(message: string, pytorchType: PlainErrorType = 'RuntimeError') {
    super(message);
    stamp(this, new.target.name, pytorchType);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // Only the base answers by brand: `x instanceof ShapeError` stays the prototype-chain test.
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class instanceof was asked about (a subclass too)
    if (this !== TorchletError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as { [BRAND]?: boolean })[BRAND] === true;
  }
}

/** Shapes that do not fit together (PyTorch raises RuntimeError). */
export class ShapeError extends TorchletError {
  constructor(message: string, pytorchType: 'RuntimeError' | 'ValueError' = 'RuntimeError') {
    super(message, pytorchType);
  }
}

/** A bad argument value (PyTorch: ValueError). */
export class ValueError extends TorchletError {
  constructor(message: string) {
    super(message, 'ValueError');
  }
}

/**
 * A dtype mismatch between tensors (PyTorch: RuntimeError, or ValueError for the recurrent
 * layers' input check). An argument of the wrong type altogether is an `ArgumentTypeError`.
 */
export class DTypeError extends TorchletError {
  constructor(message: string, pytorchType: 'RuntimeError' | 'ValueError' = 'RuntimeError') {
    super(message, pytorchType);
  }
}

/** Anything else PyTorch reports as RuntimeError (autograd misuse, ...). */
export class RuntimeError extends TorchletError {
  constructor(message: string) {
    super(message, 'RuntimeError');
  }
}

/** A malformed, truncated or hostile file. */
export class FormatError extends TorchletError {
  constructor(message: string) {
    super(message, 'RuntimeError');
  }
}

/**
 * An argument of the wrong type: `forward(): argument 'input' (position 1) must be Tensor, not
 * number` (PyTorch: TypeError). `instanceof TypeError` and `instanceof TorchletError`.
 */
export class ArgumentTypeError extends TypeError {
  declare readonly pytorchType: PyTorchErrorType;
  constructor(message: string) {
    super(message);
    stamp(this, new.target.name, 'TypeError');
  }
}

/**
 * An options object that is not one: an unknown key ("unexpected option 'batch_first'; did you
 * mean 'batchFirst'?"), a value of the wrong type, or null/a non-object where options belong
 * (PyTorch: TypeError, as for an unexpected keyword argument). Thrown by `src/options.ts`.
 */
export class OptionError extends ArgumentTypeError {
  /** The offending key, when there is one. */
  readonly option: string | undefined;
  constructor(message: string, option?: string) {
    super(message);
    this.option = option;
  }
}

/** A dimension or index out of range (PyTorch: IndexError). `instanceof RangeError`. */
export class IndexError extends RangeError {
  declare readonly pytorchType: PyTorchErrorType;
  constructor(message: string) {
    super(message);
    stamp(this, new.target.name, 'IndexError');
  }
}

/**
 * A size or an amount of memory beyond what the engine can allocate, refused before anything is
 * allocated (PyTorch: RuntimeError "... can't allocate memory: you tried to allocate N bytes").
 * The same class everywhere: layers, creation ops and file loaders (whose message says how to
 * raise their `maxBytes` limit). Carries what was asked for. `instanceof RangeError`.
 */
export class SizeError extends RangeError {
  declare readonly pytorchType: PyTorchErrorType;
  /** Elements asked for, when known. */
  readonly elements: number | undefined;
  /** Bytes asked for, when known. */
  readonly bytes: number | undefined;
  constructor(message: string, asked: { elements?: number; bytes?: number } = {}) {
    super(message);
    stamp(this, new.target.name, 'RuntimeError');
    this.elements = asked.elements;
    this.bytes = asked.bytes;
  }
}

/**
 * A value's type as the messages name it, PyTorch-style but in JavaScript's words: `number`,
 * `string`, `boolean`, `null`, `undefined`, `array`, `function`, or the class name of an object
 * (`Tensor`, `Float32Array`, `PackedSequence`); `object` for plain objects.
 */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  const t = typeof v;
  if (t !== 'object') return t;
  const ctor = (v as { constructor?: { name?: unknown } }).constructor;
  const name = ctor && typeof ctor.name === 'string' ? ctor.name : '';
  return name && name !== 'Object' ? name : 'object';
}
