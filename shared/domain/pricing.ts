import * as z from 'zod';

/**
 * How a piece of work was served, for pricing: a GPU pool of the platform's own, or
 * Bedrock on demand in a service tier, or Bedrock batch inference.
 */
export const PricedRoute = z.enum(['gpu', 'bedrock-standard', 'bedrock-flex', 'bedrock-batch']);
export type PricedRoute = z.infer<typeof PricedRoute>;

/** USD per million tokens, input and output (embeddings: output 0). */
export const TokenPrice = z.strictObject({
  inputPerMillion: z.number().nonnegative(),
  outputPerMillion: z.number().nonnegative(),
});
export type TokenPrice = z.infer<typeof TokenPrice>;

/** One Bedrock model's prices: Standard on demand, and the cheaper routes where the model has them. */
export const BedrockModelPrices = z.strictObject({
  standard: TokenPrice,
  flex: TokenPrice.optional(),
  batch: TokenPrice.optional(),
});

/**
 * The price table: configuration (`PRICE_TABLE`, JSON), with AWS list prices as the
 * defaults. Keys of `bedrock` are Bedrock model ids; `gpuInstanceHour` is USD per hour of
 * one GPU server, by EC2 instance type.
 */
export const PriceTable = z.strictObject({
  bedrock: z.record(z.string().min(1), BedrockModelPrices),
  gpuInstanceHour: z.record(z.string().min(1), z.number().nonnegative()),
});
export type PriceTable = z.infer<typeof PriceTable>;

const half = (price: TokenPrice): TokenPrice => ({
  inputPerMillion: price.inputPerMillion / 2,
  outputPerMillion: price.outputPerMillion / 2,
});

const gptOss20b: TokenPrice = { inputPerMillion: 0.07, outputPerMillion: 0.3 };
const gptOss120b: TokenPrice = { inputPerMillion: 0.15, outputPerMillion: 0.6 };
const titanEmbedV2: TokenPrice = { inputPerMillion: 0.02, outputPerMillion: 0 };

/**
 * AWS list prices, us-east-1/us-west-2 (the README cites each): Bedrock on-demand per
 * million tokens; batch inference at 50% of on-demand; the Flex tier at 50% of Standard
 * for the models that offer it; an on-demand g6e.xlarge (one L40S) per hour.
 */
export const DEFAULT_PRICE_TABLE: PriceTable = {
  bedrock: {
    'openai.gpt-oss-20b-1:0': { standard: gptOss20b, flex: half(gptOss20b), batch: half(gptOss20b) },
    'openai.gpt-oss-120b-1:0': { standard: gptOss120b, flex: half(gptOss120b), batch: half(gptOss120b) },
    'amazon.titan-embed-text-v2:0': { standard: titanEmbedV2, batch: half(titanEmbedV2) },
  },
  gpuInstanceHour: { 'g6e.xlarge': 1.861 },
};

/**
 * What tokens cost on a Bedrock route, in USD: the route's price where the model has
 * one, else Standard (a route the table does not price is never counted as free); 0 for a
 * model the table does not know (the caller reports it as unpriced).
 */
export function bedrockTokenCost(
  table: PriceTable,
  bedrockModel: string,
  route: Exclude<PricedRoute, 'gpu'>,
  tokens: { inputTokens: number; outputTokens: number },
): number {
  const prices = table.bedrock[bedrockModel];
  if (prices === undefined) return 0;
  const price = (route === 'bedrock-flex' ? prices.flex : route === 'bedrock-batch' ? prices.batch : undefined) ?? prices.standard;
  return (tokens.inputTokens * price.inputPerMillion + tokens.outputTokens * price.outputPerMillion) / 1e6;
}

/** What GPU server time costs, in USD: seconds of one instance of the type. */
export function gpuTimeCost(table: PriceTable, instanceType: string, instanceSeconds: number): number {
  return ((table.gpuInstanceHour[instanceType] ?? 0) * instanceSeconds) / 3600;
}
