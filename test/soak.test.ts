/**
 * Issue 18's soak: a small LSTM trained on 2 threads keeps its RSS flat after warm-up (within
 * 10%), and inference of varying lengths keeps the WebAssembly memories at their warm-up size.
 * In a child process (its RSS is its own; vitest runs other files in this one). The suite runs
 * 500 steps and 200 inferences; TORCHLET_SOAK_FULL=1 runs the issue's 5,000 and 1,000.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const FULL = process.env.TORCHLET_SOAK_FULL === '1';
const [STEPS, INFERENCES] = FULL ? [5000, 1000] : [500, 200];

describe('soak', () => {
  it(`${STEPS} training steps of a small LSTM on 2 threads: RSS flat within 10% after warm-up; ${INFERENCES} inferences of lengths 1-300: wasm memory stays at its warm-up size`, async () => {
    const child = fileURLToPath(new URL('./soak.child.ts', import.meta.url));
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--expose-gc', '--import', 'tsx', child, String(STEPS), String(INFERENCES)], { encoding: 'utf8', timeout: 600_000 }, (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      ),
    );
    const r = JSON.parse(out.trim().split('\n').pop()!);
    console.info(`soak: ${JSON.stringify(r)}`);
    expect(r.threads).toBe(2);
    expect(r.jobs, 'the steps ran on the pool').toBeGreaterThan(STEPS);
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.rssTrained / r.rssWarm, 'RSS after training / after warm-up').toBeLessThan(1.1);
    expect(r.memEnd).toEqual(r.memWarm);
    expect(r.rssEnd / r.rssInferWarm, 'RSS after the inferences / before').toBeLessThan(1.1);
  }, 600_000);
});
