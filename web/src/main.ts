/** The playground's entry: the panels, and a line saying how torchlet runs in this tab. */
import './style.css';
import { activeKernels, wasmReady } from '../../src/kernels/wasm/loader.js';
import { byId } from './dom.js';
import { initShapes } from './shapes.js';
import { initLoad } from './load.js';
import { initTrain } from './train.js';

initShapes();
initTrain();
initLoad();

void wasmReady().then((ok) => {
  const isolated = globalThis.crossOriginIsolated === true;
  const kernels = ok ? `WebAssembly kernels (${activeKernels()})` : 'the reference kernels (no WebAssembly SIMD here)';
  byId('env').textContent = `Running on ${kernels}; ${isolated ? 'cross-origin isolated: training uses 2 threads' : 'not cross-origin isolated: training runs on 1 thread'}.`;
});
