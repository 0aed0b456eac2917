import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BackendRejectedError, BackendThrottledError, BackendUnavailableError } from '../../../shared/errors/backendErrors';
import { OpenAiCompatibleProvider } from '../../../shared/providers/openai/OpenAiCompatibleProvider';
import type { ChatCall } from '../../../shared/domain/inference';
import { sendJson, startStubHttpServer } from './stubHttpServer';
import type { StubHttpServer } from './stubHttpServer';

const MODEL = 'openai/gpt-oss-20b';
const call: ChatCall = { model: MODEL, messages: [{ role: 'user', content: 'Hi' }] };

function completion(content: string | null, finishReason = 'stop') {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: MODEL,
    choices: [{ index: 0, message: { role: 'assistant', content, reasoning_content: 'thinking' }, finish_reason: finishReason }],
    usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
  };
}

let server: StubHttpServer;
beforeEach(async () => {
  server = await startStubHttpServer();
});
afterEach(async () => {
  await server.close();
});

describe('OpenAiCompatibleProvider.chat', () => {
  it('posts the OpenAI request body and maps the answer', async () => {
    // Prepare
    server.handle((_req, res) => sendJson(res, 200, completion('Hello!')));
    const provider = new OpenAiCompatibleProvider({ baseUrls: [`${server.baseUrl}/v1/`], apiKey: 'secret', backendId: 'gpu-pool' });
    const messages: ChatCall['messages'] = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
    ];

    // Act
    const result = await provider.chat({ model: MODEL, messages, maxTokens: 50, temperature: 0.5, topP: 0.8, stop: ['\n\n'], seed: 42 });

    // Assess
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request!.method).toBe('POST');
    expect(request!.path).toBe('/v1/chat/completions');
    expect(request!.headers.authorization).toBe('Bearer secret');
    expect(request!.body).toEqual({
      model: MODEL,
      messages,
      max_tokens: 50,
      temperature: 0.5,
      top_p: 0.8,
      stop: ['\n\n'],
      seed: 42,
      stream: false,
    });
    expect(result).toEqual({
      content: 'Hello!',
      reasoning: 'thinking',
      finishReason: 'stop',
      // The server counted no reasoning tokens: estimated from the text ('thinking', 2).
      usage: { promptTokens: 9, completionTokens: 4, reasoningTokens: 2 },
    });
  });

  it.each([
    ['length', 'length'],
    ['content_filter', 'content_filter'],
    ['stop', 'stop'],
    ['an unknown reason', 'stop'],
  ])('maps finish_reason %s to %s', async (wire, expected) => {
    // Prepare
    server.handle((_req, res) => sendJson(res, 200, completion('x', wire)));
    const provider = new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl] });

    // Act
    const result = await provider.chat(call);

    // Assess
    expect(result.finishReason).toBe(expected);
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
  });

  it("takes vLLM's finish_reason abort (a cancelled sequence) as a bad answer, never as a complete one", async () => {
    // Prepare
    server.handle((_req, res) => sendJson(res, 200, completion('x', 'abort')));
    const provider = new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl] });

    // Act
    const failure = await provider.chat(call).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    expect(failure).toMatchObject({ code: 'bad_backend_response', retryable: true });
  });

  it('maps null content without tool calls to an empty string', async () => {
    // Prepare
    server.handle((_req, res) => sendJson(res, 200, completion(null)));

    // Act
    const result = await new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl] }).chat(call);

    // Assess
    expect(result.content).toBe('');
  });
});

describe('OpenAiCompatibleProvider.embed', () => {
  it('sends all inputs as one request and returns them in input order', async () => {
    // Prepare
    server.handle((_req, res) =>
      sendJson(res, 200, {
        object: 'list',
        model: 'bge-m3',
        data: [
          { object: 'embedding', index: 2, embedding: [3, 3] },
          { object: 'embedding', index: 0, embedding: [1, 1] },
          { object: 'embedding', index: 1, embedding: [2, 2] },
        ],
        usage: { prompt_tokens: 10, total_tokens: 10 },
      }),
    );
    const provider = new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl] });

    // Act
    const results = await provider.embed('bge-m3', ['a', 'bb', 'ccccccc']);

    // Assess
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.path).toBe('/v1/embeddings');
    expect(server.requests[0]!.body).toEqual({ model: 'bge-m3', input: ['a', 'bb', 'ccccccc'], encoding_format: 'float' });
    expect(results.map((r) => (r.ok ? r.value.vector : null))).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    const tokens = results.map((r) => (r.ok ? r.usage.promptTokens : Number.NaN));
    expect(tokens.reduce((a, b) => a + b, 0)).toBe(10);
    expect(provider.maxEmbeddingInputs).toBe(64);
  });

  it('treats a wrong number of embeddings as a broken server', async () => {
    // Prepare
    server.handle((_req, res) =>
      sendJson(res, 200, { object: 'list', data: [{ object: 'embedding', index: 0, embedding: [1] }], usage: { prompt_tokens: 2 } }),
    );
    const provider = new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl] });

    // Act
    const act = provider.embed('bge-m3', ['a', 'b']);

    // Assess
    await expect(act).rejects.toBeInstanceOf(BackendUnavailableError);
  });
});

describe('OpenAiCompatibleProvider errors', () => {
  it('maps 429 with Retry-After to BackendThrottledError', async () => {
    // Prepare
    server.handle((_req, res) =>
      sendJson(res, 429, { error: { message: 'busy', type: 'rate_limit', param: null, code: null } }, { 'retry-after': '2' }),
    );
    const provider = new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl], backendId: 'gpu-pool' });

    // Act
    const act = provider.chat(call);

    // Assess
    await expect(act).rejects.toBeInstanceOf(BackendThrottledError);
    await expect(act).rejects.toMatchObject({ retryAfterMs: 2_000, backendId: 'gpu-pool' });
  });

  it('maps 500 to BackendUnavailableError', async () => {
    // Prepare
    server.handle((_req, res) =>
      sendJson(res, 500, { error: { message: 'CUDA out of memory', type: 'server_error', param: null, code: null } }),
    );

    // Act
    const act = new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl] }).chat(call);

    // Assess
    await expect(act).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(act).rejects.toThrow(/CUDA out of memory/);
  });

  it('maps 400 to BackendRejectedError carrying the server message', async () => {
    // Prepare
    const message = "This model's maximum context length is 8192 tokens.";
    server.handle((_req, res) => sendJson(res, 400, { error: { message, type: 'invalid_request_error', param: 'messages', code: null } }));

    // Act
    const act = new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl] }).chat(call);

    // Assess
    await expect(act).rejects.toBeInstanceOf(BackendRejectedError);
    await expect(act).rejects.toThrow(message);
  });

  it('maps a refused connection to BackendUnavailableError', async () => {
    // Prepare: take a free port on 127.0.0.1 and close it again, so nothing listens there.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    // Act
    const act = new OpenAiCompatibleProvider({ baseUrls: [`http://127.0.0.1:${port}`] }).chat(call);

    // Assess
    await expect(act).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(act).rejects.toThrow(/unreachable/);
  });

  it('maps a server that does not answer in time to BackendUnavailableError', async () => {
    // Prepare: never answer.
    server.handle(() => undefined);

    // Act
    const act = new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl], timeoutMs: 100 }).chat(call);

    // Assess
    await expect(act).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(act).rejects.toMatchObject({ code: 'backend_timeout' });
  });

  it('stops when the caller aborts', async () => {
    // Prepare
    server.handle(() => undefined);
    const controller = new AbortController();

    // Act
    const act = new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl] }).chat(call, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);

    // Assess
    await expect(act).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(act).rejects.toThrow(/aborted/);
  });
});

describe('OpenAiCompatibleProvider pool', () => {
  it('spreads calls round robin over the base URLs', async () => {
    // Prepare
    const other = await startStubHttpServer();
    try {
      server.handle((_req, res) => sendJson(res, 200, completion('a')));
      other.handle((_req, res) => sendJson(res, 200, completion('b')));
      const provider = new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl, `${other.baseUrl}/v1`] });

      // Act
      const contents: string[] = [];
      for (let i = 0; i < 3; i += 1) contents.push((await provider.chat(call)).content ?? '');

      // Assess
      expect(contents).toEqual(['a', 'b', 'a']);
      expect(server.requests).toHaveLength(2);
      expect(other.requests).toHaveLength(1);
      expect(other.requests[0]!.path).toBe('/v1/chat/completions');
    } finally {
      await other.close();
    }
  });
});
