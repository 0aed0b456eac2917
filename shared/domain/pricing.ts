import * as z from 'zod';

/**
 * How a piece of work was served, for pricing: a GPU pool of the platform's own, or
 * Bedrock on demand in a service tier, or Bedrock batch inference.
 */
export const PricedRoute = z.enum(['gpu', 'bedrock-standard', 'bedrock-flex', 'bedrock-priority', 'bedrock-batch']);
export type PricedRoute = z.infer<typeof PricedRoute>;

/**
 * Bedrock's on-demand service tiers, in our words (Bedrock's wire value for Standard is
 * `default`). Reserved is a capacity contract, not a per-request choice, so it is not here.
 */
export const ServiceTier = z.enum(['standard', 'flex', 'priority']);
export type ServiceTier = z.infer<typeof ServiceTier>;

/** The priced route of a Bedrock on-demand call served in `tier`. */
export function bedrockRouteOf(tier: ServiceTier): Exclude<PricedRoute, 'gpu' | 'bedrock-batch'> {
  return `bedrock-${tier}`;
}

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
  /** Priority is Standard plus a premium; without a price here it is counted at Standard (a floor). */
  priority: TokenPrice.optional(),
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
  const routePrice = {
    'bedrock-standard': prices.standard,
    'bedrock-flex': prices.flex,
    'bedrock-priority': prices.priority,
    'bedrock-batch': prices.batch,
  };
  const price = routePrice[route] ?? prices.standard;
  return (tokens.inputTokens * price.inputPerMillion + tokens.outputTokens * price.outputPerMillion) / 1e6;
}

/** What GPU server time costs, in USD: seconds of one instance of the type. */
export function gpuTimeCost(table: PriceTable, instanceType: string, instanceSeconds: number): number {
  return ((table.gpuInstanceHour[instanceType] ?? 0) * instanceSeconds) / 3600;
}

/**
 * The price table in force: `PRICE_TABLE` (JSON, validated with {@link PriceTable}'s
 * shape, every key optional) laid over {@link DEFAULT_PRICE_TABLE}. A Bedrock model named
 * in the override replaces the default entry of that model whole; an instance type
 * replaces its hourly price. Throws with the path of the first invalid field.
 */
export function parsePriceTable(json: string | undefined, defaults: PriceTable = DEFAULT_PRICE_TABLE): PriceTable {
  if (json === undefined || json.trim() === '') return defaults;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new Error(`PRICE_TABLE is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = PriceTable.partial().safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`PRICE_TABLE is invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return {
    bedrock: { ...defaults.bedrock, ...parsed.data.bedrock },
    gpuInstanceHour: { ...defaults.gpuInstanceHour, ...parsed.data.gpuInstanceHour },
  };
}
