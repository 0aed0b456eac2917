import { RateLimitExceededError } from '../../../shared/limits/errors';
import { type LimitSubject, RateLimiter } from '../../../shared/limits/RateLimiter';
import { formatResetDuration } from '../../../shared/limits/resetDuration';
import { MemoryLimitCounterStore } from '../../helpers/memoryLimitStore';

const WINDOW = 60_000;
const T0 = 1_764_763_200_000; // a window start (a multiple of a minute)

function world(options: { blockFraction?: number } = {}) {
  const store = new MemoryLimitCounterStore();
  const clock = { now: T0 };
  const limiter = () => new RateLimiter({ store, windowMs: WINDOW, blockFraction: options.blockFraction ?? 0.02, now: () => clock.now });
  return { store, clock, limiter };
}

const subject = (over: Partial<LimitSubject> = {}): LimitSubject => ({
  tenantId: 'acme',
  keyId: 'key_a',
  keyLimits: {},
  tenantLimits: {},
  ...over,
});

async function refusal(promise: Promise<unknown>): Promise<RateLimitExceededError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RateLimitExceededError);
  return error as RateLimitExceededError;
}

describe('formatResetDuration (OpenAI x-ratelimit-reset-* values)', () => {
  it.each([
    [0, '0ms'],
    [250, '250ms'],
    [998.2, '999ms'],
    [999.2, '1s'],
    [1_000, '1s'],
    [17_500, '17.5s'],
    [59_999, '59.999s'],
    [61_000, '1m1s'],
    [360_000, '6m0s'],
    [3_600_000, '1h0m0s'],
    [5_430_250, '1h30m30.25s'],
  ])('%p ms → %p', (ms, text) => {
    expect(formatResetDuration(ms)).toBe(text);
  });
});

describe('RateLimiter', () => {
  it('admits up to the requests limit of a window, refuses the next with OpenAI headers, and admits again in the next window', async () => {
    // Prepare
    const { clock, limiter } = world();
    const limits = limiter();
    const who = subject({ keyLimits: { requests: 3 } });
    // Act
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) remaining.push((await limits.admit(who, 10)).headers['x-ratelimit-remaining-requests']!);
    clock.now = T0 + 20_000;
    const refused = await refusal(limits.admit(who, 10));
    clock.now = T0 + WINDOW;
    const next = await limits.admit(who, 10);
    // Assess
    expect(remaining).toEqual(['2', '1', '0']);
    expect(refused).toMatchObject({ status: 429, code: 'rate_limit_exceeded', type: 'requests', param: null, scope: 'key' });
    expect(refused.message).toMatch(
      /^Rate limit reached for requests per min \(RPM\) on key 'key_a': Limit 3, Remaining 0, Requested 1\. Please try again in 40s\.$/,
    );
    expect(refused.headers).toEqual({
      'x-ratelimit-limit-requests': '3',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '40s',
      'retry-after': '40',
    });
    expect(next.headers).toMatchObject({ 'x-ratelimit-remaining-requests': '2', 'x-ratelimit-reset-requests': '1m0s' });
  });

  it('counts tokens down by the estimate, gives back what a request did not use and charges what it used beyond', async () => {
    // Prepare
    const { limiter } = world();
    const limits = limiter();
    const who = subject({ keyLimits: { tokens: 1_000 } });
    // Act
    const first = await limits.admit(who, 300);
    first.settle(100); // used 200 less than estimated
    const afterRefund = limits.headers(who)['x-ratelimit-remaining-tokens'];
    const second = await limits.admit(who, 300);
    second.settle(500); // used 200 more
    const afterCharge = limits.headers(who)['x-ratelimit-remaining-tokens'];
    second.settle(0); // settling twice changes nothing
    // Assess
    expect(first.headers).toMatchObject({ 'x-ratelimit-limit-tokens': '1000', 'x-ratelimit-remaining-tokens': '700' });
    expect(afterRefund).toBe('900');
    expect(second.headers['x-ratelimit-remaining-tokens']).toBe('600');
    expect(afterCharge).toBe('400');
    expect(limits.headers(who)['x-ratelimit-remaining-tokens']).toBe('400');
  });

  it('refuses a tokens estimate over what is left with type tokens, and gives back the request it had counted', async () => {
    // Prepare
    const { limiter } = world();
    const limits = limiter();
    const who = subject({ keyLimits: { requests: 10, tokens: 100 } });
    await limits.admit(who, 80);
    // Act
    const refused = await refusal(limits.admit(who, 30));
    const tooLarge = await refusal(limits.admit(who, 101));
    // Assess
    expect(refused).toMatchObject({ type: 'tokens', code: 'rate_limit_exceeded' });
    expect(refused.headers).toMatchObject({ 'x-ratelimit-remaining-tokens': '20', 'x-ratelimit-remaining-requests': '9' });
    expect(tooLarge.message).toMatch(/Request too large for tokens per min \(TPM\)/);
    expect(limits.headers(who)['x-ratelimit-remaining-requests']).toBe('9');
  });

  it("holds a key to its own limit and its tenant's, reporting the tighter one", async () => {
    // Prepare
    const { limiter } = world();
    const limits = limiter();
    const a = subject({ keyId: 'key_a', keyLimits: { requests: 10 }, tenantLimits: { requests: 3 } });
    const b = subject({ keyId: 'key_b', keyLimits: { requests: 10 }, tenantLimits: { requests: 3 } });
    // Act
    await limits.admit(a, 1);
    await limits.admit(b, 1);
    const third = await limits.admit(a, 1);
    const refused = await refusal(limits.admit(b, 1));
    // Assess
    expect(third.headers['x-ratelimit-remaining-requests']).toBe('0');
    expect(refused).toMatchObject({ scope: 'tenant', type: 'requests' });
    expect(refused.message).toContain("on tenant 'acme'");
  });

  it('limits concurrent requests, freeing a slot when the request is settled', async () => {
    // Prepare
    const { limiter } = world();
    const limits = limiter();
    const who = subject({ keyLimits: { concurrent: 1 } });
    // Act
    const running = await limits.admit(who, 1);
    const refused = await refusal(limits.admit(who, 1));
    running.settle(1);
    const after = await limits.admit(who, 1);
    // Assess
    expect(refused).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded' });
    expect(refused.message).toContain('concurrent requests');
    expect(refused.headers['retry-after']).toBe('1');
    expect(after.headers).toEqual({});
  });

  it('draws in blocks: a steady stream of one container writes once per block, not once per request', async () => {
    // Prepare
    const { store, limiter } = world({ blockFraction: 0.05 });
    const limits = limiter();
    const who = subject({ keyLimits: { requests: 1_000, tokens: 100_000 } });
    // Act
    for (let i = 0; i < 200; i++) await limits.admit(who, 100);
    // Assess: 200 requests in blocks of 50, 20 000 tokens in blocks of 5 000: 4 + 4 writes.
    expect(store.writes).toBe(8);
  });

  it.each([
    [8, 1_000, 0.02],
    [20, 500, 0.05],
    [3, 10, 0.1],
  ])(
    'bound: %p containers sharing a limit of %p (blocks of %p) never admit more than the limit, and refuse only when at most (containers − 1) × (block − 1) is held elsewhere',
    async (containers, limit, blockFraction) => {
      // Prepare: containers admit in a shuffled, interleaved order until every one is refused.
      const { store, limiter } = world({ blockFraction });
      const limiters = Array.from({ length: containers }, () => limiter());
      const who = subject({ keyLimits: { requests: limit } });
      const block = Math.max(1, Math.floor(limit * blockFraction));
      let seed = 7;
      const random = () => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      let admitted = 0;
      let firstRefusalAt: number | undefined;
      const refusedBy = new Set<number>();
      // Act
      while (refusedBy.size < containers) {
        const batch = Array.from({ length: containers }, () => Math.floor(random() * containers));
        await Promise.all(
          batch.map(async (i) => {
            try {
              await limiters[i]!.admit(who, 1);
              admitted += 1;
            } catch (error) {
              if (!(error instanceof RateLimitExceededError)) throw error;
              firstRefusalAt ??= admitted;
              refusedBy.add(i);
            }
          }),
        );
      }
      // Assess
      expect(admitted).toBeLessThanOrEqual(limit);
      expect(store.total(`key:${who.keyId}`, T0, 'requests')).toBeLessThanOrEqual(limit);
      expect(firstRefusalAt).toBeGreaterThanOrEqual(limit - (containers - 1) * (block - 1));
    },
  );
});
