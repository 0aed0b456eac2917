import { BUDGET_THRESHOLD_EVENT, BudgetGuard } from '../../../shared/limits/BudgetGuard';
import { QuotaExceededError } from '../../../shared/limits/errors';
import { bedrockStandardPricer } from '../../../shared/limits/usageCost';
import { DEFAULT_PRICE_TABLE } from '../../../shared/domain/pricing';
import type { ModelCatalogue } from '../../../shared/domain/catalogue';
import type { UsageRecord } from '../../../shared/usage/types';
import { RateLimiter } from '../../../shared/limits/RateLimiter';
import { TenantAdmission } from '../../../shared/limits/TenantAdmission';
import type { TenantLimitSettings } from '../../../shared/limits/types';

const NOW = Date.parse('2026-12-03T12:00:00Z');

const catalogue = {
  models: [
    {
      id: 'gpt-oss-20b',
      kind: 'chat',
      backends: [
        { provider: 'openai-compatible', id: 'gpu', model: 'gpt-oss-20b', baseUrls: ['http://127.0.0.1:1'] },
        { provider: 'bedrock', id: 'bedrock', model: 'openai.gpt-oss-20b-1:0' },
      ],
    },
    {
      id: 'bge-m3',
      kind: 'embeddings',
      backends: [{ provider: 'openai-compatible', id: 'gpu-e', model: 'bge-m3', baseUrls: ['http://127.0.0.1:1'] }],
    },
  ],
} as unknown as ModelCatalogue;

function world(records: UsageRecord[]) {
  const queries: unknown[] = [];
  const published: { type: string; detail: Record<string, unknown> }[] = [];
  const claimed = new Set<string>();
  let now = NOW;
  const guard = new BudgetGuard({
    usage: {
      query: async (range) => {
        queries.push(range);
        return records;
      },
    },
    settings: {
      claimBudgetWarning: async (tenant, month, threshold) => {
        const key = `${tenant}/${month}/${threshold}`;
        if (claimed.has(key)) return false;
        claimed.add(key);
        return true;
      },
    },
    price: bedrockStandardPricer(DEFAULT_PRICE_TABLE, catalogue),
    thresholds: [0.5, 0.8, 1],
    refreshMs: 30_000,
    events: { publish: async (type, detail) => void published.push({ type, detail }) },
    now: () => now,
  });
  return { guard, queries, published, advance: (ms: number) => (now += ms) };
}

const record = (model: string, inputTokens: number, outputTokens: number): UsageRecord => ({
  day: '2026-12-02',
  tenantId: 'acme',
  model,
  requests: 1,
  inputTokens,
  outputTokens,
});

describe('bedrockStandardPricer', () => {
  it("prices a model's tokens at its Bedrock backend's Standard price, and a model without one at 0", () => {
    const price = bedrockStandardPricer(DEFAULT_PRICE_TABLE, catalogue);
    // gpt-oss-20b: $0.07 in, $0.30 out per million.
    expect(price(record('gpt-oss-20b', 1_000_000, 1_000_000))).toBeCloseTo(0.37, 10);
    expect(price(record('bge-m3', 1_000_000, 0))).toBe(0);
  });
});

describe('BudgetGuard', () => {
  it("reads the tenant's month once per refresh, from the 1st to today", async () => {
    const { guard, queries, advance } = world([record('gpt-oss-20b', 1_000, 1_000)]);
    await guard.status('acme', { monthly_spend_usd: 1 });
    await guard.status('acme', { monthly_spend_usd: 1 });
    advance(30_000);
    await guard.status('acme', { monthly_spend_usd: 1 });
    expect(queries).toEqual([
      { from: '2026-12-01', to: '2026-12-03', tenantId: 'acme' },
      { from: '2026-12-01', to: '2026-12-03', tenantId: 'acme' },
    ]);
  });

  it('refuses a tenant at its spend ceiling with 429 insufficient_quota, which says not to retry', async () => {
    // $0.37 spent against $0.30.
    const { guard } = world([record('gpt-oss-20b', 1_000_000, 1_000_000)]);
    const error = await guard.check('acme', { monthly_spend_usd: 0.3 }, { 'x-ratelimit-limit-requests': '5' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect(error).toMatchObject({ status: 429, type: 'insufficient_quota', code: 'insufficient_quota', param: null });
    expect((error as QuotaExceededError).message).toMatch(/^You exceeded your current quota/);
    expect((error as QuotaExceededError).headers).toEqual({ 'x-ratelimit-limit-requests': '5', 'x-should-retry': 'false' });
  });

  it('refuses a tenant at its token ceiling, and lets through one under both ceilings or with none', async () => {
    const { guard } = world([record('bge-m3', 600, 0)]);
    await expect(guard.check('acme', { monthly_tokens: 600 })).rejects.toBeInstanceOf(QuotaExceededError);
    await expect(guard.check('acme', { monthly_tokens: 601, monthly_spend_usd: 1 })).resolves.toBeUndefined();
    await expect(guard.check('acme', undefined)).resolves.toBeUndefined();
    await expect(guard.check('acme', { monthly_tokens: null })).resolves.toBeUndefined();
  });

  it('publishes each threshold it crosses once a month', async () => {
    // 850 of 1 000 tokens: past 50% and 80%, not 100%.
    const { guard, published, advance } = world([record('bge-m3', 850, 0)]);
    await guard.status('acme', { monthly_tokens: 1_000 });
    advance(60_000);
    await guard.status('acme', { monthly_tokens: 1_000 });
    expect(published.map((event) => [event.type, event.detail.threshold])).toEqual([
      [BUDGET_THRESHOLD_EVENT, 0.5],
      [BUDGET_THRESHOLD_EVENT, 0.8],
    ]);
    expect(published[1]!.detail).toMatchObject({ tenantId: 'acme', month: '2026-12', tokens: 850, tokenCeiling: 1_000 });
  });
});

describe('TenantAdmission.pausesRunningJobs', () => {
  function makeAdmission(settingsByTenant: Record<string, TenantLimitSettings>, runningJobs?: 'finish' | 'pause') {
    const { guard, queries } = world([record('gpt-oss-20b', 600, 400)]);
    const admission = new TenantAdmission({
      limiter: new RateLimiter({ store: { draw: async () => 0 } as never, windowMs: 60_000, blockFraction: 0.02 }),
      budget: guard,
      settings: { get: async (tenantId) => settingsByTenant[tenantId] ?? {} },
      usage: { query: async () => [] },
      defaults: { key: {}, tenant: {}, ...(runningJobs ? { runningJobs } : {}) },
      settingsTtlMs: 60_000,
      now: () => NOW,
    });
    return { admission, queries };
  }

  it("pauses a tenant's jobs only when it is over a ceiling and its budget (or the default) says pause", async () => {
    // Prepare
    const over = { monthly_tokens: 1_000 };
    const under = { monthly_tokens: 5_000 };
    const { admission } = makeAdmission(
      {
        overPause: { budget: { ...over, running_jobs: 'pause' } },
        overFinish: { budget: { ...over, running_jobs: 'finish' } },
        overDefault: { budget: over },
        underPause: { budget: { ...under, running_jobs: 'pause' } },
      },
      'finish',
    );
    const { admission: pausing } = makeAdmission({ overDefault: { budget: over }, none: {} }, 'pause');

    // Act
    const answers = await Promise.all([
      admission.pausesRunningJobs('overPause'),
      admission.pausesRunningJobs('overFinish'),
      admission.pausesRunningJobs('overDefault'),
      admission.pausesRunningJobs('underPause'),
      pausing.pausesRunningJobs('overDefault'),
      pausing.pausesRunningJobs('none'),
    ]);

    // Assess
    expect(answers).toEqual([true, false, false, false, true, false]);
  });

  it("never reads the month's usage of a tenant whose jobs finish", async () => {
    // Prepare
    const { admission, queries } = makeAdmission({ acme: { budget: { monthly_tokens: 1 } } });

    // Act
    const paused = await admission.pausesRunningJobs('acme');

    // Assess
    expect(paused).toBe(false);
    expect(queries).toEqual([]);
  });
});
