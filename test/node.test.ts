/** torchlet/node: file helpers, and atomic writes that leave the old file intact when a write fails. */
import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as torch from '../src/index.js';
import { loadFile, loadSafetensorsFile, saveFile, saveSafetensorsFile, writeFileAtomic } from '../src/node.js';

// Fail the write after the first chunk on demand, like a full disk (ENOSPC) mid-write.
const failWrites = { on: false };
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    writeSync: (fd: number, buf: Uint8Array, offset: number, length: number): number => {
      if (failWrites.on) {
        real.writeSync(fd, buf, offset, Math.min(length, 16));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      return real.writeSync(fd, buf, offset, length);
    },
  };
});

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const dir = mkdtempSync(join(tmpdir(), 'torchlet-node-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('torchlet/node', () => {
  it('saves and loads a safetensors file', () => {
    const path = join(dir, 'model.safetensors');
    const sd = { w: torch.arange(6).reshape(2, 3), b: torch.tensor([1, 2], { dtype: 'int32' }) };
    saveSafetensorsFile(path, sd, { step: '10' });
    const back = loadSafetensorsFile(path);
    expect(back.metadata.step).toBe('10');
    expect(back.tensors.w!.tolist()).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(back.tensors.b!.dtype).toBe('int32');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('loads a PyTorch .pt file', () => {
    const sd = torch.io.toStateDict(loadFile(join(FIXTURES, 'io_gru.pt')));
    expect(sd.weight_ih_l0!.shape).toEqual([15, 4]);
  });

  it('saves a .pt checkpoint with saveFile and reads it back with loadFile', () => {
    const path = join(dir, 'ckpt.pt');
    saveFile(path, { model: { w: torch.ones(2, 2) }, epoch: 4 });
    const back = loadFile(path) as torch.io.PickleDict;
    expect(back.epoch).toBe(4);
    expect(torch.io.toStateDict(back, 'model').w!.tolist()).toEqual([[1, 1], [1, 1]]);
  });

  it("README 'Models in and out' example runs as written", () => {
    const lstm = new torch.nn.LSTM(4, 5, { numLayers: 2, bidirectional: true });
    const x = torch.randn(3, 2, 4);
    const ckpt = loadFile(join(FIXTURES, 'io_lstm.pt'));
    lstm.loadStateDict(torch.io.toStateDict(ckpt));
    saveSafetensorsFile(join(dir, 'model.safetensors'), lstm.stateDict());
    const onnxBytes = torch.onnx.export(lstm, x, { inputNames: ['x'], outputNames: ['y', 'hN', 'cN'] });
    expect(onnxBytes.length).toBeGreaterThan(1000);
    expect(loadSafetensorsFile(join(dir, 'model.safetensors')).tensors.weight_hh_l1_reverse!.shape).toEqual([20, 5]);
  });

  it('a write that fails mid-way leaves the old file intact and no temporary file behind', () => {
    const path = join(dir, 'keep.safetensors');
    saveSafetensorsFile(path, { w: torch.ones(100) });
    const before = readFileSync(path);
    failWrites.on = true;
    try {
      expect(() => saveSafetensorsFile(path, { w: torch.zeros(1000) })).toThrow(/ENOSPC/);
    } finally {
      failWrites.on = false;
    }
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes('keep') && f !== 'keep.safetensors')).toEqual([]);
    expect(loadSafetensorsFile(path).tensors.w!.shape).toEqual([100]);
  });

  it('a failed rename (destination is a directory) cleans up its temporary file', () => {
    const target = join(dir, 'adir');
    fs.mkdirSync(target);
    writeFileSync(join(target, 'inside'), 'x');
    expect(() => writeFileAtomic(target, new Uint8Array([1, 2, 3]))).toThrow();
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
