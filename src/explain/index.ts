/**
 * `torch.explain` and what it is built from: the constructor-string parser, the architecture
 * inference of `torchlet inspect`, the report and its text rendering. Browser-safe (no Node
 * imports): the playground uses all of it.
 */

export type { ExplainInput, ExplainOptions, ExplainPaddedInput } from './explain.js';
export { explain } from './explain.js';
export type { Cost, Dim, ExplainNode, ExplainReport, ExplainWarning, ParamInfo, TensorInfo } from './report.js';
export { LEGEND } from './report.js';
export type { Style } from './render.js';
export { bytesText, dimsText, renderExplain, si } from './render.js';
export type { LayerSpec, SpecValue } from './parse.js';
export { isSpec, parseLayer, SpecError, toPython, toTorchlet } from './parse.js';
export { buildLayer, layerFromString } from './build.js';
export type { InferredArchitecture, InferredLayer, TensorEntry } from './infer.js';
export { inferArchitecture } from './infer.js';
