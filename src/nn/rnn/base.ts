/**
 * The base of the multi-layer recurrent layers. PyTorch: `torch.nn.RNNBase`.
 *
 * It owns the parameters (PyTorch's names, shapes, order and initialisation) and the ONE layer
 * runner shared by RNN, LSTM and GRU: a loop over layers and directions calling the `rnnLayer`
 * op (src/ops/rnn.ts), which runs a whole direction of a layer over a packed sequence through a
 * kernel. Every input form is brought to the packed layout first, so there is one path:
 * - (L, N, Hin): data = (L*N, Hin) rows, batchSizes = [N, N, ..., N];
 * - (N, L, Hin) with batchFirst: handed to the op as it is (`batchFirst`: the kernel reads the
 *   rows in place, every layer's output is (N, L, ·)); transposed to (L, N, Hin) first only when
 *   dropout runs between layers (its mask is drawn over the time-major output);
 * - (L, Hin) unbatched: N = 1, the batch dim added and removed again;
 * - a PackedSequence: its data and batchSizes as they are (states permuted with sortedIndices).
 */

import { noGrad } from '../../autograd/grad-mode.js';
import { ArgumentTypeError, RuntimeError, ShapeError, typeName, ValueError } from '../../errors.js';
import type { RnnMode } from '../../kernels/rnn.js';
import { gateCount } from '../../kernels/rnn.js';
import { uniform, zeros } from '../../ops/creation.js';
import { cat, indexSelect, stack } from '../../ops/join.js';
import { rnnLayers } from '../../ops/rnn.js';
import type { OptionsSchema, OptionsSpec } from '../../options.js';
import { defineOptions, opt } from '../../options.js';
import { narrow, reshape, squeezeDims, transpose, unsqueeze } from '../../ops/shape.js';
import type { DType, FloatDType } from '../../tensor/dtype.js';
import { isFloat } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import { dropout as dropoutFn } from '../functional/dropout.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { PackedSequence } from '../utils/packed.js';
import { checkDtype, checkHiddenSize, checkRecurrentInput, checkStates, checkInputSize, checkLayerOptions, pyFloat } from './checks.js';
import { checkAllocation } from '../../tensor/limits.js';
import { moduleTypeName } from '../type-name.js';

/** Options shared by `nn.RNN`, `nn.LSTM` and `nn.GRU` (PyTorch's keyword arguments, camelCase). */
export interface RNNBaseOptions {
  /** Number of stacked layers. Default 1. PyTorch: `num_layers`. */
  numLayers?: number;
  /** Whether the layers have `bias_ih`/`bias_hh`. Default true. */
  bias?: boolean;
  /** Input and output are (N, L, *) instead of (L, N, *); never applies to h/c. Default false. */
  batchFirst?: boolean;
  /**
   * Dropout probability on each layer's output except the last, in training only. Default 0.
   * PyTorch parity: same semantics, but the masks come from torchlet's generator, so a training
   * step with dropout does not reproduce PyTorch's numbers.
   */
  dropout?: number;
  /** Run a second, reversed direction; outputs are `[forward | reverse]`. Default false (1/0 accepted as in Python). */
  bidirectional?: boolean | 0 | 1;
  /** Parameter dtype. Default 'float32'. */
  dtype?: FloatDType;
}

/** The run-time check of `RNNBaseOptions` (see src/options.ts); each layer extends it. */
export const RNN_BASE_OPTIONS = defineOptions<RNNBaseOptions>('nn.RNNBase', {
  numLayers: opt.any, // checked by checkLayerOptions with PyTorch's message
  bias: opt.bool,
  batchFirst: opt.bool,
  dropout: opt.any, // checked by checkLayerOptions with PyTorch's message
  bidirectional: opt.flag,
  dtype: opt.string,
});

/** The sizes of the object form `new nn.LSTM({ inputSize, hiddenSize, ... })`, checked by checkLayerOptions. */
export const SIZE_OPTIONS: OptionsSpec<{ inputSize: number; hiddenSize: number }> = { inputSize: opt.any, hiddenSize: opt.any };

/**
 * @internal PyTorch's `reset_parameters()` of the recurrent layers and cells: every parameter from
 * U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)), drawn in float64 as PyTorch's generator does.
 */
export function resetUniform(module: Module, hiddenSize: number): void {
  const k = 1 / Math.sqrt(hiddenSize);
  noGrad(() => {
    for (const p of module.parameters()) p.copy_(uniform(p.shape, -k, k, { dtype: 'float64' }));
  });
}

/** Everything the base needs, resolved by the subclass constructors. */
export interface RNNBaseConfig {
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bias: boolean;
  batchFirst: boolean;
  dropout: number;
  bidirectional: boolean | 0 | 1;
  projSize: number;
  dtype: FloatDType;
}

/**
 * The (inputSize, hiddenSize, numLayers?, options?) or ({ inputSize, hiddenSize, ... }) forms,
 * with the options checked by `schema` (the object form by `initSchema`).
 */
export function resolveArgs<O extends RNNBaseOptions>(
  args: {
    inputSizeOrInit: number | (O & { inputSize: number; hiddenSize: number });
    hiddenSize: number | undefined;
    numLayersOrOptions: number | O | undefined;
    options: O | undefined;
  },
  schema: OptionsSchema<O>,
  initSchema: OptionsSchema<O & { inputSize: number; hiddenSize: number }>,
): O & { inputSize: number; hiddenSize: number } {
  const { inputSizeOrInit, hiddenSize, numLayersOrOptions, options } = args;
  if (typeof inputSizeOrInit === 'object' && inputSizeOrInit !== null) {
    const init = initSchema.parse(inputSizeOrInit);
    if (!('inputSize' in init) || !('hiddenSize' in init)) {
      throw new ArgumentTypeError(`${schema.owner}(): missing required argument${'inputSize' in init ? '' : " 'inputSize'"}${'hiddenSize' in init ? '' : " 'hiddenSize'"}`);
    }
    return init;
  }
  // The third argument is numLayers (PyTorch's third positional) or the options object.
  const third = numLayersOrOptions;
  if (third !== undefined && typeof third !== 'number' && (typeof third !== 'object' || third === null)) {
    throw new ArgumentTypeError(
      `${schema.owner}(): argument 'num_layers' (position 3) must be int or an options object, not ${typeName(third)}`,
    );
  }
  const opts = schema.parse(typeof third === 'object' ? third : options);
  if (typeof third === 'object' && options !== undefined) {
    throw new ArgumentTypeError(`${schema.owner}(): takes one options object, got a fourth argument (${typeName(options)})`);
  }
  const out = { ...opts, inputSize: inputSizeOrInit, hiddenSize: hiddenSize as number };
  if (typeof third === 'number') {
    if ('numLayers' in opts) throw new ArgumentTypeError(`${schema.owner}(): got multiple values for argument 'num_layers'`);
    out.numLayers = third;
  }
  return out;
}

/** The states as they flow through the runner: h (D*numLayers, B, Hout), c (D*numLayers, B, H) or null. */
interface States {
  h: Tensor;
  c: Tensor | null;
}

/** What RNN, LSTM and GRU share: options, parameters, forward over padded or packed input. PyTorch: `torch.nn.RNNBase`. */
export abstract class RNNBase extends Module {
  /** `RNNBase`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'RNNBase';
  /** PyTorch's mode string: 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU'. */
  readonly mode: RnnMode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  /** True when the layer runs both directions (D = 2). */
  readonly bidirectional: boolean;
  /** The LSTM projection size, 0 when off. */
  readonly projSize: number;
  /** The value passed as `bidirectional` (printed as given, like PyTorch's repr of `bidirectional=1`). */
  private readonly bidirectionalArg: boolean | 0 | 1;
  /** Parameter names per layer and direction. PyTorch: `_all_weights`. */
  private readonly weightNames: string[][] = [];

  /**
   * The parameters under PyTorch's attribute names: `lstm.weight_ih_l0`, `lstm.bias_hh_l1`,
   * `lstm.weight_hr_l0` (projections), `..._reverse` for the backward direction of a bidirectional
   * layer. Assigning a Parameter replaces the registered one. A name the layer does not have
   * (`bias_*` with `bias: false`, a layer past `numLayers`) reads as undefined.
   */
  [name: `${'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh' | 'weight_hr'}_l${number}`]: Parameter;
  [name: `${'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh' | 'weight_hr'}_l${number}_reverse`]: Parameter;

  protected constructor(mode: RnnMode, cfg: RNNBaseConfig) {
    super();
    checkLayerOptions(cfg);
    this.mode = mode;
    this.inputSize = cfg.inputSize;
    this.hiddenSize = cfg.hiddenSize;
    this.numLayers = cfg.numLayers;
    this.bias = cfg.bias;
    this.batchFirst = cfg.batchFirst;
    this.dropout = cfg.dropout;
    this.bidirectionalArg = cfg.bidirectional;
    this.bidirectional = Boolean(cfg.bidirectional);
    this.projSize = cfg.projSize;

    const G = gateCount(mode);
    const D = this.numDirections;
    const Hout = this.outputHiddenSize;
    // PyTorch's reset_parameters: every parameter U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)).
    const k = 1 / Math.sqrt(this.hiddenSize);
    const param = (shape: number[]) => new Parameter(uniform(shape, -k, k, { dtype: cfg.dtype }));
    // Refuse sizes beyond the engine's limits before any parameter is allocated (the largest
    // weights: weight_ih of layer 0 and of the layers above, weight_hh).
    const bytes = cfg.dtype === 'float64' ? 8 : 4;
    const H4 = G * this.hiddenSize;
    const biggest: [string, number][] = [
      ['weight_ih_l0', this.inputSize],
      ['weight_hh_l0', Hout],
      ...(this.numLayers > 1 ? ([['weight_ih_l1', Hout * D]] as [string, number][]) : []),
    ];
    for (const [name, cols] of biggest) {
      checkAllocation(H4 * cols, bytes, `${moduleTypeName(this)} parameter ${name} (${H4}, ${cols})`);
    }
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let dir = 0; dir < D; dir++) {
        const sfx = `_l${layer}${dir === 1 ? '_reverse' : ''}`;
        const layerInput = layer === 0 ? this.inputSize : Hout * D;
        const names = [`weight_ih${sfx}`, `weight_hh${sfx}`];
        this.registerParameter(names[0], param([G * this.hiddenSize, layerInput]));
        this.registerParameter(names[1], param([G * this.hiddenSize, Hout]));
        if (this.bias) {
          names.push(`bias_ih${sfx}`, `bias_hh${sfx}`);
          this.registerParameter(`bias_ih${sfx}`, param([G * this.hiddenSize]));
          this.registerParameter(`bias_hh${sfx}`, param([G * this.hiddenSize]));
        }
        if (this.projSize > 0) {
          names.push(`weight_hr${sfx}`);
          this.registerParameter(`weight_hr${sfx}`, param([this.projSize, this.hiddenSize]));
        }
        this.weightNames.push(names);
        for (const name of names) exposeParameter(this, name);
      }
    }
  }

  /** D: 2 when bidirectional, else 1. */
  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** Hout: projSize when the LSTM projects, else hiddenSize. */
  get outputHiddenSize(): number {
    return this.projSize > 0 ? this.projSize : this.hiddenSize;
  }

  /** The parameters per layer and direction, in registration order. PyTorch: `all_weights`. */
  get allWeights(): Parameter[][] {
    return this.weightNames.map((names) => names.map((n) => this.param(n)));
  }

  /** PyTorch: `flatten_parameters()`: a no-op (it only matters for cuDNN). */
  flattenParameters(): void {}

  /** PyTorch: `reset_parameters()`: redraw every parameter from U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)). */
  resetParameters(): void {
    resetUniform(this, this.hiddenSize);
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.projSize !== 0) s += `, proj_size=${this.projSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (this.bias !== true) s += ', bias=False';
    if (this.batchFirst !== false) s += ', batch_first=True';
    if (this.dropout !== 0) s += `, dropout=${pyFloat(this.dropout)}`;
    const b = this.bidirectionalArg;
    if (b !== false) s += `, bidirectional=${b === true ? 'True' : b}`;
    return s;
  }

  private param(name: string): Parameter {
    const p = this._parameters.get(name);
    if (!p) throw new ValueError(`${moduleTypeName(this)} has no parameter ${name}`);
    return p;
  }

  /**
   * The type of the recurrent state this layer takes and returns: `Tensor` (h) for RNN and GRU,
   * `[Tensor, Tensor]` (h, c) for the LSTM. Type-level only.
   */
  declare readonly stateType: Tensor | [Tensor, Tensor];

  /**
   * Run the layer. RNN and GRU: `forward(input, h0?)` returns `[output, hN]`; LSTM:
   * `forward(input, [h0, c0]?)` returns `[output, [hN, cN]]`. Packed input gives packed output.
   * Declared once here (not per subclass) so that a layer chosen by name,
   * `new nn[rnnType](...)` with `rnnType: 'RNN' | 'LSTM' | 'GRU'`, can be called directly.
   */
  forward<S extends RNNBase>(this: S, input: Tensor, hx?: S['stateType'] | null): [Tensor, S['stateType']];
  forward<S extends RNNBase>(this: S, input: PackedSequence, hx?: S['stateType'] | null): [PackedSequence, S['stateType']];
  forward<S extends RNNBase>(
    this: S,
    input: Tensor | PackedSequence,
    hx?: S['stateType'] | null,
  ): [Tensor | PackedSequence, S['stateType']];
  forward(input: Tensor | PackedSequence, hx?: Tensor | readonly Tensor[] | null): [Tensor | PackedSequence, Tensor | [Tensor, Tensor]] {
    checkRecurrentInput(input, this.errorName, true);
    const states = checkStates(hx, this.errorName, this.mode === 'LSTM');
    const r = this.runForward(input, states);
    return [r.output, r.c ? [r.h, r.c] : r.h];
  }

  /** The name PyTorch puts in front of the 2D/3D message. */
  protected abstract get errorName(): string;

  /**
   * The shared forward: validates as PyTorch does, brings the input to the packed layout, runs
   * the stack, and restores the caller's layout. `hx` is [h0] or [h0, c0] (LSTM) or null.
   */
  private runForward(
    input: Tensor | PackedSequence,
    hx: readonly Tensor[] | null,
  ): { output: Tensor | PackedSequence; h: Tensor; c: Tensor | null } {
    const lstm = this.mode === 'LSTM';
    const D = this.numDirections;
    const Hout = this.outputHiddenSize;
    const weight = this.param('weight_ih_l0');

    if (input instanceof PackedSequence) {
      const data = input.data;
      checkDtype(data, weight);
      if (data.ndim !== 2) throw new ShapeError(`input must have 2 dimensions, got ${data.ndim}`);
      checkInputSize(data.shape, this.inputSize, false);
      const batchSizes = input.batchSizesArray();
      const B = batchSizes[0] ?? 0;
      // PyTorch parity: PyTorch's LSTM skips these state checks on packed input (errors then come
      // from inside the matmul); torchlet checks the states of every layer type.
      const states = this.initialStates(hx, B, data.dtype, null);
      const sorted = input.sortedIndices;
      const permuted: States = sorted
        ? { h: indexSelect(states.h, 1, sorted), c: states.c ? indexSelect(states.c, 1, sorted) : null }
        : states;
      const res = this.runStack(data, batchSizes, permuted);
      const unsorted = input.unsortedIndices;
      return {
        output: new PackedSequence(res.output, input.batchSizes, input.sortedIndices, input.unsortedIndices),
        h: unsorted ? indexSelect(res.h, 1, unsorted) : res.h,
        c: res.c && unsorted ? indexSelect(res.c, 1, unsorted) : res.c,
      };
    }

    if (input.ndim !== 2 && input.ndim !== 3) {
      throw new ValueError(
        `${this.errorName}: Expected input to be 2D or 3D, got ${input.ndim}D${this.mode.startsWith('RNN') ? ' tensor' : ''} instead`,
      );
    }
    const batched = input.ndim === 3;
    if (hx) {
      const want = batched ? 3 : 2;
      if (lstm && (hx[0].ndim !== want || hx[1].ndim !== want)) {
        throw new ShapeError(
          `For ${batched ? 'batched 3-D' : 'unbatched 2-D'} input, hx and cx should also be ${want}-D but got (${hx[0].ndim}-D, ${hx[1].ndim}-D) tensors`,
        );
      }
      if (!lstm && hx[0].ndim !== want) {
        throw new ShapeError(
          `For ${batched ? 'batched 3-D' : 'unbatched 2-D'} input, hx should also be ${want}-D but got ${hx[0].ndim}-D tensor`,
        );
      }
    }
    checkDtype(input, weight);
    checkInputSize(input.shape, this.inputSize, this.batchFirst && batched);
    // Batch-first rows go to the layers as they are, unless dropout draws masks between layers
    // (over time-major rows, as it always has).
    const direct = this.batchFirst && !(this.dropout > 0 && this.training && this.numLayers > 1);
    const batchDim = this.batchFirst ? 0 : 1;
    const x3 = batched ? input : unsqueeze(input, batchDim);
    const xt = this.batchFirst && !direct ? transpose(x3, 0, 1) : x3;
    const [L, N] = direct ? [xt.shape[1], xt.shape[0]] : [xt.shape[0], xt.shape[1]];
    const hx3 = hx && !batched ? hx.map((t) => unsqueeze(t, 1)) : hx;
    const states = this.initialStates(hx3, N, input.dtype, batched ? input.shape : null);
    const batchSizes = new Int32Array(L).fill(N);
    const res = this.runStack(direct ? xt : reshape(xt, [L * N, this.inputSize]), batchSizes, states, direct);
    let output = direct ? res.output : reshape(res.output, [L, N, D * Hout]);
    if (this.batchFirst && !direct) output = transpose(output, 0, 1);
    if (!batched) {
      return {
        output: squeezeDims(output, [batchDim]),
        h: squeezeDims(res.h, [1]),
        c: res.c ? squeezeDims(res.c, [1]) : null,
      };
    }
    return { output, h: res.h, c: res.c };
  }

  /** Given states checked against (D*numLayers, B, Hout) / (…, H), or zeros of those shapes. */
  private initialStates(hx: readonly Tensor[] | null, B: number, dtype: DType, inputShape: readonly number[] | null): States {
    const D = this.numDirections;
    const expectedH: [number, number, number] = [D * this.numLayers, B, this.outputHiddenSize];
    const expectedC: [number, number, number] = [D * this.numLayers, B, this.hiddenSize];
    const lstm = this.mode === 'LSTM';
    if (!hx) {
      return {
        h: zeros(expectedH, { dtype: isFloat(dtype) ? dtype : 'float32' }),
        c: lstm ? zeros(expectedC, { dtype: isFloat(dtype) ? dtype : 'float32' }) : null,
      };
    }
    const ctx = { inputShape, batchFirst: this.batchFirst, numLayers: this.numLayers, directions: D };
    checkHiddenSize(hx[0], expectedH, lstm ? 'hidden[0]' : 'hidden', ctx);
    if (lstm) checkHiddenSize(hx[1], expectedC, 'hidden[1]', ctx);
    return { h: hx[0], c: lstm ? hx[1] : null };
  }

  /**
   * The layer runner, written once for every mode: for each layer, each direction runs over the
   * packed rows through `rnnLayer`; the directions' outputs are joined `[forward | reverse]` on
   * the feature dim and feed the next layer, through dropout in training except after the last
   * layer (PyTorch's `apply_layer_stack`). Final states are stacked in `layer*D + direction` order.
   * With `batchFirst`, `data` and every layer's output are (N, L, ·) (every batch size N).
   */
  private runStack(data: Tensor, batchSizes: Int32Array, states: States, batchFirst = false): { output: Tensor; h: Tensor; c: Tensor | null } {
    if (batchSizes.length === 0) throw new RuntimeError('Expected sequence length to be larger than 0 in RNN');
    const D = this.numDirections;
    const B = batchSizes[0];
    const hs: Tensor[] = [];
    const cs: Tensor[] = [];
    let layerInput = data;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const dirs = Array.from({ length: D }, (_, dir) => {
        const idx = layer * D + dir;
        const sfx = `_l${layer}${dir === 1 ? '_reverse' : ''}`;
        const named = (n: string): Parameter | null => (this._parameters.get(`${n}${sfx}`) ?? null);
        return {
          mode: this.mode,
          input: layerInput,
          batchSizes,
          weights: {
            wIh: this.param(`weight_ih${sfx}`),
            wHh: this.param(`weight_hh${sfx}`),
            bIh: named('bias_ih'),
            bHh: named('bias_hh'),
            wHr: named('weight_hr'),
          },
          h0: reshape(narrow(states.h, 0, idx, 1), [B, this.outputHiddenSize]),
          c0: states.c ? reshape(narrow(states.c, 0, idx, 1), [B, this.hiddenSize]) : null,
          reverse: dir === 1,
          batchFirst,
        };
      });
      // Both directions in one call: a kernel may run them side by side (one per thread).
      const outs: Tensor[] = [];
      const res = rnnLayers(dirs);
      for (const [y, h, c] of res.dirs) {
        if (y) outs.push(y);
        hs.push(h);
        if (c) cs.push(c);
      }
      let out = res.joined ?? (D === 2 ? cat(outs, -1) : outs[0]);
      if (this.dropout > 0 && this.training && layer < this.numLayers - 1) out = dropoutFn(out, this.dropout, true);
      layerInput = out;
    }
    return { output: layerInput, h: stack(hs, 0), c: cs.length > 0 ? stack(cs, 0) : null };
  }
}

/**
 * Make `module[name]` read the registered parameter and assigning a Parameter re-register it,
 * as PyTorch's attribute access to `_parameters` does.
 */
function exposeParameter(module: Module, name: string): void {
  Object.defineProperty(module, name, {
    configurable: true,
    // Not enumerable: like PyTorch's, the parameters live in the module's registry, not its own keys.
    enumerable: false,
    get: () => module.getParameter(name),
    set: (p: unknown) => {
      if (!(p instanceof Parameter)) {
        throw new ArgumentTypeError(
          `cannot assign '${p === null ? 'None' : typeof p}' as parameter '${name}' (torch.nn.Parameter or None expected)`);
      }
      module.registerParameter(name, p);
    },
  });
}
