/**
 * Typed errors. Each names the Python exception PyTorch raises in the same situation
 * (`pytorchType`), and its message keeps PyTorch's wording, followed by a hint for the
 * beginner's usual mistake where one applies.
 */

export type PyTorchErrorType = 'RuntimeError' | 'ValueError' | 'IndexError' | 'TypeError' | 'KeyError' | 'NotImplementedError';

/** Base class of every error torchlet throws on purpose. No PyTorch twin (`pytorchType` names the Python exception). */
export class TorchletError extends Error {
  readonly pytorchType: PyTorchErrorType;
  constructor(message: string, pytorchType: PyTorchErrorType = 'RuntimeError') {
    super(message);
    this.name = new.target.name;
    this.pytorchType = pytorchType;
  }
}

/** Shapes that do not fit together (PyTorch raises RuntimeError). */
export class ShapeError extends TorchletError {
  constructor(message: string, pytorchType: PyTorchErrorType = 'RuntimeError') {
    super(message, pytorchType);
  }
}

/** A dimension or index out of range (PyTorch: IndexError). */
export class IndexError extends TorchletError {
  constructor(message: string) {
    super(message, 'IndexError');
  }
}

/** A bad argument value (PyTorch: ValueError). */
export class ValueError extends TorchletError {
  constructor(message: string) {
    super(message, 'ValueError');
  }
}

/** A wrong dtype or argument type (PyTorch: TypeError, or RuntimeError for dtype mismatches). */
export class DTypeError extends TorchletError {
  constructor(message: string, pytorchType: PyTorchErrorType = 'RuntimeError') {
    super(message, pytorchType);
  }
}

/** Anything else PyTorch reports as RuntimeError (autograd misuse, ...). */
export class RuntimeError extends TorchletError {
  constructor(message: string) {
    super(message, 'RuntimeError');
  }
}

/** A malformed, truncated or hostile file. PyTorch: the `RuntimeError` / `UnpicklingError` of `torch.load`. */
export class FormatError extends TorchletError {
  constructor(message: string) {
    super(message, 'RuntimeError');
  }
}

/**
 * A size or an amount of memory beyond what the engine can allocate, refused before anything is
 * allocated (PyTorch: RuntimeError "... not enough memory" / "Trying to create tensor with negative
 * dimension"). The same class everywhere: layers, creation ops and file loaders (whose message says
 * how to raise their `maxBytes` limit). Carries what was asked for.
 *
 * The strict-boundary work (issue 12) may make it also `instanceof RangeError`; its name, import
 * path and constructor stay as here.
 */
export class SizeError extends TorchletError {
  /** Elements asked for, when known. */
  readonly elements: number | undefined;
  /** Bytes asked for, when known. */
  readonly bytes: number | undefined;
  constructor(message: string, asked: { elements?: number; bytes?: number } = {}) {
    super(message, 'RuntimeError');
    this.elements = asked.elements;
    this.bytes = asked.bytes;
  }
}
