import { bedrockTokenCost, DEFAULT_PRICE_TABLE, gpuTimeCost, PriceTable } from '../../../shared/domain/pricing';

describe('the price table', () => {
  const tokens = { inputTokens: 2_000_000, outputTokens: 1_000_000 };

  it('prices Bedrock tokens per route: batch and Flex at half of Standard', () => {
    expect(bedrockTokenCost(DEFAULT_PRICE_TABLE, 'openai.gpt-oss-120b-1:0', 'bedrock-standard', tokens)).toBeCloseTo(0.9, 10);
    expect(bedrockTokenCost(DEFAULT_PRICE_TABLE, 'openai.gpt-oss-120b-1:0', 'bedrock-flex', tokens)).toBeCloseTo(0.45, 10);
    expect(bedrockTokenCost(DEFAULT_PRICE_TABLE, 'openai.gpt-oss-120b-1:0', 'bedrock-batch', tokens)).toBeCloseTo(0.45, 10);
  });

  it('prices a route the model lacks at Standard, and an unknown model at 0', () => {
    expect(bedrockTokenCost(DEFAULT_PRICE_TABLE, 'amazon.titan-embed-text-v2:0', 'bedrock-flex', tokens)).toBeCloseTo(0.04, 10);
    expect(bedrockTokenCost(DEFAULT_PRICE_TABLE, 'someone.unknown', 'bedrock-standard', tokens)).toBe(0);
  });

  it('prices GPU time per instance-hour', () => {
    expect(gpuTimeCost(DEFAULT_PRICE_TABLE, 'g6e.xlarge', 1800)).toBeCloseTo(0.9305, 10);
    expect(gpuTimeCost(DEFAULT_PRICE_TABLE, 'p5.48xlarge', 1800)).toBe(0);
  });

  it('accepts the defaults as configuration and refuses a negative price', () => {
    expect(PriceTable.parse(DEFAULT_PRICE_TABLE)).toEqual(DEFAULT_PRICE_TABLE);
    expect(() =>
      PriceTable.parse({ bedrock: { m: { standard: { inputPerMillion: -1, outputPerMillion: 0 } } }, gpuInstanceHour: {} }),
    ).toThrow();
  });
});
