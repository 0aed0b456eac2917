import { BackendRejectedError, BackendUnavailableError } from '../../../shared/errors/backendErrors';
import { mapHttpFailure, serverMessage } from '../../../shared/providers/openai/mapHttpFailure';

const context = { url: 'http://10.0.0.7:8000/v1/chat/completions', backendId: 'gpu-pool' };

describe('serverMessage', () => {
  it.each([
    ['OpenAI and current vLLM', { error: { message: 'bad temperature', type: 'invalid_request_error' } }, 'bad temperature'],
    ['older vLLM', { object: 'error', message: 'bad temperature', type: 'BadRequestError', code: 400 }, 'bad temperature'],
    ['TGI', { error: 'bad temperature', error_type: 'validation' }, 'bad temperature'],
  ])('reads the %s error shape', (_label, body, expected) => {
    // Act
    const message = serverMessage(JSON.stringify(body));

    // Assess
    expect(message).toBe(expected);
  });

  it('falls back to the start of a body that is not JSON', () => {
    // Act
    const message = serverMessage('<html>Bad Gateway</html>');

    // Assess
    expect(message).toBe('<html>Bad Gateway</html>');
  });
});

describe('mapHttpFailure', () => {
  it.each([
    [408, BackendUnavailableError],
    [502, BackendUnavailableError],
    [404, BackendUnavailableError],
    [413, BackendRejectedError],
  ])('maps HTTP %i to %p', (status, expected) => {
    // Act
    const error = mapHttpFailure(status, () => null, '', context);

    // Assess
    expect(error).toBeInstanceOf(expected);
    expect(error.backendId).toBe('gpu-pool');
  });

  it("maps vLLM's 404 NotFoundError for a model it does not serve to a backend failure, never the caller's error", () => {
    // Prepare
    const body = JSON.stringify({
      object: 'error',
      message: 'The model `gpt-oss-120b` does not exist.',
      type: 'NotFoundError',
      param: null,
      code: 404,
    });

    // Act
    const error = mapHttpFailure(404, () => null, body, context);

    // Assess
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(error).toMatchObject({ code: 'backend_unavailable', status: 503, retryable: true });
    expect(error.message).toContain('does not exist');
  });

  it('keeps the internal URL out of a rejection message callers may see', () => {
    // Act
    const error = mapHttpFailure(400, () => null, JSON.stringify({ error: { message: 'bad' } }), context);

    // Assess
    expect(error.message).toBe('bad');
    expect(String((error.cause as Error).message)).toContain(context.url);
  });
});
