import type { ServerResponse } from 'node:http';
import { BackendRejectedError, BackendThrottledError, BackendUnavailableError } from '../../../shared/errors/backendErrors';
import { OpenAiCompatibleProvider } from '../../../shared/providers/openai/OpenAiCompatibleProvider';
import type { ChatCall, ChatDelta } from '../../../shared/domain/inference';
import { sendJson, startStubHttpServer } from './stubHttpServer';
import type { StubHttpServer } from './stubHttpServer';

const MODEL = 'openai/gpt-oss-20b';
const call: ChatCall = { model: MODEL, messages: [{ role: 'user', content: 'Hi' }], maxTokens: 20 };

function chunk(delta: Record<string, unknown>, finishReason: string | null = null, usage: unknown = null): string {
  return `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: MODEL, choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }], usage })}\n\n`;
}

const usageChunk = `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: MODEL, choices: [], usage: { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12, completion_tokens_details: { reasoning_tokens: 2 } } })}\n\n`;

function openStream(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
}

async function collect(stream: AsyncIterable<ChatDelta>): Promise<ChatDelta[]> {
  const deltas: ChatDelta[] = [];
  for await (const delta of stream) deltas.push(delta);
  return deltas;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: StubHttpServer;
beforeEach(async () => {
  server = await startStubHttpServer();
});
afterEach(async () => {
  await server.close();
});

describe('OpenAiCompatibleProvider.chatStream', () => {
  it('asks for a stream with usage and yields content, reasoning, tool calls, finish and usage', async () => {
    // Prepare: events cut at awkward places, CRLF line ends, a comment line.
    const body = [
      chunk({ role: 'assistant', content: '' }),
      ': keep-alive\n\n',
      chunk({ reasoning_content: 'Think' }),
      chunk({ reasoning: 'ing.' }).replace(/\n/g, '\r\n'),
      chunk({ content: 'Hel' }),
      chunk({ content: 'lo' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }, 'tool_calls'),
      usageChunk,
      'data: [DONE]\n\n',
    ].join('');
    server.handle((_req, res) => {
      openStream(res);
      const bytes = Buffer.from(body);
      void (async () => {
        for (let i = 0; i < bytes.length; i += 37) {
          res.write(bytes.subarray(i, i + 37));
          await sleep(1);
        }
        res.end();
      })();
    });
    const provider = new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl], apiKey: 'k' });

    // Act
    const deltas = await collect(provider.chatStream({ ...call, metadata: { a: 'b' } }));

    // Assess
    expect(server.requests[0]!.body).toEqual({
      model: MODEL,
      messages: call.messages,
      max_tokens: 20,
      metadata: { a: 'b' },
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(server.requests[0]!.headers.accept).toBe('text/event-stream');
    expect(deltas).toEqual([
      { reasoning: 'Think' },
      { reasoning: 'ing.' },
      { content: 'Hel' },
      { content: 'lo' },
      { toolCalls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] },
      { toolCalls: [{ index: 0, function: { arguments: '{"city":' } }] },
      { toolCalls: [{ index: 0, function: { arguments: '"Paris"}' } }], finishReason: 'tool_calls' },
      { usage: { promptTokens: 7, completionTokens: 5, reasoningTokens: 2 } },
    ]);
  });

  it('throws the mapped error of an in-stream error event after the pieces before it', async () => {
    // Prepare
    server.handle((_req, res) => {
      openStream(res);
      res.end(
        chunk({ content: 'Hi' }) +
          `data: ${JSON.stringify({ error: { object: 'error', message: 'Prompt too long', type: 'BadRequestError', code: 400 } })}\n\n`,
      );
    });
    const stream = new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl] }).chatStream(call)[Symbol.asyncIterator]();

    // Act
    const first = await stream.next();
    const second = stream.next();

    // Assess
    expect(first.value).toEqual({ content: 'Hi' });
    await expect(second).rejects.toBeInstanceOf(BackendRejectedError);
    await expect(second).rejects.toThrow('Prompt too long');
  });

  it('maps an in-stream error without a numeric code to an unavailable backend', async () => {
    // Prepare
    server.handle((_req, res) => {
      openStream(res);
      res.end(`data: ${JSON.stringify({ error: { message: 'engine died', type: 'server_error', code: null } })}\n\n`);
    });

    // Act
    const act = collect(new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl] }).chatStream(call));

    // Assess
    await expect(act).rejects.toBeInstanceOf(BackendUnavailableError);
  });

  it('throws an HTTP error before the body from the first next()', async () => {
    // Prepare
    server.handle((_req, res) => sendJson(res, 429, { error: { message: 'busy' } }, { 'retry-after': '1' }));
    const stream = new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl], backendId: 'gpu' }).chatStream(call)[Symbol.asyncIterator]();

    // Act
    const first = stream.next();

    // Assess
    await expect(first).rejects.toBeInstanceOf(BackendThrottledError);
    await expect(first).rejects.toMatchObject({ retryAfterMs: 1_000, backendId: 'gpu' });
  });

  it('times out a server that never starts answering', async () => {
    // Prepare: headers sent, no event ever.
    server.handle((_req, res) => openStream(res));

    // Act
    const act = collect(new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl], timeoutMs: 100 }).chatStream(call));

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'BackendUnavailableError', code: 'backend_timeout' });
  });

  it('applies the timeout only until the first piece', async () => {
    // Prepare
    server.handle((_req, res) => {
      openStream(res);
      res.write(chunk({ content: 'A' }));
      setTimeout(() => res.end(chunk({ content: 'B' }, 'stop') + 'data: [DONE]\n\n'), 250);
    });

    // Act
    const deltas = await collect(new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl], timeoutMs: 100 }).chatStream(call));

    // Assess
    expect(deltas).toEqual([{ content: 'A' }, { content: 'B', finishReason: 'stop' }]);
  });

  /**
   * Serves a stream of `x` chunks (one, or one every 5 ms) that never ends by itself; the
   * promise resolves when the client drops the connection before the answer is complete.
   */
  function streamUntilTheClientLeaves(pace: 'once' | 'every 5 ms'): Promise<void> {
    return new Promise<void>((disconnected) => {
      server.handle((_req, res) => {
        openStream(res);
        res.on('close', () => {
          if (!res.writableEnded) disconnected();
        });
        if (pace === 'once') {
          res.write(chunk({ content: 'x' }));
          return;
        }
        const timer = setInterval(() => res.write(chunk({ content: 'x' })), 5);
        res.on('close', () => clearInterval(timer));
      });
    });
  }

  it('drops the connection when the consumer stops early', async () => {
    // Prepare
    const gone = streamUntilTheClientLeaves('every 5 ms');

    // Act
    for await (const delta of new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl] }).chatStream(call)) {
      expect(delta).toEqual({ content: 'x' });
      break;
    }

    // Assess
    await expect(gone).resolves.toBeUndefined();
  });

  it('stops and drops the connection when the caller aborts mid-stream', async () => {
    // Prepare
    const gone = streamUntilTheClientLeaves('once');
    const controller = new AbortController();
    const stream = new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl] })
      .chatStream(call, { signal: controller.signal })
      [Symbol.asyncIterator]();

    // Act
    await stream.next();
    const pending = stream.next();
    controller.abort();

    // Assess
    await expect(pending).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(pending).rejects.toThrow(/aborted/);
    await expect(gone).resolves.toBeUndefined();
  });

  it('treats a body that ends before the answer is finished as a broken server', async () => {
    // Prepare
    server.handle((_req, res) => {
      openStream(res);
      res.end(chunk({ content: 'Half' }));
    });

    // Act
    const act = collect(new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl] }).chatStream(call));

    // Assess
    await expect(act).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(act).rejects.toThrow(/before the answer was finished/);
  });

  it('treats an event that is not JSON as a broken server', async () => {
    // Prepare
    server.handle((_req, res) => {
      openStream(res);
      res.end('data: {"choices": [\n\n');
    });

    // Act
    const act = collect(new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl] }).chatStream(call));

    // Assess
    await expect(act).rejects.toBeInstanceOf(BackendUnavailableError);
  });
});
