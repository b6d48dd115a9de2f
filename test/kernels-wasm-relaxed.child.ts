/**
 * Child process of test/kernels-wasm.test.ts: runs the differential cases on the relaxed-SIMD
 * build (Node 20 needs --experimental-wasm-relaxed-simd) and prints one JSON line.
 */
import { activeKernels, setKernelPreference } from '../src/kernels/wasm/index.js';
import { allCases, caseName, runCase } from './kernels-wasm-cases.js';

setKernelPreference('relaxed');
const bad = allCases().flatMap((c) => runCase(c).map((m) => ({ case: caseName(c), ...m })));
console.log(JSON.stringify({ flavour: activeKernels(), bad }));
