/** PyTorch: `torch.utils`. Only `torch.utils.data` lives here. */

export * as data from '../data/index.js';
