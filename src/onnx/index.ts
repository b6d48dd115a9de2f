/**
 * ONNX export. PyTorch: `torch.onnx`.
 *
 * `torch.onnx.export(model, exampleInput, options)` (also named `exportModel`) returns the
 * `.onnx` bytes; `OnnxGraph` and the attribute helpers are for `onnxExport` hooks of model
 * classes the exporter does not know.
 */

export type { ExportOptions } from './export.js';
export { exampleOutputs, exportModel, exportModel as export } from './export.js';
export type { OnnxAttr, OnnxExportable, OnnxValue } from './graph.js';
export { float, floats, graph, int, ints, OnnxExportError, OnnxGraph, str, strs } from './graph.js';
