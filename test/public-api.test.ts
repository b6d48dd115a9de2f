/**
 * `torch.*` (src/index.ts) exports the public API and nothing else: this list changes only on
 * purpose. Kernel plumbing (`backend`, `setBackend`, `refBackend`, `wasmBackend`) and internal
 * helpers (`forEachOffset`, `normDim`, `sumToShape`, `toDtype`; the option schemas `*_OPTIONS`, `uniform`,
 * `squeezeDims`, `splitViews`, `typeName`, which modules still share) are no longer here: the one
 * public switch for kernels is `setKernelPreference` (or TORCHLET_KERNELS).
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import * as serve from '../src/serve/index.js';

const PUBLIC = [
  'ArgumentTypeError', 'DTypeError', 'FormatError', 'Generator', 'IndexError', 'OptionError',
  'RuntimeError', 'ShapeError', 'SizeError', 'Tensor', 'TorchletError', 'ValueError',
  'ValuesIndices', 'abs', 'activeKernels', 'add', 'arange', 'areDeterministicAlgorithmsEnabled', 'autograd', 'bool', 'canCast',
  'cat', 'chunk', 'clamp', 'clone', 'contiguous', 'defaultGenerator', 'detach', 'div', 'double', 'enableGrad', 'eq', 'exp',
  'expand', 'explain', 'explainer', 'flatten', 'flip', 'float', 'float32', 'float64', 'full', 'fullLike', 'ge', 'getNumThreads', 'gt', 'indexSelect', 'gather', 'index', 'indexPut_', 'maskedSelect', 'nonzero', 'scatter', 'scatterAdd', 'select', 'unbind',
  'initialSeed', 'int', 'int32', 'int64', 'io', 'isDeterministicAlgorithmsWarnOnlyEnabled', 'isGradEnabled', 'isnan', 'le',
  'load', 'log', 'logSoftmax', 'logicalAnd', 'logicalNot', 'logicalOr', 'logicalXor', 'long', 'lt', 'manualSeed', 'maskedFill',
  'matmul', 'max', 'maximum', 'mean', 'minimum', 'mul', 'narrow', 'ne', 'neg', 'nn', 'noGrad', 'ones', 'onesLike', 'onnx',
  'optim', 'permute', 'pow', 'promoteTypes', 'rand', 'randLike', 'randn', 'randnLike', 'randperm', 'relu', 'renderExplain', 'reshape',
  'resultType', 'save', 'seed', 'setGradEnabled', 'setKernelPreference', 'setNumThreads', 'sigmoid', 'softmax', 'split',
  'sqrt', 'squeeze', 'stack', 'sub', 'sum', 't', 'tanh', 'tensor', 'transpose',
  'unsqueeze', 'useDeterministicAlgorithms', 'utils', 'view', 'wasmReady', 'where', 'zeros', 'zerosLike',
  // issue 17: the native kernel tier
  'kernelInfo',
  // issue 13, shape/creation/random (s5-i13-shape)
  'baddbmm', 'bernoulli', 'bmm', 'diag', 'einsum', 'emptyLike', 'expandAs', 'eye', 'linspace', 'logspace', 'moveaxis', 'movedim',
  'multinomial', 'normal', 'outer', 'randint', 'randintLike', 'repeat', 'roll', 'take', 'tile', 'tril', 'triu', 'unflatten',
  // Reductions and elementwise maths (issue 13).
  'argmax', 'argmin', 'min', 'amax', 'amin', 'topk', 'sort', 'argsort', 'std', 'var', 'norm', 'prod', 'cumsum', 'cumprod', 'logsumexp', 'any', 'all', 'countNonzero', 'sign', 'rsqrt', 'exp2', 'log2', 'log1p', 'expm1', 'floor', 'ceil', 'round', 'trunc', 'frac', 'remainder', 'fmod', 'lerp', 'addcmul', 'addcdiv', 'isinf', 'isposinf', 'isneginf', 'isfinite', 'nanToNum', 'isclose', 'allclose', 'equal', 'bitwiseAnd', 'bitwiseOr', 'bitwiseXor', 'bitwiseNot', 'clip',
  // dtype= keyword, NaN-skipping reductions, scatter with a reduction (issue 13).
  'nansum', 'nanmean', 'scatterReduce',
];

describe('torch.*', () => {
  it('exports exactly the public API', () => {
    expect(Object.keys(torch).sort()).toEqual([...PUBLIC].sort());
  });

  it('has one switch for kernel choice', () => {
    const internal = ['ALPHA_OPTIONS', 'CREATE_OPTIONS', 'RANDOM_OPTIONS', 'TENSOR_OPTIONS', 'splitViews', 'squeezeDims', 'typeName', 'uniform'];
    for (const gone of ['backend', 'setBackend', 'refBackend', 'wasmBackend', 'forEachOffset', 'normDim', 'sumToShape', 'toDtype', ...internal]) {
      expect(gone in torch, gone).toBe(false);
    }
    torch.setKernelPreference('ref');
    expect(torch.activeKernels()).toBe('ref');
    expect(torch.kernelInfo().tier).toBe('ref');
    torch.setKernelPreference('auto');
  });
});

describe("torchlet/serve", () => {
  it('exports exactly createBatcher (and types)', () => {
    expect(Object.keys(serve).sort()).toEqual(['createBatcher']);
  });
});
