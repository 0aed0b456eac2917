import type { ConverseCommandOutput } from '@aws-sdk/client-bedrock-runtime';
import { InvalidRequestError } from '../../../shared/errors/requestErrors';
import { fromConverseOutput, JSON_OBJECT_INSTRUCTION, toConverseInput } from '../../../shared/providers/bedrock/converseMapping';
import type { ChatCall } from '../../../shared/domain/inference';

const MODEL = 'openai.gpt-oss-120b-1:0';
const weather: NonNullable<ChatCall['tools']>[number] = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather now',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
const clock: NonNullable<ChatCall['tools']>[number] = { type: 'function', function: { name: 'get_time' } };

/** A conversation with one round of two tool calls, their results and a follow-up. */
const toolHistory: ChatCall['messages'] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Weather and time in Paris?' },
  {
    role: 'assistant',
    content: 'Let me look.',
    tool_calls: [
      { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '' } },
    ],
  },
  { role: 'tool', tool_call_id: 'call_1', content: '18 C' },
  { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: '14:00' }] },
  { role: 'user', content: 'And tomorrow?' },
];

describe('toConverseInput tools', () => {
  it('maps tools to toolSpecs, with an empty object schema for a tool without parameters', () => {
    // Act
    const input = toConverseInput({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hi' }],
      tools: [weather, { type: 'function', function: { ...clock.function, strict: true } }],
    });

    // Assess
    expect(input.toolConfig).toEqual({
      tools: [
        { toolSpec: { name: 'get_weather', description: 'Weather now', inputSchema: { json: weather.function.parameters } } },
        { toolSpec: { name: 'get_time', inputSchema: { json: { type: 'object', properties: {} } }, strict: true } },
      ],
    });
  });

  it.each([
    ['auto', { auto: {} }],
    ['required', { any: {} }],
    [{ type: 'function', function: { name: 'get_time' } }, { tool: { name: 'get_time' } }],
  ] as const)('maps tool_choice %j to %j', (choice, expected) => {
    // Act
    const input = toConverseInput({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hi' }],
      tools: [weather, clock],
      toolChoice: choice,
    });

    // Assess
    expect(input.toolConfig?.toolChoice).toEqual(expected);
  });

  it('sends no toolChoice when the call names none', () => {
    // Act
    const input = toConverseInput({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }], tools: [weather] });

    // Assess
    expect(input.toolConfig).toBeDefined();
    expect(input.toolConfig).not.toHaveProperty('toolChoice');
  });

  it('maps tool calls to toolUse blocks and merges tool results and the next user text into one user turn', () => {
    // Act
    const input = toConverseInput({ model: MODEL, messages: toolHistory, tools: [weather, clock] });

    // Assess
    expect(input.system).toEqual([{ text: 'Be brief.' }]);
    expect(input.messages).toEqual([
      { role: 'user', content: [{ text: 'Weather and time in Paris?' }] },
      {
        role: 'assistant',
        content: [
          { text: 'Let me look.' },
          { toolUse: { toolUseId: 'call_1', name: 'get_weather', input: { city: 'Paris' } } },
          { toolUse: { toolUseId: 'call_2', name: 'get_time', input: {} } },
        ],
      },
      {
        role: 'user',
        content: [
          { toolResult: { toolUseId: 'call_1', content: [{ text: '18 C' }] } },
          { toolResult: { toolUseId: 'call_2', content: [{ text: '14:00' }] } },
          { text: 'And tomorrow?' },
        ],
      },
    ]);
  });

  it('with tool_choice none sends no tools and writes the tool history out as text', () => {
    // Act
    const input = toConverseInput({ model: MODEL, messages: toolHistory, tools: [weather, clock], toolChoice: 'none' });

    // Assess
    expect(input).not.toHaveProperty('toolConfig');
    expect(input.messages).toEqual([
      { role: 'user', content: [{ text: 'Weather and time in Paris?' }] },
      {
        role: 'assistant',
        content: [
          { text: 'Let me look.' },
          { text: '[Tool call call_1: get_weather({"city":"Paris"})]' },
          { text: '[Tool call call_2: get_time()]' },
        ],
      },
      { role: 'user', content: [{ text: '[Result of tool call call_1]\n18 C\n\n[Result of tool call call_2]\n14:00\n\nAnd tomorrow?' }] },
    ]);
  });

  it('writes the tool history out as text when the call has no tools', () => {
    // Act
    const input = toConverseInput({ model: MODEL, messages: toolHistory });

    // Assess
    expect(input).not.toHaveProperty('toolConfig');
    expect(JSON.stringify(input.messages)).not.toMatch(/toolUse|toolResult/);
  });

  it('refuses tool call arguments that are not JSON, naming the field', () => {
    // Prepare
    const messages: ChatCall['messages'] = [
      { role: 'user', content: 'Hi' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c', type: 'function', function: { name: 'get_weather', arguments: '{"city":' } }],
      },
      { role: 'tool', tool_call_id: 'c', content: 'x' },
    ];

    // Act
    const act = () => toConverseInput({ model: MODEL, messages, tools: [weather] });

    // Assess
    expect(act).toThrow(InvalidRequestError);
    expect(act).toThrow(expect.objectContaining({ param: 'messages[1].tool_calls[0].function.arguments', status: 400 }) as Error);
  });
});

describe('toConverseInput other fields', () => {
  it('maps reasoning_effort, user and metadata', () => {
    // Act
    const input = toConverseInput({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hi' }],
      reasoningEffort: 'high',
      user: 'u-1',
      metadata: { team: 'search', user: 'overridden' },
    });

    // Assess
    expect(input.additionalModelRequestFields).toEqual({ reasoning_effort: 'high' });
    expect(input.requestMetadata).toEqual({ team: 'search', user: 'u-1' });
  });

  it('asks for one JSON object in a system instruction for json_object', () => {
    // Act
    const input = toConverseInput({
      model: MODEL,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      responseFormat: { type: 'json_object' },
    });

    // Assess
    expect(input.system).toEqual([{ text: 'Be brief.' }, { text: JSON_OBJECT_INSTRUCTION }]);
    expect(input).not.toHaveProperty('outputConfig');
  });

  it('maps json_schema to native structured output, alongside the call own tools', () => {
    // Prepare
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };

    // Act
    const input = toConverseInput({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hi' }],
      tools: [weather],
      responseFormat: { type: 'json_schema', json_schema: { name: 'reply', description: 'The reply', schema, strict: true } },
    });

    // Assess
    expect(input.outputConfig).toEqual({
      textFormat: {
        type: 'json_schema',
        structure: { jsonSchema: { name: 'reply', description: 'The reply', schema: JSON.stringify(schema) } },
      },
    });
    expect(input.toolConfig?.tools).toHaveLength(1);
  });

  it('sends nothing for response_format text', () => {
    // Act
    const input = toConverseInput({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }], responseFormat: { type: 'text' } });

    // Assess
    expect(input).toEqual({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'Hi' }] }] });
  });
});

describe('fromConverseOutput', () => {
  function output(
    content: NonNullable<ConverseCommandOutput['output']>['message'],
    stopReason: ConverseCommandOutput['stopReason'],
    outputTokens = 40,
  ): ConverseCommandOutput {
    return {
      output: { message: content! },
      stopReason,
      usage: { inputTokens: 10, outputTokens, totalTokens: 10 + outputTokens },
      metrics: { latencyMs: 1 },
      $metadata: {},
    };
  }

  it('maps toolUse blocks to tool calls, tool_use to tool_calls and content to null', () => {
    // Act
    const result = fromConverseOutput(
      output(
        {
          role: 'assistant',
          content: [
            { toolUse: { toolUseId: 'tooluse_1', name: 'get_weather', input: { city: 'Paris' } } },
            { toolUse: { toolUseId: 'tooluse_2', name: 'get_time', input: {} } },
          ],
        },
        'tool_use',
      ),
    );

    // Assess
    expect(result).toEqual({
      content: null,
      toolCalls: [
        { id: 'tooluse_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'tooluse_2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
      ],
      finishReason: 'tool_calls',
      usage: { promptTokens: 10, completionTokens: 40 },
    });
  });

  it('keeps the reasoning text and estimates reasoning tokens at four characters a token', () => {
    // Act
    const result = fromConverseOutput(
      output(
        {
          role: 'assistant',
          content: [{ reasoningContent: { reasoningText: { text: 'x'.repeat(41) } } }, { text: 'Hi' }],
        },
        'end_turn',
      ),
    );

    // Assess
    expect(result).toEqual({
      content: 'Hi',
      reasoning: 'x'.repeat(41),
      finishReason: 'stop',
      usage: { promptTokens: 10, completionTokens: 40, reasoningTokens: 11 },
    });
  });

  it('never estimates more reasoning tokens than completion tokens', () => {
    // Act
    const result = fromConverseOutput(
      output({ role: 'assistant', content: [{ reasoningContent: { reasoningText: { text: 'y'.repeat(400) } } }] }, 'max_tokens', 30),
    );

    // Assess
    expect(result.usage).toEqual({ promptTokens: 10, completionTokens: 30, reasoningTokens: 30 });
    expect(result.content).toBe('');
    expect(result.finishReason).toBe('length');
  });
});
