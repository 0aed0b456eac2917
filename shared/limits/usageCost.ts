import type { ModelCatalogue } from '../domain/catalogue';
import { bedrockTokenCost, type PriceTable } from '../domain/pricing';
import type { UsageRecord } from '../usage/types';

/** Prices a tenant's usage counters for its budget. */
export type UsagePricer = (record: Pick<UsageRecord, 'model' | 'inputTokens' | 'outputTokens'>) => number;

/**
 * The one place a budget prices usage: each model's tokens at the Bedrock Standard
 * on-demand price of the model's Bedrock backend in the catalogue, the upper bound of
 * what serving them costs (GPU pools, Flex and batch cost less). A model with no Bedrock
 * price counts 0 (only a token ceiling bounds it). When usage records the route that
 * served it, this is the function to refine.
 */
export function bedrockStandardPricer(table: PriceTable, catalogue: ModelCatalogue): UsagePricer {
  const bedrockModel = new Map<string, string>();
  for (const model of catalogue.models) {
    const ref = model.backends.find((backend) => backend.provider === 'bedrock' && table.bedrock[backend.model] !== undefined);
    if (ref) bedrockModel.set(model.id, ref.model);
  }
  return (record) => {
    const priced = bedrockModel.get(record.model) ?? (table.bedrock[record.model] ? record.model : undefined);
    if (priced === undefined) return 0;
    return bedrockTokenCost(table, priced, 'bedrock-standard', { inputTokens: record.inputTokens, outputTokens: record.outputTokens });
  };
}
