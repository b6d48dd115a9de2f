/** Installs the Tensor methods of each ops area (declaration merging; see src/ops/methods/*.ts). */
import './math.js';
