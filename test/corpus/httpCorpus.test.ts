import { startLocalPlatformProcess, type LocalPlatformProcess } from '../helpers/localPlatform';
import { bodyBytes, includes, loadHttpCases, readmeErrorsSection, type HttpCase, type HttpExpectation } from './corpusFixtures';
import { makeHttpWorld, type HttpWorld, type RouteAnswer, type RouteRequest } from './httpWorld';

/**
 * The HTTP half of the bad-input corpus: every fixture under `test/corpus/http/` is sent
 * through the real handlers (authorizer first, as API Gateway runs it) and must get its
 * clear error — status, code, the field it names — and never a 500; then a valid request
 * to the same function must still succeed. Fixtures marked `local` are also sent with raw
 * `fetch` to the running local platform, whose process must survive them all.
 */
const cases = loadHttpCases();

const VALID_CHAT = { model: 'gpt-oss-20b', messages: [{ role: 'user', content: 'Still there?' }], max_tokens: 16 };
const VALID_EMBEDDINGS = { model: 'bge-m3', input: ['still', 'there'] };

/** A multipart upload of a one-line .jsonl file, as the openai client sends it. */
async function uploadBody(): Promise<{ contentType: string; body: Buffer }> {
  const line = JSON.stringify({ custom_id: 'follow-up', method: 'POST', url: '/v1/chat/completions', body: VALID_CHAT });
  const form = new FormData();
  form.append('purpose', 'batch');
  form.append('file', new File([`${line}\n`], 'follow-up.jsonl'));
  const request = new Request('http://corpus.test/v1/files', { method: 'POST', body: form });
  return { contentType: request.headers.get('content-type')!, body: Buffer.from(await request.arrayBuffer()) };
}

/** A valid request to the function that serves `route`, to show it still works after a bad one. */
async function followUpFor(route: string, world: HttpWorld): Promise<RouteRequest> {
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  if (route === 'POST /v1/embeddings') return { route, body: json(VALID_EMBEDDINGS) };
  if (route.includes('/v1/models')) return { route: 'GET /v1/models' };
  if (route.includes('/v1/files')) {
    const { contentType, body } = await uploadBody();
    return { route: 'POST /v1/files', headers: { 'content-type': contentType }, body, base64: true };
  }
  if (route.includes('/v1/batches')) {
    const file = await world.send(await followUpFor('POST /v1/files', world));
    return {
      route: 'POST /v1/batches',
      body: json({ input_file_id: file.body.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
    };
  }
  return { route: 'POST /v1/chat/completions', body: json(VALID_CHAT) };
}

/** Checks an answer against a fixture's expectation: the OpenAI error shape, its code, field and message. */
function assessAnswer(answer: { status: number; body: any }, expected: HttpExpectation): void {
  expect({ status: answer.status, code: answer.body?.error?.code ?? null }).toEqual({
    status: expected.status,
    code: expected.code ?? (expected.status < 400 ? null : expect.any(String)),
  });
  if (expected.status < 400) return;
  expect(answer.body).toEqual({
    error: { message: expect.any(String), type: expect.any(String), param: answer.body.error.param ?? null, code: expected.code },
  });
  if (expected.param !== undefined) expect(answer.body.error.param).toBe(expected.param);
  for (const part of includes(expected.messageIncludes)) expect(answer.body.error.message).toContain(part);
}

/** Every chat call the fake backends received so far. */
const chatCalls = (world: HttpWorld) => [...world.providers.values()].flatMap((provider) => provider.chatCalls);
const embedCalls = (world: HttpWorld) => [...world.providers.values()].flatMap((provider) => provider.embedCalls);

describe('HTTP bad-input corpus, through the real handlers', () => {
  let world: HttpWorld;

  beforeAll(async () => {
    world = await makeHttpWorld();
  });

  it('holds at least 40 HTTP cases, each with an expected status', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(cases.every((testCase) => Number.isInteger(testCase.expect.status) && testCase.description.length > 0)).toBe(true);
  });

  it("lists every code the corpus expects, with its status, in README's Errors section", () => {
    // Prepare
    const section = readmeErrorsSection();
    const expected = cases
      .filter((testCase) => testCase.expect.code)
      .map((testCase) => [testCase.expect.status, testCase.expect.code!] as const);
    // Act
    const rows = expected.filter(([status, code]) => !new RegExp(`^\\| ${status} \\|.*\`${code}\``, 'm').test(section));
    // Assess
    expect(rows).toEqual([]);
    for (const gateway of cases.flatMap((testCase) => testCase.expectLocal?.gatewayMessage ?? [])) expect(section).toContain(gateway);
  });

  it.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s', async (_name, testCase: HttpCase) => {
    // Prepare
    const { bytes, base64 } = bodyBytes(testCase.body);
    const chatBefore = chatCalls(world).length;
    const embedBefore = embedCalls(world).length;
    const followUp = await followUpFor(testCase.route, world);

    // Act
    const answer = await world.send({
      route: testCase.route,
      path: testCase.path,
      query: testCase.query,
      headers: testCase.headers,
      body: bytes,
      base64,
    });
    const chatSent = chatCalls(world).slice(chatBefore);
    const embedSent = embedCalls(world).slice(embedBefore);
    const after = await world.send(followUp);

    // Assess: the clear error it gets (or, for the edge cases that are valid, the exact content reaching the backend).
    assessAnswer(answer, testCase.expect);
    if (answer.status >= 400) {
      expect(chatSent).toEqual([]);
      expect(embedSent).toEqual([]);
    } else if (testCase.route === 'POST /v1/chat/completions') {
      const sent = JSON.parse(bytes!.toString('utf8'));
      expect(chatSent.map((call) => call.messages)).toEqual([sent.messages]);
    } else if (testCase.route === 'POST /v1/embeddings') {
      const sent = JSON.parse(bytes!.toString('utf8'));
      expect(embedSent.flatMap((call) => call.inputs)).toEqual([sent.input].flat());
    }
    // Assess: the function still serves a valid request right after.
    expect({ status: after.status, body: after.status === 200 ? 'ok' : after.body }).toEqual({ status: 200, body: 'ok' });
  });
});

describe('HTTP bad-input corpus, through the local platform with raw fetch', () => {
  const localCases = cases.filter((testCase) => testCase.local);
  let platform: LocalPlatformProcess;

  beforeAll(async () => {
    platform = await startLocalPlatformProcess({ POWERTOOLS_LOG_LEVEL: 'WARN' });
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
  });

  /** Sends a case as a client would: method, path, headers (JSON and the key by default) and the raw bytes. */
  async function send(testCase: Pick<HttpCase, 'route' | 'path' | 'query' | 'headers' | 'body'>): Promise<RouteAnswer> {
    const [method, template] = testCase.route.split(' ') as [string, string];
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(testCase.path?.[name] ?? ''));
    const query = testCase.query ? `?${new URLSearchParams(testCase.query).toString()}` : '';
    const headers: Record<string, string> = {
      authorization: `Bearer ${platform.apiKey}`,
      ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
    };
    for (const [name, value] of Object.entries(testCase.headers ?? {})) {
      if (value === null) delete headers[name];
      else headers[name] = value.replaceAll('$KEY', platform.apiKey);
    }
    const { bytes } = bodyBytes(testCase.body);
    const response = await fetch(`${platform.api}${path}${query}`, { method, headers, ...(bytes ? { body: bytes } : {}) });
    const text = await response.text();
    const contentType = response.headers.get('content-type') ?? '';
    return {
      status: response.status,
      headers: Object.fromEntries(response.headers),
      text,
      body: /json/.test(contentType) ? JSON.parse(text) : text,
    };
  }

  it('marks at least 6 cases to run here: content type, huge bodies, deep nesting', () => {
    expect(localCases.length).toBeGreaterThanOrEqual(6);
  });

  it.each(localCases.map((testCase) => [testCase.name, testCase] as const))(
    '%s',
    async (_name, testCase: HttpCase) => {
      // Act
      const answer = await send(testCase);
      const after = await send({ route: 'POST /v1/chat/completions', body: { json: VALID_CHAT } });

      // Assess
      const expected = testCase.expectLocal ?? testCase.expect;
      if (testCase.expectLocal?.gatewayMessage) {
        // API Gateway itself refuses before any function runs, with its own body.
        expect({ status: answer.status, body: answer.body }).toEqual({
          status: expected.status,
          body: { message: testCase.expectLocal.gatewayMessage },
        });
      } else {
        assessAnswer(answer, expected);
      }
      expect(after.status).toBe(200);
      expect(after.body).toMatchObject({ object: 'chat.completion', model: 'gpt-oss-20b' });
    },
    60_000,
  );

  it('survives them all: the process still runs and logged no crash', async () => {
    // Act
    const health = await fetch(`${platform.api}/health`);
    // Assess
    expect(health.status).toBe(200);
    expect(platform.output()).not.toMatch(/RangeError|Maximum call stack|unhandled rejection|failed in the gateway itself/);
  });
});
