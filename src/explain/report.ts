/**
 * The types of `torch.explain`'s report: a plain, JSON-serialisable object (no Tensors), so the
 * CLI can print it with `--json` and the playground can draw it.
 *
 * Shapes carry both PyTorch's symbolic names (the letters of `torch.nn.LSTM`'s docs) and the
 * numbers: `[{ sym: 'N', size: 32 }, { sym: 'L', size: 100 }, { sym: 'Hin', size: 60 }]` prints as
 * `(N=32, L=100, Hin=60)`.
 */

/** One dimension: its symbolic name (N, L, Hin, D*Hout, 4*Hcell, ...) and its size. */
export interface Dim {
  readonly sym: string;
  readonly size: number;
}

/** A tensor going in or out: its role (input, h0, output, hN, ...), dims, and where it comes from. */
export interface TensorInfo {
  readonly name: string;
  readonly dims: readonly Dim[];
  /** Where the value comes from or what its layout means ("zeros: h0 not given"). */
  readonly note?: string;
}

/** A parameter: PyTorch's name, shape (with symbols) and element count. */
export interface ParamInfo {
  readonly name: string;
  readonly dims: readonly Dim[];
  readonly count: number;
}

/**
 * FLOPs (multiply and add counted separately) and activation memory in bytes. Estimates, by the
 * formulas in `docs/explain.md`: a training step is forward + backward ≈ 3× inference; `noGrad`
 * memory is what one forward holds at its peak, `grad` what the graph keeps for backward.
 */
export interface Cost {
  readonly flops: { readonly inference: number; readonly trainingStep: number };
  readonly activationBytes: { readonly noGrad: number; readonly grad: number };
}

/** One row of the report: a module, or inside a recurrent stack one layer and direction. */
export interface ExplainNode {
  /** The module's dotted name ('' for the root), or `lstm/l0_reverse` for a layer and direction. */
  readonly path: string;
  readonly kind: 'module' | 'direction';
  /** The class name, or e.g. 'layer 0 reverse'. */
  readonly type: string;
  /** PyTorch's repr line (`LSTM(60, 20, batch_first=True)`), or a description for a direction. */
  readonly repr: string;
  readonly depth: number;
  /** False for a registered submodule the forward never called. */
  readonly called: boolean;
  /** True when this module throws on its input (the report's `error` says why). */
  readonly failed?: boolean;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** This module's own parameters (not its children's). */
  readonly params: readonly ParamInfo[];
  readonly cost?: Cost;
}

/** A classic slip and its fix. */
export interface ExplainWarning {
  readonly code:
    | 'batch-first-states'
    | 'dropout-single-layer'
    | 'conv-before-rnn'
    | 'transposed-input'
    | 'bidirectional-last-step'
    | 'packed-enforce-sorted'
    | 'packed-final-states';
  /** Which module it is about. */
  readonly path: string;
  readonly message: string;
  readonly fix: string;
}

/** What `torch.explain` returns. */
export interface ExplainReport {
  /** The report format's version (this is 1). */
  readonly version: 1;
  /** The root module's repr, first line. */
  readonly model: string;
  readonly input: TensorInfo;
  readonly nodes: readonly ExplainNode[];
  readonly totals: {
    readonly params: number;
    readonly paramBytes: number;
  } & Cost;
  readonly warnings: readonly ExplainWarning[];
  /** Set when the module cannot run on this input: the error it throws (PyTorch's wording). */
  readonly error?: string;
  /** The meaning of each symbol used. */
  readonly legend: Readonly<Record<string, string>>;
}

/** The legend of every symbol a report may use (PyTorch's docs' letters). */
export const LEGEND: Readonly<Record<string, string>> = {
  N: 'batch size',
  L: 'sequence length (time steps)',
  Hin: 'input features per step (input_size)',
  Hcell: 'hidden size (hidden_size; the LSTM cell state c)',
  Hout: 'output features per direction (proj_size if set, else hidden_size)',
  Hproj: 'the LSTM projection size (proj_size)',
  D: 'directions: 2 if bidirectional, else 1',
  C: 'channels (Conv1d)',
  'sum(lengths)': 'the packed rows: one per element of every sequence',
};
