export { enableGrad, isGradEnabled, noGrad, setGradEnabled } from './grad-mode.js';
export { gradcheck } from './gradcheck.js';
export type { GradcheckOptions } from './gradcheck.js';
