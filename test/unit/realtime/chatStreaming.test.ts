import { BatchingCore } from '../../../shared/batchingCore/BatchingCore';
import { ModelCatalogue } from '../../../shared/domain/catalogue';
import type { ChatCompletionChunk } from '../../../shared/domain/chat';
import type { ChatCall, ChatDelta, InferenceInput, InferenceOutput } from '../../../shared/domain/inference';
import { BackendUnavailableError } from '../../../shared/errors/backendErrors';
import { PlatformError } from '../../../shared/errors/PlatformError';
import { InferenceService } from '../../../shared/realtime/InferenceService';
import type { CallOptions, InferenceProvider } from '../../../shared/providers/types';
import { ModelRouter } from '../../../shared/routing/ModelRouter';

/** A provider whose streams are scripted: pieces, and where (if anywhere) it fails. */
class StreamingProvider implements InferenceProvider {
  readonly kind = 'openai-compatible' as const;
  readonly maxEmbeddingInputs = 1;
  readonly calls: { call: ChatCall; signal?: AbortSignal }[] = [];
  pieces: ChatDelta[] = [
    { content: 'Hel' },
    { content: 'lo' },
    { finishReason: 'stop' },
    { usage: { promptTokens: 4, completionTokens: 2, reasoningTokens: 1 } },
  ];
  /** Fail before this piece index (0: before the first piece). */
  failAt: number | undefined;
  /** Wait for the caller's abort after this many pieces. */
  hangAfter: number | undefined;

  constructor(readonly id: string) {}

  async chat(): Promise<never> {
    throw new Error('not used');
  }

  async embed(): Promise<never> {
    throw new Error('not used');
  }

  async *chatStream(call: ChatCall, options: CallOptions = {}): AsyncGenerator<ChatDelta> {
    this.calls.push({ call, signal: options.signal });
    for (const [i, piece] of this.pieces.entries()) {
      if (i === this.failAt) throw new BackendUnavailableError(`${this.id} broke`, { backendId: this.id });
      if (i === this.hangAfter) {
        await new Promise((_, reject) =>
          options.signal?.addEventListener('abort', () => reject(new BackendUnavailableError('aborted', { code: 'cancelled' }))),
        );
      }
      yield piece;
    }
  }
}

const catalogue = ModelCatalogue.parse({
  models: [
    {
      id: 'chat-a',
      kind: 'chat',
      contextTokens: 1_000,
      maxOutputTokens: 100,
      reasoning: true,
      backends: [
        { provider: 'openai-compatible', id: 'gpu', model: 'served-a', baseUrls: ['http://127.0.0.1:1'] },
        { provider: 'bedrock', id: 'bedrock', model: 'br-a' },
      ],
    },
  ],
});

function makeService() {
  const providers = new Map<string, StreamingProvider>();
  const router = new ModelRouter(catalogue, {
    providerFor: (ref) => {
      const p = new StreamingProvider(ref.id);
      providers.set(ref.id, p);
      return p;
    },
    failureThreshold: 3,
    cooldownMs: 60_000,
  });
  const core = new BatchingCore<InferenceInput, InferenceOutput>(router, { baseBackoffMs: 1, maxBackoffMs: 1, maxAttempts: 3 });
  return {
    service: new InferenceService(router, core, () => 1_700_000_000_000),
    gpu: providers.get('gpu')!,
    bedrock: providers.get('bedrock')!,
  };
}

const ask = (extra: Record<string, unknown> = {}) => ({
  model: 'chat-a',
  messages: [{ role: 'user' as const, content: 'hi' }],
  stream: true,
  ...extra,
});

async function collect(chunks: AsyncIterable<ChatCompletionChunk>): Promise<{ chunks: ChatCompletionChunk[]; error?: unknown }> {
  const seen: ChatCompletionChunk[] = [];
  try {
    for await (const chunk of chunks) seen.push(chunk);
  } catch (error) {
    return { chunks: seen, error };
  }
  return { chunks: seen };
}

describe('InferenceService.chatCompletionStream', () => {
  it('streams the role first, then the deltas, finish_reason on the last choice chunk and the usage chunk', async () => {
    // Prepare
    const { service } = makeService();
    // Act
    const { chunks, error } = await collect(await service.chatCompletionStream(ask({ stream_options: { include_usage: true } })));
    // Assess
    expect(error).toBeUndefined();
    expect(chunks.map((c) => c.choices[0]?.delta)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Hel' },
      { content: 'lo' },
      {},
      undefined,
    ]);
    expect(chunks.map((c) => c.choices[0]?.finish_reason ?? null)).toEqual([null, null, null, 'stop', null]);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.at(-1)).toMatchObject({
      object: 'chat.completion.chunk',
      choices: [],
      usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6, completion_tokens_details: { reasoning_tokens: 1 } },
    });
  });

  it('leaves the usage chunk out unless asked', async () => {
    // Act
    const { chunks } = await collect(await service().chatCompletionStream(ask()));
    // Assess
    expect(chunks.every((c) => c.usage === undefined)).toBe(true);
  });

  it('falls back to the next backend when the first fails before its first piece', async () => {
    // Prepare
    const { service, gpu, bedrock } = makeService();
    gpu.failAt = 0;
    // Act
    const { chunks, error } = await collect(await service.chatCompletionStream(ask()));
    // Assess
    expect(error).toBeUndefined();
    expect(chunks.map((c) => c.choices[0]?.delta.content).join('')).toBe('Hello');
    expect(gpu.calls).toHaveLength(1);
    expect(bedrock.calls).toHaveLength(1);
  });

  it('ends the stream with the error once a token has gone out, and never retries it', async () => {
    // Prepare
    const { service, gpu, bedrock } = makeService();
    gpu.failAt = 1;
    // Act
    const { chunks, error } = await collect(await service.chatCompletionStream(ask()));
    // Assess
    expect(chunks.map((c) => c.choices[0]?.delta.content)).toEqual(['', 'Hel']);
    expect(error).toMatchObject({ status: 503, code: 'backend_unavailable' });
    // The backend's own text (and our backend id) stays in the cause, out of the error event.
    expect((error as PlatformError).message).not.toContain('broke');
    expect((error as PlatformError).cause).toBeInstanceOf(BackendUnavailableError);
    expect(bedrock.calls).toHaveLength(0);
  });

  it('throws before any chunk when every backend fails before its first piece', async () => {
    // Prepare
    const { service, gpu, bedrock } = makeService();
    gpu.failAt = 0;
    bedrock.failAt = 0;
    // Act
    const failure = await service.chatCompletionStream(ask()).then(
      () => undefined,
      (error: unknown) => error,
    );
    // Assess
    expect(failure).toBeInstanceOf(PlatformError);
    expect((failure as PlatformError).status).toBe(503);
  });

  it('aborts the backend stream when the caller goes away after the first piece', async () => {
    // Prepare
    const { service, gpu } = makeService();
    gpu.hangAfter = 1;
    const caller = new AbortController();
    const stream = await service.chatCompletionStream(ask(), { signal: caller.signal });
    // Act
    const reading = collect(stream);
    await new Promise((resolve) => setImmediate(resolve));
    caller.abort();
    const { error } = await reading;
    // Assess
    expect(gpu.calls[0]!.signal!.aborted).toBe(true);
    expect(error).toMatchObject({ code: 'cancelled' });
  });

  it('ends a stream of tool calls that gives no reason with finish_reason tool_calls, and estimates uncounted reasoning', async () => {
    // Prepare
    const { service, gpu } = makeService();
    gpu.pieces = [
      { reasoning: 'Think it over first.' },
      { toolCalls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      { usage: { promptTokens: 3, completionTokens: 20 } },
    ];
    // Act
    const { chunks, error } = await collect(await service.chatCompletionStream(ask({ stream_options: { include_usage: true } })));
    // Assess
    expect(error).toBeUndefined();
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)!.usage!.completion_tokens_details).toEqual({ reasoning_tokens: 5 });
  });

  it('ends the backend call when the reader stops right after the first chunk', async () => {
    // Prepare
    const { service, gpu } = makeService();
    gpu.hangAfter = 1;
    const stream = await service.chatCompletionStream(ask());
    // Act
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.return?.();
    // Assess
    expect(gpu.calls[0]!.signal!.aborted).toBe(true);
  });

  it('never ends in success when a strict json_schema answer does not follow the schema', async () => {
    // Prepare
    const { service, gpu } = makeService();
    gpu.pieces = [{ content: '{"n": "not a number"}' }, { finishReason: 'stop' }];
    const format = {
      type: 'json_schema',
      json_schema: { name: 'n', strict: true, schema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] } },
    };
    // Act
    const { chunks, error } = await collect(await service.chatCompletionStream(ask({ response_format: format })));
    // Assess
    expect(chunks.some((c) => c.choices[0]?.finish_reason === 'stop')).toBe(false);
    expect(error).toMatchObject({ code: 'bad_backend_response' });
  });
});

function service(): InferenceService {
  return makeService().service;
}
