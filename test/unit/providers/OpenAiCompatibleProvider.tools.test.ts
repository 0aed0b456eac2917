import { OpenAiCompatibleProvider } from '../../../shared/providers/openai/OpenAiCompatibleProvider';
import type { ChatCall } from '../../../shared/domain/inference';
import { sendJson, startStubHttpServer } from './stubHttpServer';
import type { StubHttpServer } from './stubHttpServer';

const MODEL = 'openai/gpt-oss-20b';

let server: StubHttpServer;
beforeEach(async () => {
  server = await startStubHttpServer();
});
afterEach(async () => {
  await server.close();
});

function answer(message: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: MODEL,
    choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: 'stop', logprobs: null, ...extra }],
    usage: { prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 },
  };
}

describe('OpenAiCompatibleProvider.chat request fields', () => {
  it('forwards every call field in OpenAI wire names, metadata included', async () => {
    // Prepare
    server.handle((_req, res) => sendJson(res, 200, answer({ content: '{}' })));
    const tools: ChatCall['tools'] = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather now',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      },
    ];
    const messages: ChatCall['messages'] = [
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '18 C' },
    ];
    const call: ChatCall = {
      model: MODEL,
      messages,
      maxTokens: 100,
      temperature: 0.3,
      topP: 0.9,
      stop: ['END'],
      seed: 1,
      presencePenalty: 0.5,
      frequencyPenalty: -0.5,
      logitBias: { '42': -100 },
      logprobs: true,
      topLogprobs: 3,
      tools,
      toolChoice: { type: 'function', function: { name: 'get_weather' } },
      parallelToolCalls: false,
      responseFormat: { type: 'json_object' },
      reasoningEffort: 'low',
      user: 'end-user-7',
      metadata: { team: 'search' },
    };

    // Act
    await new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl] }).chat(call);

    // Assess
    expect(server.requests[0]!.body).toEqual({
      model: MODEL,
      messages,
      max_tokens: 100,
      temperature: 0.3,
      top_p: 0.9,
      stop: ['END'],
      seed: 1,
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      logit_bias: { '42': -100 },
      logprobs: true,
      top_logprobs: 3,
      tools,
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_object' },
      reasoning_effort: 'low',
      user: 'end-user-7',
      metadata: { team: 'search' },
      stream: false,
    });
  });
});

describe('OpenAiCompatibleProvider.chat answers', () => {
  it('maps tool calls, a null content and finish reason tool_calls', async () => {
    // Prepare
    const toolCalls = [
      { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{}' } },
    ];
    server.handle((_req, res) => sendJson(res, 200, answer({ content: null, tool_calls: toolCalls }, { finish_reason: 'tool_calls' })));

    // Act
    const result = await new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl] }).chat({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hi' }],
    });

    // Assess
    expect(result).toEqual({ content: null, toolCalls, finishReason: 'tool_calls', usage: { promptTokens: 20, completionTokens: 10 } });
  });

  it('repairs tool calls without id or type and with object arguments', async () => {
    // Prepare
    server.handle((_req, res) =>
      sendJson(
        res,
        200,
        answer({ content: null, tool_calls: [{ function: { name: 'f', arguments: { a: 1 } } }] }, { finish_reason: 'tool_calls' }),
      ),
    );

    // Act
    const result = await new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl] }).chat({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hi' }],
    });

    // Assess
    expect(result.toolCalls).toEqual([{ id: 'call_0', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }]);
  });

  it.each([['reasoning_content'], ['reasoning']])('reads the reasoning text from %s, reasoning tokens and logprobs', async (field) => {
    // Prepare
    const logprobs = { content: [{ token: 'Hi', logprob: -0.1, bytes: [72, 105], top_logprobs: [] }] };
    server.handle((_req, res) =>
      sendJson(res, 200, {
        ...answer({ content: 'Hi', [field]: 'The user greets.' }, { logprobs }),
        usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14, completion_tokens_details: { reasoning_tokens: 7 } },
      }),
    );

    // Act
    const result = await new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl] }).chat({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hi' }],
    });

    // Assess
    expect(result).toEqual({
      content: 'Hi',
      reasoning: 'The user greets.',
      finishReason: 'stop',
      logprobs,
      usage: { promptTokens: 5, completionTokens: 9, reasoningTokens: 7 },
    });
  });
});

describe('OpenAiCompatibleProvider.embed inputs', () => {
  function embeddingsFor(count: number, start = 0) {
    return {
      object: 'list',
      model: 'bge-m3',
      data: Array.from({ length: count }, (_, i) => ({ object: 'embedding', index: i, embedding: [start + i] })),
      usage: { prompt_tokens: 6, total_tokens: 6 },
    };
  }

  it('sends token-id arrays as they are and passes dimensions through', async () => {
    // Prepare
    server.handle((_req, res) => sendJson(res, 200, embeddingsFor(2)));

    // Act
    const results = await new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl] }).embed(
      'bge-m3',
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { dimensions: 256 },
    );

    // Assess
    expect(server.requests[0]!.body).toEqual({
      model: 'bge-m3',
      input: [
        [1, 2, 3],
        [4, 5, 6],
      ],
      encoding_format: 'float',
      dimensions: 256,
    });
    expect(results.map((r) => (r.ok ? r.usage.promptTokens : NaN))).toEqual([3, 3]);
  });

  it('splits a mix of texts and token ids into one request per kind, results in input order', async () => {
    // Prepare
    let calls = 0;
    server.handle((req, res) => {
      calls += 1;
      const input = (req.body as { input: unknown[] }).input;
      sendJson(res, 200, embeddingsFor(input.length, calls * 10));
    });

    // Act
    const results = await new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl] }).embed('bge-m3', ['a', [1, 2], 'b']);

    // Assess
    expect(server.requests.map((r) => (r.body as { input: unknown }).input)).toEqual([['a', 'b'], [[1, 2]]]);
    expect(results.map((r) => (r.ok ? r.value.vector : null))).toEqual([[10], [20], [11]]);
  });
});
