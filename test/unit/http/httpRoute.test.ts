import { PlatformError } from '../../../shared/errors/PlatformError';
import { httpRoute, type RouteInput } from '../../../shared/http/httpRoute';
import { jsonResponse } from '../../../shared/http/responses';
import { createResponseStream, readStreamedResponse } from '../../../shared/devTools/localPlatform/httpResponseStream';
import { invokeHandler, lambdaContext, loadEvent, setTenant } from '../../helpers/events';

const sse = (events: string[]) =>
  (async function* stream() {
    for (const event of events) yield `data: ${event}\n\n`;
  })();

describe('httpRoute, streaming', () => {
  it('writes a StreamingResult: the prelude (status, headers), then each chunk in order', async () => {
    // Prepare
    const handler = httpRoute(
      async () => ({ statusCode: 200, headers: { 'content-type': 'text/event-stream' }, body: sse(['a', 'b', '[DONE]']) }),
      { streaming: true },
    );

    // Act
    const response = await invokeHandler(handler, setTenant(loadEvent('http/chatCompletions.json'), 't'));

    // Assess
    expect(response).toMatchObject({
      statusCode: 200,
      headers: { 'content-type': 'text/event-stream' },
      body: 'data: a\n\ndata: b\n\ndata: [DONE]\n\n',
    });
  });

  it('answers an error thrown before the result with the OpenAI error JSON and its status', async () => {
    // Prepare
    const handler = httpRoute(
      async () => {
        throw new PlatformError('slow down', { code: 'rate_limit_exceeded', status: 429, type: 'rate_limit_error' });
      },
      { streaming: true },
    );

    // Act
    const response = await invokeHandler(handler, setTenant(loadEvent('http/chatCompletions.json'), 't'));

    // Assess
    expect(response.statusCode).toBe(429);
    expect(response.headers).toMatchObject({ 'content-type': 'application/json', 'retry-after': '1' });
    expect(JSON.parse(response.body)).toEqual({
      error: { message: 'slow down', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' },
    });
  });

  it.each([false, true])(
    "puts the route's answer headers on its answer, success or error (streaming: %p), and an error's own headers over them",
    async (streaming) => {
      // Prepare
      const ok = httpRoute(
        async ({ answerHeaders }: RouteInput) => {
          answerHeaders['x-ratelimit-remaining-requests'] = '4';
          return jsonResponse(200, {});
        },
        { streaming } as { streaming: true },
      );
      const failing = httpRoute(
        async ({ answerHeaders }: RouteInput) => {
          answerHeaders['x-ratelimit-remaining-requests'] = '4';
          answerHeaders['x-ratelimit-limit-requests'] = '5';
          throw new PlatformError('over', {
            code: 'rate_limit_exceeded',
            status: 429,
            type: 'requests',
            headers: { 'x-ratelimit-remaining-requests': '0', 'retry-after': '7' },
          });
        },
        { streaming } as { streaming: true },
      );
      const event = () => setTenant(loadEvent('http/chatCompletions.json'), 't');

      // Act
      const success = await invokeHandler(ok, event());
      const refused = await invokeHandler(failing, event());

      // Assess
      expect(success.headers).toMatchObject({ 'content-type': 'application/json', 'x-ratelimit-remaining-requests': '4' });
      expect(refused.statusCode).toBe(429);
      expect(refused.headers).toMatchObject({
        'x-ratelimit-limit-requests': '5',
        'x-ratelimit-remaining-requests': '0',
        'retry-after': '7',
      });
      expect(JSON.parse(refused.body)).toEqual({ error: { message: 'over', type: 'requests', param: null, code: 'rate_limit_exceeded' } });
    },
  );

  it('refuses an unauthenticated request with the 401 before the route runs', async () => {
    // Prepare
    const route = jest.fn(async () => jsonResponse(200, {}));
    const handler = httpRoute(route, { streaming: true });

    // Act
    const response = await invokeHandler(handler, setTenant(loadEvent('http/chatCompletions.json'), undefined));

    // Assess
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body).error.code).toBe('invalid_api_key');
    expect(route).not.toHaveBeenCalled();
  });

  it('aborts the signal when the response stream closes early (the client left) and stops the body', async () => {
    // Prepare
    let seen: RouteInput | undefined;
    let stoppedAfter = -1;
    const handler = httpRoute(
      async (input) => {
        seen = input;
        async function* endless() {
          let index = 0;
          try {
            for (; ; index += 1) {
              yield `data: ${index}\n\n`;
              await new Promise((resolve) => setTimeout(resolve, 10));
            }
          } finally {
            stoppedAfter = index;
          }
        }
        return { statusCode: 200, headers: { 'content-type': 'text/event-stream' }, body: endless() };
      },
      { streaming: true },
    );
    const stream = createResponseStream();

    // Act
    const run = handler(setTenant(loadEvent('http/chatCompletions.json'), 't'), stream as never, lambdaContext());
    const { prelude, body } = await readStreamedResponse(stream);
    body.on('error', () => undefined);
    await new Promise<void>((resolve) => body.once('data', () => resolve()));
    stream.destroy(new Error('client gone'));
    await Promise.resolve(run).catch(() => undefined);
    for (let waited = 0; stoppedAfter < 0 && waited < 1_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));

    // Assess
    expect(prelude?.statusCode).toBe(200);
    expect(seen?.signal.aborted).toBe(true);
    expect(stoppedAfter).toBeGreaterThanOrEqual(0);
  });

  it('aborts the signal of any route once its deadline passes', async () => {
    // Prepare
    let signal: AbortSignal | undefined;
    const handler = httpRoute(async (input) => {
      signal = input.signal;
      await new Promise((resolve) => setTimeout(resolve, 120));
      return jsonResponse(200, { aborted: input.signal.aborted });
    });

    // Act
    const response = await handler(setTenant(loadEvent('http/models.json'), 't'), lambdaContext(60));
    await new Promise((resolve) => setTimeout(resolve, 30));

    // Assess
    expect(signal?.aborted).toBe(true);
    expect(response.statusCode).toBeGreaterThanOrEqual(200);
  });
});
