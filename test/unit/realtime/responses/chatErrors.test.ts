import { ContextLengthExceededError, InvalidRequestError } from '../../../../shared/errors/requestErrors';
import { PlatformError } from '../../../../shared/errors/PlatformError';
import { asResponsesError, responsesParam } from '../../../../shared/realtime/responses/chatErrors';

describe('responsesParam', () => {
  it.each([
    ['messages', 'input'],
    ['messages[3].content', 'input'],
    ['max_completion_tokens', 'max_output_tokens'],
    ['max_tokens', 'max_output_tokens'],
    ['reasoning_effort', 'reasoning.effort'],
    ['stream_options.include_usage', 'stream'],
    ['response_format', 'text.format'],
    ['response_format.json_schema.schema', 'text.format.schema'],
    ['response_format.type', 'text.format.type'],
    ['tools[1].function.parameters', 'tools[1].parameters'],
    ['tool_choice.function.name', 'tool_choice.name'],
    ['temperature', 'temperature'],
    ['model', 'model'],
  ])('names %s as %s', (chat, responses) => expect(responsesParam(chat)).toBe(responses));
});

describe('asResponsesError', () => {
  it('renames the field in the param and the message, keeping status, type and code', () => {
    const error = asResponsesError(
      new InvalidRequestError("'max_completion_tokens' is 9000, above the limit of 4096 for 'chat-a'.", {
        param: 'max_completion_tokens',
        code: 'invalid_value',
      }),
    );
    expect(error).toBeInstanceOf(PlatformError);
    expect(error).toMatchObject({
      param: 'max_output_tokens',
      status: 400,
      type: 'invalid_request_error',
      code: 'invalid_value',
      message: "'max_output_tokens' is 9000, above the limit of 4096 for 'chat-a'.",
    });
  });

  it('names input for a context that is too long', () => {
    const error = asResponsesError(new ContextLengthExceededError('chat-a', 100, 150, 'messages')) as PlatformError;
    expect(error.param).toBe('input');
    expect(error.message).toBe(
      "This model's maximum context length is 100 tokens; the request needs about 150. Shorten 'input' or lower max_output_tokens.",
    );
    expect(error.code).toBe('context_length_exceeded');
  });

  it('leaves other errors as they are', () => {
    const same = new InvalidRequestError('bad temperature', { param: 'temperature' });
    expect(asResponsesError(same)).toBe(same);
    const plain = new Error('boom');
    expect(asResponsesError(plain)).toBe(plain);
  });
});
