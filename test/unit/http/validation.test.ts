import { ChatCompletionRequest } from '../../../shared/domain/chat';
import { EmbeddingsRequest } from '../../../shared/domain/embeddings';
import { InvalidRequestError } from '../../../shared/errors/requestErrors';
import { parseRequest } from '../../../shared/domain/validation';

function refusal(schema: Parameters<typeof parseRequest>[0], body: unknown): InvalidRequestError {
  try {
    parseRequest(schema, body);
  } catch (error) {
    return error as InvalidRequestError;
  }
  throw new Error('expected a refusal');
}

describe('parseRequest', () => {
  const chat = { model: 'gpt-oss-20b', messages: [{ role: 'user', content: 'hi' }] };

  it('accepts a valid chat request as it is', () => {
    expect(parseRequest(ChatCompletionRequest, { ...chat, temperature: 0.2, stop: ['\n'] })).toEqual({
      ...chat,
      temperature: 0.2,
      stop: ['\n'],
    });
  });

  it.each([
    ['a missing field', { messages: chat.messages }, 'model', 'missing_required_parameter', "Missing required parameter: 'model'."],
    [
      'a wrong type, nested',
      { ...chat, messages: [{ role: 'user', content: 42 }] },
      'messages[0].content',
      'invalid_value',
      "Invalid value for 'messages[0].content'",
    ],
    [
      'an unknown role',
      { ...chat, messages: [{ role: 'robot', content: 'x' }] },
      'messages[0].role',
      'invalid_value',
      "Invalid value for 'messages[0].role'",
    ],
    [
      'an unknown field',
      { ...chat, temprature: 1 },
      'temprature',
      'unknown_parameter',
      'Unrecognized request argument supplied: temprature',
    ],
    [
      'an unknown nested field',
      { ...chat, messages: [{ role: 'user', content: 'x', extra: 1 }] },
      'messages[0].extra',
      'unknown_parameter',
      'Unrecognized request argument supplied: messages[0].extra',
    ],
    ['an empty message list', { ...chat, messages: [] }, 'messages', 'invalid_value', "Invalid value for 'messages'"],
    ['a temperature out of range', { ...chat, temperature: 3 }, 'temperature', 'invalid_value', "Invalid value for 'temperature'"],
    ['n above 1', { ...chat, n: 2 }, 'n', 'invalid_value', "Invalid value for 'n'"],
  ])('names the field for %s', (_case, body, param, code, message) => {
    const error = refusal(ChatCompletionRequest, body);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.status).toBe(400);
    expect(error.param).toBe(param);
    expect(error.code).toBe(code);
    expect(error.message).toContain(message);
  });

  it('refuses a body that is not an object', () => {
    const error = refusal(EmbeddingsRequest, [1, 2]);
    expect(error.code).toBe('invalid_body');
    expect(error.message).toContain('must be a JSON object');
  });

  it('refuses an empty string among embedding inputs, naming its index', () => {
    expect(refusal(EmbeddingsRequest, { model: 'bge-m3', input: ['a', ''] }).param).toBe('input[1]');
  });
});
