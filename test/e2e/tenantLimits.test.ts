import OpenAI, { toFile } from 'openai';
import { waitFor } from '../helpers/waitFor';
import { startLocalPlatformProcess, type LocalPlatformProcess } from '../helpers/localPlatform';

/**
 * Rate limits, OpenAI's rate-limit headers and budgets through the running local
 * platform, with three keys of two tenants: `alpha` (a key limited in requests, one in
 * tokens) and `beta` (a key whose tenant has a budget). Windows are 6 s here
 * (RATE_LIMIT_WINDOW_MS) so a reset comes quickly; settings, usage and keys are read
 * afresh on every request (TTLs 0) so a change shows at once.
 */
const WINDOW_MS = 6_000;
const RESET = /^(\d+ms|\d+(\.\d+)?s)$/;

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

describe('rate limits and budgets per key and tenant, through the local platform', () => {
  let platform: LocalPlatformProcess;
  const keys: Record<'alpha1' | 'alpha2' | 'beta1', { key: string; id: string }> = {} as never;

  async function call(key: string, method: string, path: string, body?: unknown): Promise<Answer> {
    const response = await fetch(`${platform.api}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text,
    };
  }

  const chat = (key: string, extra: Record<string, unknown> = {}) =>
    call(key, 'POST', '/v1/chat/completions', {
      model: 'gpt-oss-20b',
      messages: [{ role: 'user', content: 'Say hi.' }],
      max_tokens: 16,
      ...extra,
    });

  const rateHeaders = (answer: Answer) =>
    Object.fromEntries([...answer.headers.entries()].filter(([name]) => name.startsWith('x-ratelimit-') || name === 'retry-after'));

  /** Waits for the start of a window (windows are aligned to multiples of their length), so a sequence of requests fits in one. */
  async function freshWindow(): Promise<void> {
    await waitFor(
      () => Date.now() % WINDOW_MS,
      (intoWindow) => intoWindow < 300,
      3 * WINDOW_MS,
      20,
    );
  }

  beforeAll(async () => {
    platform = await startLocalPlatformProcess({
      RATE_LIMIT_WINDOW_MS: String(WINDOW_MS),
      AUTH_CACHE_TTL_MS: '0',
      TENANT_SETTINGS_TTL_MS: '0',
      BUDGET_REFRESH_MS: '0',
      USAGE_FLUSH_INTERVAL_MS: '0',
      // The pause test: small chunks (40, of which at most 2 × 4 run at once, so most meet the spent budget), the sweep every second.
      CHUNK_MAX_LINES: '5',
      LOCAL_SQS_CONCURRENCY: '2',
      LOCAL_SCHEDULE_INTERVAL_MS: '1000',
    });
    for (const [name, tenant] of [
      ['alpha1', 'alpha'],
      ['alpha2', 'alpha'],
      ['beta1', 'beta'],
    ] as const) {
      const created = await call(platform.adminKey, 'POST', '/v1/admin/keys', { tenant, name });
      expect(created.status).toBe(200);
      keys[name] = { key: created.body.key, id: created.body.id };
    }
    const limited = await call(platform.adminKey, 'PUT', `/v1/admin/keys/${keys.alpha1.id}/limits`, { requests_per_minute: 3 });
    expect(limited.body).toMatchObject({ id: keys.alpha1.id, limits: { requests_per_minute: 3 } });
    await call(platform.adminKey, 'PUT', `/v1/admin/keys/${keys.alpha2.id}/limits`, { tokens_per_minute: 1_000 });
    const budget = await call(platform.adminKey, 'PUT', '/v1/admin/tenants/beta/limits', { budget: { monthly_spend_usd: 0.000001 } });
    expect(budget.body).toEqual({ object: 'tenant.limits', tenant: 'beta', budget: { monthly_spend_usd: 0.000001 } });
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('counts the requests headers down on ordinary answers, refuses the 4th request of a window with 429 and the headers, and admits again after the reset', async () => {
    // Prepare
    await freshWindow();
    // Act
    const answers = [await chat(keys.alpha1.key), await chat(keys.alpha1.key), await chat(keys.alpha1.key)];
    const refused = await chat(keys.alpha1.key);
    const otherKey = await chat(keys.alpha2.key);
    const recovered = await waitFor(
      () => chat(keys.alpha1.key),
      (answer) => answer.status === 200,
      3 * WINDOW_MS,
      250,
      'the next window',
    );
    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(answers.map((answer) => answer.headers.get('x-ratelimit-remaining-requests'))).toEqual(['2', '1', '0']);
    for (const answer of answers) {
      expect(rateHeaders(answer)).toMatchObject({ 'x-ratelimit-limit-requests': '3', 'x-ratelimit-limit-tokens': '10000000' });
      expect(answer.headers.get('x-ratelimit-reset-requests')).toMatch(RESET);
      expect(answer.headers.get('x-ratelimit-reset-tokens')).toMatch(RESET);
    }
    const tokensLeft = answers.map((answer) => Number(answer.headers.get('x-ratelimit-remaining-tokens')));
    expect(tokensLeft[1]).toBeLessThan(tokensLeft[0]!);
    expect(tokensLeft[2]).toBeLessThan(tokensLeft[1]!);

    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      error: {
        message: expect.stringMatching(/^Rate limit reached for requests per min \(RPM\)/),
        type: 'requests',
        param: null,
        code: 'rate_limit_exceeded',
      },
    });
    expect(rateHeaders(refused)).toMatchObject({ 'x-ratelimit-limit-requests': '3', 'x-ratelimit-remaining-requests': '0' });
    expect(refused.headers.get('x-ratelimit-reset-requests')).toMatch(RESET);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(WINDOW_MS / 1000);

    expect(otherKey.status).toBe(200); // the same tenant's other key has its own counter
    expect(recovered.headers.get('x-ratelimit-remaining-requests')).toBe('2');
  }, 60_000);

  it('refuses a key over its tokens limit with 429 type tokens, and admits it again after the reset', async () => {
    // Prepare: each request is estimated at its prompt plus max_tokens (400), settled with what it used.
    await freshWindow();
    const answers: Answer[] = [];
    // Act
    for (let i = 0; i < 20 && answers.at(-1)?.status !== 429; i++) answers.push(await chat(keys.alpha2.key, { max_tokens: 400 }));
    const refused = answers.at(-1)!;
    const recovered = await waitFor(
      () => chat(keys.alpha2.key, { max_tokens: 400 }),
      (answer) => answer.status === 200,
      3 * WINDOW_MS,
      250,
      'the next window',
    );
    // Assess
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ type: 'tokens', code: 'rate_limit_exceeded', param: null });
    expect(refused.headers.get('x-ratelimit-limit-tokens')).toBe('1000');
    expect(Number(refused.headers.get('x-ratelimit-remaining-tokens'))).toBeLessThan(400);
    expect(refused.headers.get('x-ratelimit-reset-tokens')).toMatch(RESET);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(answers.slice(0, -1).every((answer) => answer.status === 200)).toBe(true);
    expect(recovered.headers.get('x-ratelimit-limit-tokens')).toBe('1000');
  }, 60_000);

  it('puts the headers on streamed answers and on errors too', async () => {
    await freshWindow();
    const streamed = await chat(keys.alpha1.key, { stream: true });
    const unknownModel = await chat(keys.alpha1.key, { model: 'gpt-9' });
    const invalid = await chat(keys.alpha2.key, { max_tokens: -1 });
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(streamed.headers.get('x-ratelimit-remaining-requests')).toBe('2');
    // Refused before admission (no model to estimate against, an invalid body): the counters as they stand.
    expect(unknownModel.status).toBe(404);
    expect(rateHeaders(unknownModel)).toMatchObject({ 'x-ratelimit-limit-requests': '3', 'x-ratelimit-remaining-requests': '2' });
    expect(invalid.status).toBe(400);
    expect(rateHeaders(invalid)).toMatchObject({ 'x-ratelimit-limit-tokens': '1000', 'x-ratelimit-limit-requests': '10000' });
    expect(streamed.body).toContain('data: [DONE]');
  }, 60_000);

  /** Creates keys for `tenant` (named `<tenant><n>`) and sets the tenant's own rate limits. */
  async function tenantWithKeys(tenant: string, count: number, limits: Record<string, number>): Promise<string[]> {
    const created: string[] = [];
    for (let n = 1; n <= count; n++) {
      const key = await call(platform.adminKey, 'POST', '/v1/admin/keys', { tenant, name: `${tenant}${n}` });
      expect(key.status).toBe(200);
      created.push(key.body.key);
    }
    const set = await call(platform.adminKey, 'PUT', `/v1/admin/tenants/${tenant}/limits`, { limits });
    expect(set.body).toEqual({ object: 'tenant.limits', tenant, limits });
    return created;
  }

  it("refuses two keys of one tenant together over the tenant's requests limit (each under its own) with 429 and the tenant's headers, leaves another tenant alone, and admits again after the reset", async () => {
    // Prepare: tenant delta may make 4 requests a window over all its keys; each key keeps the default 10,000.
    const [delta1, delta2] = await tenantWithKeys('delta', 2, { requests_per_minute: 4 });
    const [epsilon1] = await tenantWithKeys('epsilon', 1, { requests_per_minute: 4 });
    await freshWindow();
    // Act
    const answers = [await chat(delta1!), await chat(delta2!), await chat(delta1!), await chat(delta2!)];
    const refused = await chat(delta2!);
    const refusedOther = await chat(delta1!);
    const otherTenant = await chat(epsilon1!);
    const recovered = await waitFor(
      () => chat(delta2!),
      (answer) => answer.status === 200,
      3 * WINDOW_MS,
      250,
      'the next window',
    );
    // Assess: the headers report the tighter limit (the one with less left): the tenant's, counted over both keys.
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    expect(answers.map((answer) => answer.headers.get('x-ratelimit-limit-requests'))).toEqual(['4', '4', '4', '4']);
    expect(answers.map((answer) => answer.headers.get('x-ratelimit-remaining-requests'))).toEqual(['3', '2', '1', '0']);
    // Neither limits tokens but the key (10M default): the tokens headers are the key's.
    for (const answer of answers) expect(answer.headers.get('x-ratelimit-limit-tokens')).toBe('10000000');

    for (const answer of [refused, refusedOther]) {
      expect(answer.status).toBe(429);
      expect(answer.body).toEqual({
        error: {
          message: expect.stringMatching(
            /^Rate limit reached for requests per min \(RPM\) on tenant 'delta': Limit 4, Remaining 0, Requested 1\./,
          ),
          type: 'requests',
          param: null,
          code: 'rate_limit_exceeded',
        },
      });
      expect(rateHeaders(answer)).toMatchObject({ 'x-ratelimit-limit-requests': '4', 'x-ratelimit-remaining-requests': '0' });
      expect(answer.headers.get('x-ratelimit-reset-requests')).toMatch(RESET);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number(answer.headers.get('retry-after'))).toBeLessThanOrEqual(WINDOW_MS / 1000);
    }

    expect(otherTenant.status).toBe(200);
    expect(rateHeaders(otherTenant)).toMatchObject({ 'x-ratelimit-limit-requests': '4', 'x-ratelimit-remaining-requests': '3' });
    expect(recovered.headers.get('x-ratelimit-limit-requests')).toBe('4');
    expect(recovered.headers.get('x-ratelimit-remaining-requests')).toBe('3');
  }, 60_000);

  it("refuses two keys of one tenant together over the tenant's tokens limit with 429 type tokens, and admits again after the reset", async () => {
    // Prepare: tenant zeta may use 1,000 tokens a window; each request is estimated at its prompt plus max_tokens (400).
    const [zeta1, zeta2] = await tenantWithKeys('zeta', 2, { tokens_per_minute: 1_000 });
    await freshWindow();
    const answers: Answer[] = [];
    // Act: the keys take turns.
    for (let i = 0; i < 20 && answers.at(-1)?.status !== 429; i++)
      answers.push(await chat(i % 2 === 0 ? zeta1! : zeta2!, { max_tokens: 400 }));
    const refused = answers.at(-1)!;
    const recovered = await waitFor(
      () => chat(zeta1!, { max_tokens: 400 }),
      (answer) => answer.status === 200,
      3 * WINDOW_MS,
      250,
      'the next window',
    );
    // Assess: two requests of about 410 fit in 1,000 tokens, one from each key (what an answer did not use is given back, so maybe more).
    expect(answers.length).toBeGreaterThanOrEqual(3);
    expect(answers.slice(0, -1).every((answer) => answer.status === 200)).toBe(true);
    expect(answers[0]!.headers.get('x-ratelimit-limit-tokens')).toBe('1000');
    expect(answers[1]!.headers.get('x-ratelimit-limit-tokens')).toBe('1000');
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ type: 'tokens', code: 'rate_limit_exceeded', param: null });
    expect(refused.body.error.message).toMatch(/^Rate limit reached for tokens per min \(TPM\) on tenant 'zeta'/);
    expect(refused.headers.get('x-ratelimit-limit-tokens')).toBe('1000');
    expect(Number(refused.headers.get('x-ratelimit-remaining-tokens'))).toBeLessThan(400);
    expect(refused.headers.get('x-ratelimit-reset-tokens')).toMatch(RESET);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(recovered.headers.get('x-ratelimit-limit-tokens')).toBe('1000');
  }, 60_000);

  it("refuses a tenant over its budget with 429 insufficient_quota, warns once per threshold, and leaves the other tenant's keys alone", async () => {
    // Act: the first request is admitted (nothing spent yet); its usage passes the $0.000001 budget.
    const first = await chat(keys.beta1.key);
    const refused = await waitFor(
      () => chat(keys.beta1.key),
      (answer) => answer.status === 429,
      20_000,
      250,
      'the budget to be spent',
    );
    const batch = await call(keys.beta1.key, 'POST', '/v1/batches', {
      input_file_id: 'file-none',
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const queued = await call(keys.beta1.key, 'POST', '/v1/requests', {
      url: '/v1/chat/completions',
      body: { model: 'gpt-oss-20b', messages: [{ role: 'user', content: 'hi' }] },
    });
    const usage = await call(keys.beta1.key, 'GET', '/v1/usage');
    const events = (await (await fetch(`${platform.events}/_events`)).json()) as { 'detail-type': string; detail: Record<string, any> }[];
    const other = await chat(keys.alpha2.key);
    // Assess
    expect(first.status).toBe(200);
    expect(refused.body).toEqual({
      error: {
        message: expect.stringMatching(/^You exceeded your current quota/),
        type: 'insufficient_quota',
        param: null,
        code: 'insufficient_quota',
      },
    });
    expect(refused.headers.get('x-should-retry')).toBe('false');
    expect([batch.status, batch.body.error.code, queued.status, queued.body.error.code]).toEqual([
      429,
      'insufficient_quota',
      429,
      'insufficient_quota',
    ]);
    expect(refused.headers.get('x-ratelimit-limit-requests')).toBe('10000');
    expect(usage.status).toBe(200);
    expect(usage.body).toMatchObject({
      object: 'usage.limits',
      tenant: 'beta',
      key_id: keys.beta1.id,
      limits: { key: { requests_per_minute: 10_000, tokens_per_minute: 10_000_000, concurrent_requests: null } },
      budget: { monthly_spend_usd: 0.000001 },
      usage: { object: 'usage.report', tenant: 'beta' },
    });
    expect(usage.body.budget.spend_usd).toBeGreaterThan(0.000001);
    expect(usage.body.budget.used_fraction).toBeGreaterThanOrEqual(1);
    const warnings = events.filter(
      (event) => event['detail-type'] === 'Tenant Budget Threshold Reached' && event.detail.tenantId === 'beta',
    );
    expect(warnings.map((event) => event.detail.threshold).sort()).toEqual([0.5, 0.8, 1]);
    expect(other.status).not.toBe(429);
  }, 60_000);

  it('the openai client reads the 429s: a rate limit is a RateLimitError with the headers, and insufficient_quota is not retried', async () => {
    // Prepare
    let calls = 0;
    const counted: typeof fetch = (input, init) => {
      calls += 1;
      return fetch(input, init);
    };
    const quota = new OpenAI({ baseURL: `${platform.api}/v1`, apiKey: keys.beta1.key, maxRetries: 2, fetch: counted });
    const limited = new OpenAI({ baseURL: `${platform.api}/v1`, apiKey: keys.alpha1.key, maxRetries: 0 });
    await freshWindow();
    for (let i = 0; i < 3; i++) await chat(keys.alpha1.key);
    // Act
    const quotaError = await quota.chat.completions
      .create({ model: 'gpt-oss-20b', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    const rateError = await limited.chat.completions
      .create({ model: 'gpt-oss-20b', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    // Assess
    expect(quotaError).toBeInstanceOf(OpenAI.RateLimitError);
    expect(quotaError).toMatchObject({ status: 429, code: 'insufficient_quota', type: 'insufficient_quota' });
    expect(calls).toBe(1);
    expect(rateError).toBeInstanceOf(OpenAI.RateLimitError);
    expect(rateError).toMatchObject({ status: 429, code: 'rate_limit_exceeded', type: 'requests' });
    expect((rateError as InstanceType<typeof OpenAI.RateLimitError>).headers.get('x-ratelimit-remaining-requests')).toBe('0');
  }, 60_000);

  it('pauses a running job of a tenant over its budget with running_jobs: pause, and resumes it to completion, every line once, when the budget is raised', async () => {
    // Prepare: a fourth key, of tenant gamma, whose budget pauses its jobs; a 200-line job in 40 chunks.
    const created = await call(platform.adminKey, 'POST', '/v1/admin/keys', { tenant: 'gamma', name: 'gamma1' });
    const gamma = created.body.key as string;
    await call(platform.adminKey, 'PUT', '/v1/admin/tenants/gamma/limits', { budget: { monthly_tokens: 300, running_jobs: 'pause' } });
    const client = new OpenAI({ baseURL: `${platform.api}/v1`, apiKey: gamma, maxRetries: 0 });
    const ids = Array.from({ length: 200 }, (_, i) => `gamma-${i}`);
    const text = ids
      .map((id) =>
        JSON.stringify({
          custom_id: id,
          method: 'POST',
          url: '/v1/chat/completions',
          body: { model: 'gpt-oss-20b', messages: [{ role: 'user', content: `Say hi to ${id}.` }], max_tokens: 16 },
        }),
      )
      .join('\n');
    const file = await client.files.create({ file: await toFile(Buffer.from(text), 'gamma.jsonl'), purpose: 'batch' });
    const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });

    // Act: its own lines spend the 300 tokens, then its chunks are set aside.
    const paused = await waitFor(
      async () => (await call(gamma, 'GET', `/v1/batches/${batch.id}`)).body,
      (body) => typeof body.paused_at === 'number' || body.status === 'completed',
      60_000,
      200,
      'the job to pause',
    );
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const stillPaused = (await call(gamma, 'GET', `/v1/batches/${batch.id}`)).body;
    const refused = await call(gamma, 'POST', '/v1/batches', {
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    await call(platform.adminKey, 'PUT', '/v1/admin/tenants/gamma/limits', {
      budget: { monthly_tokens: 10_000_000, running_jobs: 'pause' },
    });
    const done = await waitFor(
      () => client.batches.retrieve(batch.id),
      (body) => body.status === 'completed',
      90_000,
      250,
      'the resumed job to complete',
    );
    const results = (await (await client.files.content(done.output_file_id!)).text())
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { custom_id: string; response: { status_code: number } });

    // Assess
    expect(paused.status).toBe('in_progress');
    expect(paused.request_counts.completed).toBeLessThan(200);
    expect(stillPaused.status).toBe('in_progress');
    expect(stillPaused.paused_at).toBe(paused.paused_at);
    expect(stillPaused.request_counts.completed).toBeLessThan(200);
    expect([refused.status, refused.body.error.code]).toEqual([429, 'insufficient_quota']);
    expect(done.request_counts).toEqual({ total: 200, completed: 200, failed: 0 });
    expect((done as unknown as Record<string, unknown>).paused_at).toBeUndefined();
    expect(results.map((line) => line.custom_id).sort()).toEqual([...ids].sort());
    expect(results.every((line) => line.response.status_code === 200)).toBe(true);
  }, 180_000);
});
