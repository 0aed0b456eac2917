import { parseBatchLine } from '../../../../shared/batchJobs/lines/lineFormats';
import { resolveBedrockModel } from '../../../../shared/batchJobs/lines/bedrockLine';
import type { LineContext, LineError, ParsedLine } from '../../../../shared/batchJobs/lines/types';
import { ModelNotFoundError } from '../../../../shared/errors/requestErrors';
import { lineContext, router } from './batchFixtures';

const record = (modelInput: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ recordId: 'rec-1', modelInput, ...extra });
const converse = { messages: [{ role: 'user', content: [{ text: 'hi' }] }] };

describe('a Bedrock line without recordId', () => {
  it('gets one, as Bedrock adds it: 11 alphanumeric characters, the line number zero-padded', () => {
    // Act
    const parsed = parseBatchLine(JSON.stringify({ modelInput: converse }), 6, lineContext({ bedrockModel: 'gpt-oss-20b' }));

    // Assess
    expect(parsed).toMatchObject({
      ok: true,
      customId: '00000000006',
      format: 'bedrock',
      echo: { modelInput: converse, shape: 'converse' },
    });
    expect(parsed.customId).toMatch(/^[0-9A-Za-z]{11}$/);
  });
});
const chatModel = lineContext({ bedrockModel: 'gpt-oss-20b' });
const titan = lineContext({ bedrockModel: 'amazon.titan-embed-text-v2:0' });

function accepted(text: string, context: LineContext): ParsedLine {
  const parsed = parseBatchLine(text, 2, context);
  if (!parsed.ok) throw new Error(`expected a request, got ${parsed.message}`);
  return parsed;
}

function refusal(text: string, context: LineContext): LineError {
  const parsed = parseBatchLine(text, 6, context);
  if (parsed.ok) throw new Error(`expected a refusal, got ${JSON.stringify(parsed)}`);
  return parsed;
}

describe('parseBatchLine, Bedrock batch format', () => {
  it('converts a Converse input to the equivalent chat request', () => {
    // Prepare
    const input = {
      system: [{ text: 'Be brief.' }],
      messages: [
        { role: 'user', content: [{ text: 'Hello' }] },
        { role: 'assistant', content: [{ text: 'Hi.' }] },
        { role: 'user', content: [{ text: 'Part one. ' }, { text: 'Part two.' }] },
      ],
      inferenceConfig: { maxTokens: 50, temperature: 0.2, topP: 0.9, stopSequences: ['END'] },
    };
    // Act
    const parsed = accepted(record(input), chatModel);
    // Assess
    expect(parsed).toMatchObject({
      ok: true,
      lineNumber: 2,
      customId: 'rec-1',
      format: 'bedrock',
      model: 'gpt-oss-20b',
      url: '/v1/chat/completions',
    });
    expect(parsed.body).toEqual({
      model: 'gpt-oss-20b',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
        { role: 'assistant', content: 'Hi.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Part one. ' },
            { type: 'text', text: 'Part two.' },
          ],
        },
      ],
      max_tokens: 50,
      temperature: 0.2,
      top_p: 0.9,
      stop: ['END'],
    });
  });

  it('converts a Titan embeddings input, ignoring normalize', () => {
    const parsed = accepted(record({ inputText: 'embed me', normalize: true }), titan);
    expect(parsed).toMatchObject({
      url: '/v1/embeddings',
      model: 'titan-embed-text-v2',
      body: { model: 'titan-embed-text-v2', input: 'embed me' },
      estimatedTokens: 2,
    });
    const sized = accepted(record({ inputText: 'embed me', dimensions: 256 }), titan);
    expect(sized).toMatchObject({ body: { model: 'titan-embed-text-v2', input: 'embed me', dimensions: 256 } });
  });

  it("takes gpt-oss's OpenAI-shaped InvokeModel body as a chat request", () => {
    // Prepare
    const input = {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      max_completion_tokens: 40,
      temperature: 0.5,
      top_p: 0.8,
      stop: ['\n'],
    };
    // Act
    const parsed = accepted(record(input), lineContext({ bedrockModel: 'openai.gpt-oss-20b-1:0' }));
    // Assess
    expect(parsed).toMatchObject({ model: 'gpt-oss-20b', url: '/v1/chat/completions' });
    expect(parsed.body).toEqual({ model: 'gpt-oss-20b', ...input });
  });

  it('reads the same line into the same request every time (the worker parses it again)', () => {
    const text = record(converse);
    expect(parseBatchLine(text, 2, { ...chatModel, format: 'bedrock' })).toEqual(parseBatchLine(text, 2, chatModel));
  });

  it.each([
    ['no x-amz-meta-model', record(converse), lineContext(), 'model_not_found', 'set x-amz-meta-model'],
    [
      'an unknown model in the metadata',
      record(converse),
      lineContext({ bedrockModel: 'anthropic.claude-v9' }),
      'model_not_found',
      "Invalid value for 'x-amz-meta-model': The model 'anthropic.claude-v9' is neither a model of the catalogue nor the Bedrock model id of one.",
    ],
    [
      'an empty recordId',
      JSON.stringify({ recordId: '', modelInput: converse }),
      chatModel,
      'missing_custom_id',
      "Missing required parameter: 'recordId'",
    ],
    [
      'a recordId that is not a string',
      JSON.stringify({ recordId: 7, modelInput: converse }),
      chatModel,
      'invalid_custom_id',
      "Invalid value for 'recordId'",
    ],
    [
      'an unknown top-level field',
      record(converse, { modelId: 'x' }),
      chatModel,
      'unknown_parameter',
      'Unrecognized request argument supplied: modelId',
    ],
    ['no modelInput', JSON.stringify({ recordId: 'r' }), chatModel, 'invalid_body', "Missing required parameter: 'modelInput'"],
    [
      'a modelInput that is a string',
      record('hi'),
      chatModel,
      'invalid_body',
      "Invalid value for 'modelInput': expected a JSON object, got a string",
    ],
    [
      'Titan dimensions',
      record({ inputText: 'x', dimensions: 300 }),
      titan,
      'unsupported_parameter',
      "'modelInput.dimensions' 300 is not supported by 'titan-embed-text-v2'; it supports 256, 512, 1024",
    ],
    ['Titan without inputText', record({ normalize: true }), titan, 'invalid_body', "Missing required parameter: 'modelInput.inputText'"],
    [
      'Titan with an unknown field',
      record({ inputText: 'x', embeddingTypes: ['float'] }),
      titan,
      'unknown_parameter',
      'Unrecognized request argument supplied: modelInput.embeddingTypes',
    ],
    ['a chat input for an embeddings model', record(converse), titan, 'invalid_body', 'is an embeddings model, which takes {"inputText"}'],
    [
      'an embeddings input for a chat model',
      record({ inputText: 'x' }),
      chatModel,
      'invalid_body',
      'is a chat model, which takes "messages"',
    ],
    [
      'a Converse topP of 0',
      record({ ...converse, inferenceConfig: { topP: 0 } }),
      chatModel,
      'invalid_body',
      "Invalid value for 'modelInput.inferenceConfig.topP'",
    ],
    [
      "a Converse maxTokens above the model's limit",
      record({ ...converse, inferenceConfig: { maxTokens: 5_000 } }),
      chatModel,
      'invalid_body',
      "'modelInput.inferenceConfig.maxTokens' is 5000, above the limit",
    ],
    [
      'a Converse system role inside messages',
      record({ messages: [{ role: 'system', content: [{ text: 'x' }] }] }),
      chatModel,
      'invalid_body',
      "Invalid value for 'modelInput.messages[0].role'",
    ],
    [
      'an image block',
      record({ messages: [{ role: 'user', content: [{ image: { format: 'png' } }] }] }),
      chatModel,
      'unsupported_parameter',
      "'modelInput.messages[0].content[0].image' is not supported",
    ],
    [
      'a toolConfig',
      record({ ...converse, toolConfig: { tools: [] } }),
      chatModel,
      'unsupported_parameter',
      "'modelInput.toolConfig' is not supported",
    ],
    [
      'an unknown inferenceConfig field',
      record({ ...converse, inferenceConfig: { topK: 5 } }),
      chatModel,
      'unknown_parameter',
      'modelInput.inferenceConfig.topK',
    ],
    [
      'a model inside modelInput',
      record({ model: 'gpt-oss-20b', messages: [{ role: 'user', content: 'x' }] }),
      chatModel,
      'unsupported_parameter',
      "'modelInput.model' is not allowed",
    ],
    [
      'stream in an OpenAI-shaped body',
      record({ messages: [{ role: 'user', content: 'x' }], stream: true }),
      chatModel,
      'unsupported_parameter',
      "leave out 'modelInput.stream'",
    ],
    [
      'a wrong type in an OpenAI-shaped body',
      record({ messages: [{ role: 'user', content: 'x' }], temperature: 'hot' }),
      chatModel,
      'invalid_body',
      "Invalid value for 'modelInput.temperature'",
    ],
  ])('refuses %s, naming the line and the field', (_case, text, context, code, message) => {
    // Act
    const error = refusal(text, context);
    // Assess
    expect(error.code).toBe(code);
    expect(error.message.startsWith('Line 6: ')).toBe(true);
    expect(error.message).toContain(message);
  });
});

describe('resolveBedrockModel', () => {
  const lookup = { resolveModel: (id: string) => router.model(id), listModels: () => router.listModels() };

  it('takes a public model name or the Bedrock model id of one', () => {
    expect(resolveBedrockModel('gpt-oss-20b', lookup).id).toBe('gpt-oss-20b');
    expect(resolveBedrockModel('openai.gpt-oss-20b-1:0', lookup).id).toBe('gpt-oss-20b');
    expect(resolveBedrockModel('amazon.titan-embed-text-v2:0', lookup).id).toBe('titan-embed-text-v2');
  });

  it("does not take a GPU pool's served name, nor anything without a list of models", () => {
    expect(() => resolveBedrockModel('BAAI/bge-m3', lookup)).toThrow(ModelNotFoundError);
    expect(() => resolveBedrockModel('openai.gpt-oss-20b-1:0', { resolveModel: lookup.resolveModel })).toThrow(ModelNotFoundError);
  });
});
