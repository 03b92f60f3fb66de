export { AgentraceError, ValidationError } from './agentrace-error.js';
export type { CreatePriceTableOptions } from './create-price-table.js';
export { createPriceTable } from './create-price-table.js';
export type {
  DatasetModule,
  DatasetPriceSourceOptions,
  DatasetUpdateOptions,
  DatasetUpdateResult,
  LoadedDataset,
} from './dataset-price-source.js';
export {
  DATASET_PACKAGE,
  DatasetPriceSource,
  DEFAULT_DATASET_UPDATE_TIMEOUT_MS,
  datasetPriceSource,
  datasetProviderId,
} from './dataset-price-source.js';
export { DatasetUpdateError, DatasetUpdateFailure } from './dataset-update-error.js';
export {
  costBreakdown,
  costOf,
  defaultPriceTable,
  hasPricing,
  loadPricingFromFile,
  registerPricing,
  resolvePricing,
  useDatasetPrices,
} from './default-price-table.js';
export type {
  ModelPricing,
  PriceTier,
  PriceTierInit,
  ResolvedPricing,
  TokenUsage,
} from './model-pricing.js';
export { validateModelPricing, ZERO_PRICING } from './model-pricing.js';
export type { ParsedPriceFile } from './price-file.js';
export { PriceFileFormat, parsePriceFile } from './price-file.js';
export type { PriceMatch, PriceQuery, PriceSource } from './price-source.js';
export { StaticPriceSource } from './price-source.js';
export type { CostBreakdown, PriceResolution, PriceTableOptions } from './price-table.js';
export {
  PriceTable,
  UNPRICED_SOURCE,
  UNPRICED_WARNING_CODE,
  USER_PRICE_SOURCE,
} from './price-table.js';
export { PricingFileError } from './pricing-file-error.js';
