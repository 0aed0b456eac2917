import { ModelCatalogue, type ModelEntry } from '../../../shared/domain/catalogue';
import { ChatCompletionRequest } from '../../../shared/domain/chat';
import { ContextLengthExceededError, InvalidRequestError } from '../../../shared/errors/requestErrors';
import { chatItems, planChat } from '../../../shared/realtime/chatRequests';
import { parseRoute } from '../../../shared/routing/ModelRouter';

const [mixed, bedrockOnly] = ModelCatalogue.parse({
  models: [
    {
      id: 'mixed',
      kind: 'chat',
      contextTokens: 1_000,
      maxOutputTokens: 600,
      reasoning: true,
      backends: [
        { provider: 'openai-compatible', id: 'gpu', model: 'm', baseUrls: ['http://127.0.0.1:1'] },
        { provider: 'bedrock', id: 'bedrock', model: 'b' },
      ],
    },
    {
      id: 'bedrock-only',
      kind: 'chat',
      contextTokens: 1_000,
      maxOutputTokens: 600,
      backends: [{ provider: 'bedrock', id: 'bedrock', model: 'b' }],
    },
  ],
}).models as [ModelEntry, ModelEntry];

const request = (extra: Record<string, unknown> = {}) =>
  ChatCompletionRequest.parse({ model: 'mixed', messages: [{ role: 'user', content: 'hello there' }], ...extra });

function refusal(run: () => unknown): InvalidRequestError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidRequestError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('planChat', () => {
  it('gives an unbounded request the model ceiling as its output budget, shortened to what the context leaves', () => {
    // Prepare: a prompt of about 100 tokens in a 1,000-token window with a ceiling of 600.
    const short = request();
    const long = request({ messages: [{ role: 'user', content: 'x'.repeat(2_000) }] });
    // Act
    const shortPlan = planChat(short, mixed);
    const longPlan = planChat(long, mixed);
    // Assess
    expect(shortPlan.call.maxTokens).toBe(600);
    expect(longPlan.call.maxTokens).toBe(1_000 - 504);
  });

  it('refuses an asked budget over the ceiling or the context, naming the field', () => {
    // Act
    const over = refusal(() => planChat(request({ max_completion_tokens: 601 }), mixed));
    // Assess
    expect(over).toMatchObject({ param: 'max_completion_tokens', code: 'invalid_value' });
    expect(() => planChat(request({ max_tokens: 600, messages: [{ role: 'user', content: 'x'.repeat(2_000) }] }), mixed)).toThrow(
      ContextLengthExceededError,
    );
  });

  it('routes fields only GPU servers serve to them, and refuses them where no backend can', () => {
    // Act
    const seeded = planChat(request({ seed: 7, logprobs: true, top_logprobs: 2 }), mixed);
    const neutral = planChat(request({ presence_penalty: 0, frequency_penalty: 0 }), mixed);
    const onBedrock = refusal(() => planChat({ ...request({ seed: 7 }), model: 'bedrock-only' }, bedrockOnly));
    // Assess
    expect(parseRoute(seeded.route)).toEqual({ modelId: 'mixed', requirements: ['logprobs', 'seed'] });
    expect(seeded.call).toMatchObject({ seed: 7, logprobs: true, topLogprobs: 2 });
    expect(parseRoute(neutral.route).requirements).toEqual([]);
    expect(onBedrock).toMatchObject({ param: 'seed', code: 'unsupported_parameter' });
  });

  it('carries tools, tool choice, structured output, reasoning and tags to the call; null means absent', () => {
    // Prepare
    const tools = [
      { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } },
    ];
    const format = { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } };
    // Act
    const plan = planChat(
      request({
        tools,
        tool_choice: 'required',
        parallel_tool_calls: false,
        response_format: format,
        reasoning_effort: 'low',
        user: 'u-1',
        metadata: { team: 'search' },
        temperature: null,
        max_tokens: null,
        stop: 'END',
      }),
      mixed,
    );
    // Assess
    expect(plan.call).toMatchObject({
      tools,
      toolChoice: 'required',
      parallelToolCalls: false,
      responseFormat: format,
      reasoningEffort: 'low',
      user: 'u-1',
      metadata: { team: 'search' },
      stop: ['END'],
      maxTokens: 600,
    });
    expect(plan.call.temperature).toBeUndefined();
  });

  it('refuses reasoning_effort on a model that does not reason, and a schema that does not compile', () => {
    // Act
    const effort = refusal(() => planChat({ ...request({ reasoning_effort: 'high' }), model: 'bedrock-only' }, bedrockOnly));
    const schema = refusal(() =>
      planChat(request({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'no-such-type' } } } }), mixed),
    );
    // Assess
    expect(effort).toMatchObject({ param: 'reasoning_effort', code: 'unsupported_parameter' });
    expect(schema).toMatchObject({ param: 'response_format.json_schema.schema', code: 'invalid_value' });
  });
});

describe('chatItems', () => {
  it('refuses streaming outside the real-time route, naming stream', () => {
    // Act
    const error = refusal(() => chatItems(request({ stream: true }), mixed));
    // Assess
    expect(error).toMatchObject({ param: 'stream', code: 'unsupported_parameter' });
  });
});

describe('ChatCompletionRequest', () => {
  it('takes a full tool round trip: assistant tool calls with null content, then tool messages', () => {
    // Act
    const parsed = ChatCompletionRequest.safeParse({
      model: 'mixed',
      messages: [
        { role: 'user', content: 'weather?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp":3}' },
      ],
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' }, strict: null } }],
    });
    // Assess
    expect(parsed.success).toBe(true);
  });
});

describe('planChat, tool call history', () => {
  it('refuses earlier tool-call arguments that are not a JSON object, naming them, and takes empty ones', () => {
    // Prepare
    const history = (args: string) =>
      request({
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: args } }] },
          { role: 'tool', tool_call_id: 'c1', content: 'done' },
        ],
      });
    // Act
    const broken = refusal(() => planChat(history('{not json'), mixed));
    const list = refusal(() => planChat(history('[1, 2]'), mixed));
    // Assess
    expect(broken).toMatchObject({ param: 'messages[1].tool_calls[0].function.arguments', code: 'invalid_value' });
    expect(list.param).toBe('messages[1].tool_calls[0].function.arguments');
    expect(() => planChat(history(''), mixed)).not.toThrow();
    expect(() => planChat(history('{"a": 1}'), mixed)).not.toThrow();
  });
});
