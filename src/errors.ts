/**
 * Typed errors. Each names the Python exception PyTorch raises in the same situation
 * (`pytorchType`), and its message keeps PyTorch's wording, followed by a hint for the
 * beginner's usual mistake where one applies.
 */

export type PyTorchErrorType = 'RuntimeError' | 'ValueError' | 'IndexError' | 'TypeError' | 'KeyError' | 'NotImplementedError';

/** Base class of every error torchlet throws on purpose. */
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

/** A malformed, truncated or hostile file. */
export class FormatError extends TorchletError {
  constructor(message: string) {
    super(message, 'RuntimeError');
  }
}
