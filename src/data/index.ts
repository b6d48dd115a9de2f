/**
 * Datasets, samplers and the DataLoader. PyTorch: `torch.utils.data` (here `torch.utils.data`).
 *
 *   const { DataLoader, TensorDataset } = torch.utils.data;
 *   const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 32, shuffle: true });
 *   for (const [xb, yb] of loader) { ... }
 */

export type { Collated } from './collate.js';
export { defaultCollate, defaultConvert } from './collate.js';
export type { DataLoaderOptions } from './dataloader.js';
export { DataLoader } from './dataloader.js';
export type { IterableSource, MapDataset } from './dataset.js';
export { ConcatDataset, Dataset, IterableDataset, randomSplit, Subset, TensorDataset } from './dataset.js';
export type { RandomSamplerOptions, Sized, WeightedRandomSamplerOptions } from './sampler.js';
export {
  BatchSampler,
  RandomSampler,
  Sampler,
  SequentialSampler,
  SubsetRandomSampler,
  WeightedRandomSampler,
} from './sampler.js';
