/** Installs the Tensor methods of each ops area (declaration merging; see each file). One import per area. */
import './shape.js';
import './inplace.js';
