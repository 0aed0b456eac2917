import { mergeRouteUsage, priceUsage, servedRouteUsage, type RouteUsage } from '../../../shared/domain/cost';
import { BackendRef } from '../../../shared/domain/catalogue';
import { DEFAULT_PRICE_TABLE, parsePriceTable } from '../../../shared/domain/pricing';

const GPT_OSS_120B = 'openai.gpt-oss-120b-1:0';
const million = (route: RouteUsage['route'], model = GPT_OSS_120B): RouteUsage => ({
  route,
  model,
  requests: 10,
  inputTokens: 1_000_000,
  outputTokens: 1_000_000,
});

describe('priceUsage', () => {
  it('prices each route with the table: Standard, Flex and batch per million tokens, GPU per instance-hour', () => {
    // Prepare
    const usage: RouteUsage[] = [
      million('bedrock-standard'),
      million('bedrock-flex'),
      million('bedrock-batch'),
      { route: 'gpu', model: 'g6e.xlarge', requests: 5, inputTokens: 10, outputTokens: 10, gpuMs: 3_600_000 },
    ];

    // Act
    const cost = priceUsage(DEFAULT_PRICE_TABLE, usage);

    // Assess: 0.15 + 0.60 Standard, half that on Flex and on batch, one g6e.xlarge hour.
    expect(cost.by_route).toEqual({ 'bedrock-standard': 0.75, 'bedrock-flex': 0.375, 'bedrock-batch': 0.375, gpu: 1.861 });
    expect(cost.total).toBeCloseTo(0.75 + 0.375 + 0.375 + 1.861, 6);
    expect(cost.currency).toBe('usd');
    expect(cost.unpriced).toBeUndefined();
  });

  it('counts Priority at Standard when the table has no Priority price, and names models it cannot price', () => {
    // Act
    const cost = priceUsage(DEFAULT_PRICE_TABLE, [million('bedrock-priority'), million('bedrock-standard', 'someone.unknown-v1')]);

    // Assess
    expect(cost.by_route).toEqual({ 'bedrock-priority': 0.75, 'bedrock-standard': 0 });
    expect(cost.unpriced).toEqual(['someone.unknown-v1']);
  });

  it('costs nothing for no usage', () => {
    expect(priceUsage(DEFAULT_PRICE_TABLE, [])).toEqual({ currency: 'usd', total: 0, by_route: {} });
  });

  it('has a total that is the sum of its routes, to the micro-dollar', () => {
    // Prepare: small figures that do not add up exactly in floating point.
    const usage: RouteUsage[] = [
      { route: 'bedrock-flex', model: GPT_OSS_120B, requests: 1, inputTokens: 333, outputTokens: 777 },
      { route: 'bedrock-standard', model: GPT_OSS_120B, requests: 1, inputTokens: 111, outputTokens: 999 },
    ];

    // Act
    const cost = priceUsage(DEFAULT_PRICE_TABLE, usage);

    // Assess
    const sum = Object.values(cost.by_route).reduce((a, b) => a + (b ?? 0), 0);
    expect(Math.round(sum * 1e6)).toBe(Math.round(cost.total * 1e6));
  });
});

describe('mergeRouteUsage', () => {
  it('adds usage of the same route and model, and keeps the others apart', () => {
    // Act
    const merged = mergeRouteUsage(
      [million('bedrock-flex'), { route: 'gpu', model: 'g6e.xlarge', requests: 1, inputTokens: 1, outputTokens: 2, gpuMs: 5 }],
      undefined,
      [million('bedrock-flex'), { route: 'gpu', model: 'g6e.xlarge', requests: 2, inputTokens: 3, outputTokens: 4, gpuMs: 7 }],
    );

    // Assess
    expect(merged).toEqual([
      { route: 'bedrock-flex', model: GPT_OSS_120B, requests: 20, inputTokens: 2_000_000, outputTokens: 2_000_000 },
      { route: 'gpu', model: 'g6e.xlarge', requests: 3, inputTokens: 4, outputTokens: 6, gpuMs: 12 },
    ]);
  });
});

describe('servedRouteUsage', () => {
  const usage = { promptTokens: 4_000, completionTokens: 500 };

  it('puts a Bedrock answer on the route of the tier it was served in, keyed by the Bedrock model id', () => {
    // Prepare
    const ref = BackendRef.parse({ provider: 'bedrock', id: 'bedrock:x', model: GPT_OSS_120B, serviceTiers: ['standard', 'flex'] });

    // Act / Assess
    expect(servedRouteUsage(ref, usage, 'flex')).toEqual({
      route: 'bedrock-flex',
      model: GPT_OSS_120B,
      requests: 1,
      inputTokens: 4_000,
      outputTokens: 500,
    });
    expect(servedRouteUsage(ref, usage).route).toBe('bedrock-standard');
  });

  it("estimates a GPU answer's server time from its tokens and the pool's throughput", () => {
    // Prepare
    const ref = BackendRef.parse({
      provider: 'openai-compatible',
      id: 'gpu',
      model: 'gpt-oss-20b',
      baseUrls: ['http://127.0.0.1:1'],
      instanceType: 'g6e.2xlarge',
      throughput: { inputTokensPerSecond: 8_000, outputTokensPerSecond: 1_000 },
    });

    // Act
    const served = servedRouteUsage(ref, usage);

    // Assess: 4,000 / 8,000 s of prefill + 500 / 1,000 s of generation.
    expect(served).toEqual({ route: 'gpu', model: 'g6e.2xlarge', requests: 1, inputTokens: 4_000, outputTokens: 500, gpuMs: 1_000 });
  });
});

describe('parsePriceTable (PRICE_TABLE)', () => {
  it('is the defaults when unset or blank', () => {
    expect(parsePriceTable(undefined)).toBe(DEFAULT_PRICE_TABLE);
    expect(parsePriceTable('  ')).toBe(DEFAULT_PRICE_TABLE);
  });

  it('lays a model or instance type named in the override over the defaults, keeping the rest', () => {
    // Act
    const table = parsePriceTable(
      JSON.stringify({
        bedrock: { [GPT_OSS_120B]: { standard: { inputPerMillion: 1, outputPerMillion: 2 } } },
        gpuInstanceHour: { 'g6e.xlarge': 0.9 },
      }),
    );

    // Assess
    expect(table.bedrock[GPT_OSS_120B]).toEqual({ standard: { inputPerMillion: 1, outputPerMillion: 2 } });
    expect(table.bedrock['openai.gpt-oss-20b-1:0']).toEqual(DEFAULT_PRICE_TABLE.bedrock['openai.gpt-oss-20b-1:0']);
    expect(table.gpuInstanceHour['g6e.xlarge']).toBe(0.9);
  });

  it('refuses JSON that is not a price table, naming where', () => {
    expect(() => parsePriceTable('{')).toThrow(/not valid JSON/);
    expect(() => parsePriceTable(JSON.stringify({ gpuInstanceHour: { 'g6e.xlarge': -1 } }))).toThrow(/gpuInstanceHour\.g6e\.xlarge/);
    expect(() => parsePriceTable(JSON.stringify({ gpu: {} }))).toThrow(/PRICE_TABLE is invalid/);
  });
});
