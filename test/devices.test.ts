/**
 * Devices: 'cpu' is accepted wherever PyTorch takes a device and changes nothing; CUDA, MPS and the
 * other PyTorch devices are refused by name with a message saying torchlet runs on the CPU and
 * WebAssembly. Also the argument forms of Tensor.to (PyTorch's overloads).
 */

import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { parseDevice, parseModuleToArgs, parseToArgs } from '../src/tensor/dtype.js';
import { expectError } from './helpers/errors.js';

const CPU_ONLY = "is not available: torchlet runs on the CPU (JavaScript and WebAssembly kernels), so the only device is 'cpu'.";

describe("'cpu' is accepted and changes nothing", () => {
  it('Tensor.device, cpu(), to(cpu) return the tensor itself', () => {
    const x = torch.tensor([1, 2, 3]);
    expect(x.device).toBe('cpu');
    expect(x.cpu()).toBe(x);
    for (const d of ['cpu', 'cpu:0', ' cpu ']) expect(x.to(d), d).toBe(x);
    expect(x.to({ device: 'cpu' })).toBe(x);
    expect(x.to({ device: { type: 'cpu' } as unknown as string })).toBe(x);
    expect(x.to({ device: 'cpu', nonBlocking: true })).toBe(x);
  });
  it('to(device, dtype), to({ dtype, device }), to(other) and to({ copy: true })', () => {
    const x = torch.tensor([1.5, -2.5]);
    const a = x.to('cpu', 'long');
    expect([a.dtype, a.tolist()]).toEqual(['int64', [1, -2]]);
    expect(x.to({ dtype: 'int64', device: 'cpu' }).dtype).toBe('int64');
    expect(x.to(torch.zeros(1, { dtype: 'float64' })).dtype).toBe('float64');
    const c = x.to({ copy: true });
    expect(c).not.toBe(x);
    expect(c.storage).not.toBe(x.storage);
    expect(c.tolist()).toEqual([1.5, -2.5]);
    expect(x.to('float32')).toBe(x);
  });
  it("creation ops take { device: 'cpu' }", () => {
    const opts = { device: 'cpu' };
    expect(torch.tensor([1, 2], { dtype: 'int64', device: 'cpu' }).tolist()).toEqual([1, 2]);
    expect(torch.zeros(2, { dtype: 'bool', device: 'cpu' }).tolist()).toEqual([0, 0]);
    for (const t of [torch.zeros(2, opts), torch.ones([2], opts), torch.full([2], 1, opts), torch.rand(2, opts), torch.randn(2, opts), torch.arange(2, opts)]) {
      expect(t.shape).toEqual([2]);
      expect(t.device).toBe('cpu');
    }
  });
  it('the shared parser (for Module.to) reads every form', () => {
    expect(parseToArgs('Module.to', ['cpu'])).toEqual({ device: 'cpu', copy: false });
    expect(parseToArgs('Module.to', ['double'])).toEqual({ dtype: 'float64', copy: false });
    expect(parseToArgs('Module.to', [torch.float32])).toEqual({ dtype: 'float32', copy: false });
    expect(parseToArgs('Module.to', ['cpu', 'float64'])).toEqual({ device: 'cpu', dtype: 'float64', copy: false });
    expect(parseToArgs('Module.to', [{ dtype: 'float', device: 'cpu' }])).toEqual({ dtype: 'float32', device: 'cpu', copy: false });
    expect(parseDevice({ type: 'cpu' })).toBe('cpu');
    expect(parseModuleToArgs(['cpu', 'double'])).toEqual({ device: 'cpu', dtype: 'float64' });
    // PyTorch: TypeError "nn.Module.to only accepts floating point or complex dtypes, but got desired dtype=torch.int64"
    expectError(() => parseModuleToArgs(['long']), torch.ArgumentTypeError, 'nn.Module.to only accepts floating point or complex dtypes, but got desired dtype=torch.int64', 'TypeError');
    expectError(() => parseModuleToArgs(['cuda']), torch.RuntimeError, `Module.to: device 'cuda' ${CPU_ONLY}`);
  });
});

describe('other devices are refused by name, nothing created or changed', () => {
  it("'cuda', 'cuda:0', 'mps', ... in to(), cuda() and creation options", () => {
    const x = torch.tensor([1, 2]);
    for (const d of ['cuda', 'cuda:0', 'cuda:1', 'mps', 'xla', 'meta']) {
      expectError(() => x.to(d), torch.RuntimeError, `Tensor.to: device '${d}' ${CPU_ONLY}`, 'RuntimeError');
      expectError(() => x.to({ device: d }), torch.RuntimeError, `Tensor.to: device '${d}' ${CPU_ONLY}`);
      expectError(() => x.to(d, 'float64'), torch.RuntimeError, `Tensor.to: device '${d}'`);
      expectError(() => torch.zeros(2, { device: d }), torch.RuntimeError, `torch.full: device '${d}' ${CPU_ONLY}`);
      expectError(() => torch.tensor([1], { device: d }), torch.RuntimeError, `torch.tensor: device '${d}'`);
    }
    expectError(() => x.cuda(), torch.RuntimeError, `Tensor.cuda: device 'cuda' ${CPU_ONLY} Drop the device argument or pass 'cpu'`);
    expectError(() => x.to('cpu:1'), torch.DTypeError, "Tensor.to: expected a device ('cpu'), got 'cpu:1'");
    expect([x.dtype, x.tolist()]).toEqual(['float32', [1, 2]]);
  });
  it('a string that is neither a dtype nor a device, and wrong argument types', () => {
    const x = torch.tensor([1, 2]);
    const e = expectError(() => x.to('foo'), torch.DTypeError, "Tensor.to: expected a device ('cpu'), got 'foo'. torchlet's only device is 'cpu'");
    // PyTorch: RuntimeError "Expected one of cpu, cuda, ... device type at start of device string: foo"
    expect((e as torch.TorchletError).pytorchType).toBe('RuntimeError');
    expectError(() => x.to(5 as unknown as string), torch.ArgumentTypeError, 'Tensor.to(): expected a dtype, a device, a tensor or { dtype, device }, got number 5', 'TypeError');
    expectError(() => x.to(null as unknown as string), torch.ArgumentTypeError, 'Tensor.to(): expected a dtype, a device, a tensor or { dtype, device }, got null', 'TypeError');
    expectError(() => (x.to as (...a: unknown[]) => unknown)(), torch.ArgumentTypeError, 'Tensor.to() received an invalid combination of arguments', 'TypeError');
    expectError(() => (x.to as (...a: unknown[]) => unknown)('cpu', 'long', 'x'), torch.ArgumentTypeError, 'Tensor.to() takes at most 2 arguments (3 given)', 'TypeError');
    expectError(() => x.to('long', 'cpu' as 'long'), torch.ArgumentTypeError, 'Tensor.to(device, dtype): the first argument must be a device and the second a dtype', 'TypeError');
    expectError(() => x.to({ dtype: 'int64', devise: 'cpu' } as never), torch.ArgumentTypeError, "Tensor.to: unexpected option 'devise'; did you mean 'device'?", 'TypeError');
    expectError(() => x.to({ copy: 'yes' } as never), torch.ArgumentTypeError, "Tensor.to: option 'copy' must be boolean (true/false or 0/1), not string ('yes')", 'TypeError');
    expect([x.dtype, x.tolist()]).toEqual(['float32', [1, 2]]);
  });
});
