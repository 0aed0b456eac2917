import { ContextLengthExceededError, ModelNotFoundError } from '../../../shared/errors/requestErrors';
import { PlatformError } from '../../../shared/errors/PlatformError';
import { toOpenAiError } from '../../../shared/http/openAiErrors';
import { handler as health } from '../../../functions/http/health';
import { loadEvent, lambdaContext } from '../../helpers/events';

describe('toOpenAiError', () => {
  it('maps a platform error to its status and the OpenAI body', () => {
    expect(toOpenAiError(new ModelNotFoundError('gpt-9'))).toEqual({
      status: 404,
      body: {
        error: { message: "The model 'gpt-9' does not exist.", type: 'invalid_request_error', param: 'model', code: 'model_not_found' },
      },
    });
    expect(toOpenAiError(new ContextLengthExceededError('m', 100, 150, 'messages')).body.error).toMatchObject({
      code: 'context_length_exceeded',
      param: 'messages',
    });
  });

  it('hides the details of an unexpected error behind a 500 with the request id', () => {
    const { status, body } = toOpenAiError(new Error('db password is hunter2'), 'req-1');
    expect(status).toBe(500);
    expect(body.error.message).not.toContain('hunter2');
    expect(body.error).toMatchObject({ type: 'server_error', code: 'internal_error', param: null });
    expect(body.error.message).toContain('req-1');
  });

  it('keeps a retryable backend status', () => {
    const error = new PlatformError('slow down', { code: 'rate_limit_exceeded', status: 429, type: 'rate_limit_error', retryable: true });
    expect(toOpenAiError(error).status).toBe(429);
  });
});

describe('health route', () => {
  it('answers 200 without a key', async () => {
    const response = await health(loadEvent('http/health.json'), lambdaContext());
    expect(response).toMatchObject({ statusCode: 200 });
    expect(JSON.parse(response.body!)).toEqual({ status: 'ok' });
  });
});
