export { AgentraceError, ValidationError } from './agentrace-error.js';
export {
  costBreakdown,
  costOf,
  defaultPriceTable,
  hasPricing,
  loadPricingFromFile,
  registerPricing,
  resolvePricing,
} from './default-price-table.js';
export type { ModelPricing, ResolvedPricing, TokenUsage } from './model-pricing.js';
export { validateModelPricing, ZERO_PRICING } from './model-pricing.js';
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
