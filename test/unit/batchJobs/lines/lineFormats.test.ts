import { batchRequestId, errorLine, parseBatchLine, parseReadLine } from '../../../../shared/batchJobs/lines/lineFormats';
import type { LineContext, LineError, ParsedLine } from '../../../../shared/batchJobs/lines/types';
import { chatLine, embeddingsLine, lineContext } from './batchFixtures';

const chat = { model: 'gpt-oss-20b', messages: [{ role: 'user', content: 'hi' }] };
const line = (fields: Record<string, unknown>) =>
  JSON.stringify({ custom_id: 'req-1', method: 'POST', url: '/v1/chat/completions', body: chat, ...fields });
const withBody = (body: Record<string, unknown>, url = '/v1/chat/completions') => line({ url, body });

function refusal(text: string, lineNumber = 17, context: LineContext = lineContext()): LineError {
  const parsed = parseBatchLine(text, lineNumber, context);
  if (parsed.ok) throw new Error(`expected a refusal, got ${JSON.stringify(parsed)}`);
  return parsed;
}

function accepted(text: string, lineNumber = 1, context: LineContext = lineContext()): ParsedLine {
  const parsed = parseBatchLine(text, lineNumber, context);
  if (!parsed.ok) throw new Error(`expected a request, got ${parsed.message}`);
  return parsed;
}

describe('parseBatchLine, OpenAI batch format', () => {
  it("reads a chat line into its request, with the model's public id and an estimate of its tokens", () => {
    // Act
    const parsed = accepted(chatLine('a-1', 'hello there'), 4);
    // Assess
    expect(parsed).toEqual({
      ok: true,
      lineNumber: 4,
      customId: 'a-1',
      format: 'openai',
      model: 'gpt-oss-20b',
      url: '/v1/chat/completions',
      body: { model: 'gpt-oss-20b', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 10 },
      // 11 characters → 3 tokens, 4 of framing, 10 of output.
      estimatedTokens: 17,
      // The body as the line wrote it: a Bedrock record of it echoes it as modelInput.
      echo: { modelInput: { model: 'gpt-oss-20b', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 10 }, shape: 'openai' },
    });
  });

  it('reads an embeddings line, and lets the model differ from line to line', () => {
    const first = accepted(embeddingsLine('e-1', ['abcd', 'efgh'], 'bge-m3'));
    const second = accepted(embeddingsLine('e-2', 'abcd', 'titan-embed-text-v2'));
    expect(first).toMatchObject({
      url: '/v1/embeddings',
      model: 'bge-m3',
      body: { model: 'bge-m3', input: ['abcd', 'efgh'] },
      estimatedTokens: 2,
    });
    expect(second).toMatchObject({ url: '/v1/embeddings', model: 'titan-embed-text-v2', body: { input: 'abcd' } });
  });

  it("takes the real-time route's fields in a line: tools, structured output, reasoning, token-id embeddings", () => {
    // Prepare
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];
    const format = { type: 'json_schema', json_schema: { name: 'answer', strict: true, schema: { type: 'object' } } };
    // Act
    const parsed = accepted(
      withBody({ ...chat, tools, tool_choice: 'required', response_format: format, reasoning_effort: 'low', temperature: null }),
    );
    const tokens = accepted(withBody({ model: 'bge-m3', input: [[1, 2, 3]] }, '/v1/embeddings'));
    // Assess
    expect(parsed).toMatchObject({ body: { tools, tool_choice: 'required', response_format: format, reasoning_effort: 'low' } });
    expect(tokens).toMatchObject({ body: { input: [[1, 2, 3]] }, estimatedTokens: 3 });
  });

  it('is deterministic: the worker parsing the line again gets the same request', () => {
    const text = chatLine('same');
    expect(parseBatchLine(text, 9, lineContext({ format: 'openai' }))).toEqual(parseBatchLine(text, 9, lineContext()));
  });

  it.each([
    ['not JSON', '{"custom_id": "a",', 'invalid_json', 'the line is not valid JSON'],
    ['an array', '[1, 2]', 'invalid_line', 'a line must be a JSON object, got an array'],
    ['a bare string', '"hello"', 'invalid_line', 'a line must be a JSON object, got a string'],
    ['null', 'null', 'invalid_line', 'got null'],
    ['no custom_id nor recordId', JSON.stringify({ foo: 1 }), 'missing_custom_id', "'custom_id' (OpenAI batch format) or 'recordId'"],
    [
      'a missing custom_id',
      JSON.stringify({ method: 'POST', url: '/v1/chat/completions', body: chat }),
      'missing_custom_id',
      "Missing required parameter: 'custom_id'",
    ],
    ['an empty custom_id', line({ custom_id: '' }), 'missing_custom_id', "'custom_id'"],
    ['a numeric custom_id', line({ custom_id: 42 }), 'invalid_custom_id', "Invalid value for 'custom_id': expected a string, got a number"],
    ['a custom_id over 512 characters', line({ custom_id: 'x'.repeat(513) }), 'invalid_custom_id', "'custom_id': 513 characters"],
    ['an unknown top-level field', line({ extra: true }), 'unknown_parameter', 'Unrecognized request argument supplied: extra'],
    ['method GET', line({ method: 'GET' }), 'invalid_method', `Invalid value for 'method': "GET"`],
    ['no method', line({ method: undefined }), 'invalid_method', "Missing required parameter: 'method'"],
    ['an unknown url', line({ url: '/v1/completions' }), 'invalid_url', `Invalid value for 'url': "/v1/completions"`],
    ['no url', line({ url: undefined }), 'invalid_url', "Missing required parameter: 'url'"],
    ['no body', line({ body: undefined }), 'invalid_body', "Missing required parameter: 'body'"],
    ['a body that is an array', line({ body: [chat] }), 'invalid_body', "Invalid value for 'body': expected a JSON object, got an array"],
    ['no model', withBody({ messages: chat.messages }), 'invalid_body', "Missing required parameter: 'body.model'"],
    [
      'an unknown role',
      withBody({ ...chat, messages: [{ role: 'robot', content: 'x' }] }),
      'invalid_body',
      "Invalid value for 'body.messages[0].role'",
    ],
    ['an empty message list', withBody({ ...chat, messages: [] }), 'invalid_body', "Invalid value for 'body.messages'"],
    [
      'content of the wrong type',
      withBody({ ...chat, messages: [{ role: 'user', content: 42 }] }),
      'invalid_body',
      "'body.messages[0].content'",
    ],
    ['a temperature out of range', withBody({ ...chat, temperature: 3 }), 'invalid_body', "Invalid value for 'body.temperature'"],
    ['n above 1', withBody({ ...chat, n: 2 }), 'invalid_body', "Invalid value for 'body.n'"],
    [
      'an unknown body field',
      withBody({ ...chat, temprature: 1 }),
      'unknown_parameter',
      'Unrecognized request argument supplied: body.temprature',
    ],
    [
      'an unknown nested field',
      withBody({ ...chat, messages: [{ role: 'user', content: 'x', extra: 1 }] }),
      'unknown_parameter',
      'Unrecognized request argument supplied: body.messages[0].extra',
    ],
    ['stream: true', withBody({ ...chat, stream: true }), 'unsupported_parameter', "leave out 'body.stream'"],
    [
      'an unknown model',
      withBody({ ...chat, model: 'gpt-5' }),
      'model_not_found',
      "Invalid value for 'body.model': The model 'gpt-5' does not exist.",
    ],
    [
      'an embeddings model on the chat url',
      withBody({ ...chat, model: 'bge-m3' }),
      'model_not_found',
      "'body.model': The model 'bge-m3' is an embeddings model",
    ],
    [
      'a chat model on the embeddings url',
      withBody({ model: 'gpt-oss-20b', input: 'x' }, '/v1/embeddings'),
      'model_not_found',
      "'body.model': The model 'gpt-oss-20b' is a chat model",
    ],
    [
      'embeddings dimensions',
      withBody({ model: 'bge-m3', input: 'x', dimensions: 256 }, '/v1/embeddings'),
      'unsupported_parameter',
      "'body.dimensions' 256 is not supported by 'bge-m3'",
    ],
    [
      'an empty embeddings input',
      withBody({ model: 'bge-m3', input: ['a', ''] }, '/v1/embeddings'),
      'invalid_body',
      "Invalid value for 'body.input[1]'",
    ],
    ['a chat body on the embeddings url', withBody(chat, '/v1/embeddings'), 'invalid_body', "Missing required parameter: 'body.input'"],
    [
      "max_tokens above the model's limit",
      withBody({ ...chat, max_tokens: 5_000 }),
      'invalid_body',
      "'body.max_tokens' is 5000, above the limit of 1000",
    ],
    [
      'max_completion_tokens above the limit',
      withBody({ ...chat, max_completion_tokens: 1_001 }),
      'invalid_body',
      "'body.max_completion_tokens'",
    ],
    [
      'more than the context window',
      withBody({ ...chat, messages: [{ role: 'user', content: 'x'.repeat(8_000) }] }),
      'invalid_body',
      "the request needs about 2005. Shorten 'body.messages'",
    ],
    [
      'an embeddings input over the context window',
      withBody({ model: 'titan-embed-text-v2', input: ['ok', 'y'.repeat(1_000)] }, '/v1/embeddings'),
      'invalid_body',
      "the request needs about 250. Shorten 'body.input[1]'",
    ],
  ])('refuses %s, naming the line and the field', (_case, text, code, message) => {
    // Act
    const error = refusal(text, 17);
    // Assess
    expect(error.code).toBe(code);
    expect(error.lineNumber).toBe(17);
    expect(error.message.startsWith('Line 17: ')).toBe(true);
    expect(error.message).toContain(message);
  });

  it('keeps the custom_id of a refused line when it could be read', () => {
    expect(refusal(withBody({ ...chat, temperature: 3 })).customId).toBe('req-1');
    expect(refusal('{oops').customId).toBeUndefined();
  });

  it('refuses a line whose url is not the endpoint the batch was created for', () => {
    const error = refusal(embeddingsLine('e'), 3, lineContext({ endpoint: '/v1/chat/completions' }));
    expect(error).toMatchObject({ code: 'invalid_url', customId: 'e' });
    expect(error.message).toBe(`Line 3: Invalid value for 'url': "/v1/embeddings", but this batch was created for "/v1/chat/completions".`);
  });

  it("refuses a line of the other format once the file's format is known", () => {
    // Prepare
    const bedrock = JSON.stringify({ recordId: 'r-1', modelInput: { inputText: 'x' } });
    // Act
    const inOpenAi = refusal(bedrock, 9, lineContext({ format: 'openai', bedrockModel: 'titan-embed-text-v2' }));
    const inBedrock = refusal(chatLine('c-1'), 10, lineContext({ format: 'bedrock' }));
    // Assess
    expect(inOpenAi).toMatchObject({ code: 'invalid_line', customId: 'r-1' });
    expect(inOpenAi.message).toContain('Line 9: mixed formats: line 9 is Bedrock format but the file started in OpenAI format');
    expect(inBedrock.message).toContain('line 10 is OpenAI format but the file started in Bedrock format');
  });
});

describe('parseReadLine', () => {
  const position = { lineNumber: 5, startByte: 0, endByte: 9 };

  it('ignores a blank line', () => {
    expect(parseReadLine({ tooLong: false, ...position, text: '  ', blank: true, invalidUtf8: false }, 100, lineContext())).toBeUndefined();
  });

  it('refuses a line too long, with its size and the limit', () => {
    const error = parseReadLine({ tooLong: true, ...position, bytes: 5_000_000 }, 1_048_576, lineContext());
    expect(error).toMatchObject({
      ok: false,
      code: 'line_too_long',
      message: 'Line 5: the line is 5000000 bytes, more than the limit of 1048576 bytes per line.',
    });
  });

  it('refuses a line that is not UTF-8 with a clear message', () => {
    const error = parseReadLine({ tooLong: false, ...position, text: '\uFFFD\uFFFD', blank: false, invalidUtf8: true }, 100, lineContext());
    expect(error).toMatchObject({ ok: false, code: 'invalid_utf8' });
    expect((error as LineError).message).toContain('Line 5: the line is not valid UTF-8');
  });

  it('parses any other line', () => {
    expect(
      parseReadLine({ tooLong: false, ...position, text: chatLine('z'), blank: false, invalidUtf8: false }, 10_000, lineContext()),
    ).toMatchObject({ ok: true, customId: 'z', lineNumber: 5 });
  });
});

describe('errorLine', () => {
  it('writes a refused line in the OpenAI batch error shape', () => {
    const error = refusal(withBody({ ...chat, temperature: 3 }), 12);
    // A request the HTTP route would refuse: the 400 it answers, as a response.
    expect(errorLine(error, 'batch_req_abc')).toEqual({
      id: 'batch_req_abc',
      custom_id: 'req-1',
      response: {
        status_code: 400,
        request_id: 'req_abc',
        body: { error: { code: 'invalid_body', message: error.message, type: 'invalid_request_error', param: null } },
      },
      error: null,
    });
  });

  it('names a line whose id could not be read line-<n>', () => {
    expect(errorLine(refusal('nope', 31))).toMatchObject({
      id: 'batch_req_line31',
      custom_id: 'line-31',
      response: null,
      error: { code: 'invalid_json' },
    });
  });

  it('gives a request the same id on every run, and another line another id', () => {
    expect(batchRequestId('batch_1', 7)).toBe(batchRequestId('batch_1', 7));
    expect(batchRequestId('batch_1', 7)).toMatch(/^batch_req_[0-9a-f]{32}$/);
    expect(batchRequestId('batch_1', 8)).not.toBe(batchRequestId('batch_1', 7));
  });
});
