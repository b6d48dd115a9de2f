/**
 * Installs every Tensor method (`x.matmul(w)`, `x.sum()`, ...) on `Tensor.prototype`.
 *
 * Why methods live here and not in src/tensor/tensor.ts: the class is the ground floor that every
 * op imports, so it imports nothing from src/ops/ (no import cycle; test/import-graph.test.ts
 * checks it). Each file below declares its methods on the `Tensor` interface (declaration merging,
 * as tfjs's chained ops) and assigns them to the prototype when it is imported. Every entry point
 * (src/index.ts through src/ops/index.ts, src/nn/index.ts, src/node.ts) imports this file, and
 * package.json `sideEffects` lists the built files so bundlers keep them. One import line per file.
 */

import './core.js';
import './elementwise.js';
import './indexing.js';
import './join.js';
import './math.js';
import './matmul.js';
import './reduce.js';
import './shape.js';
import './inplace.js';
