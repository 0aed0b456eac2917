import { createHandler as chatHandler } from '../../../functions/http/chatCompletions';
import { createHandler as embeddingsHandler } from '../../../functions/http/embeddings';
import { createHandler as modelsHandler } from '../../../functions/http/models';
import { createHandler as responsesHandler } from '../../../functions/http/responses';
import { ResponsesService } from '../../../shared/realtime/responses/ResponsesService';
import type { InferenceService } from '../../../shared/realtime/InferenceService';
import { httpRoute } from '../../../shared/http/httpRoute';
import { jsonResponse } from '../../../shared/http/responses';
import { invokeHandler, loadEvent, lambdaContext, setTenant } from '../../helpers/events';

/** A service double recording what the handler asked of it. */
function fakeService() {
  const calls: { method: string; args: unknown[] }[] = [];
  const service = {
    chatCompletion: async (...args: unknown[]) => {
      calls.push({ method: 'chat', args });
      return {
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1,
        model: 'gpt-oss-20b',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hi!', refusal: null }, finish_reason: 'stop', logprobs: null }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      };
    },
    chatCompletionStream: async (...args: unknown[]) => {
      calls.push({ method: 'chatStream', args });
      return (async function* () {
        yield {
          id: 'chatcmpl-2',
          object: 'chat.completion.chunk',
          created: 1,
          model: 'gpt-oss-20b',
          choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null, logprobs: null }],
        };
        throw Object.assign(new Error('backend broke'), { name: 'Error' });
      })();
    },
    embeddings: async (...args: unknown[]) => {
      calls.push({ method: 'embeddings', args });
      return { object: 'list' };
    },
    listModels: () => ({ object: 'list', data: [] }),
    getModel: (id: string) => ({ id }),
  } as unknown as InferenceService;
  return { service, calls };
}

const body = (response: { body?: string }) => JSON.parse(response.body!);

describe('HTTP handlers', () => {
  it('chat: parses the sample event, passes a deadline and a live signal, answers 200 through the response stream', async () => {
    // Prepare
    const { service, calls } = fakeService();
    const handler = chatHandler({ service, maxBodyBytes: 10_000 });
    // Act
    const response = await invokeHandler(handler, loadEvent('http/chatCompletions.json'), lambdaContext(5_000));
    // Assess
    expect(response).toMatchObject({ statusCode: 200, headers: { 'content-type': 'application/json' } });
    expect(body(response)).toMatchObject({ id: 'chatcmpl-1', object: 'chat.completion' });
    const [request, options] = calls[0]!.args as [{ model: string }, { deadline: number; signal: AbortSignal }];
    expect(request.model).toBe('gpt-oss-20b');
    expect(options.deadline - Date.now()).toBeGreaterThan(4_000);
    expect(options.deadline - Date.now()).toBeLessThanOrEqual(5_000);
    expect(options.signal.aborted).toBe(false);
  });

  it('chat: takes a base64 body (what the REST API sends with binaryMediaTypes */*) and refuses bytes that are not UTF-8', async () => {
    const { service, calls } = fakeService();
    const handler = chatHandler({ service, maxBodyBytes: 10_000 });
    const event = loadEvent('http/chatCompletions.json');
    const json = event.body;
    Object.assign(event, { body: Buffer.from(json).toString('base64'), isBase64Encoded: true });
    expect((await invokeHandler(handler, event)).statusCode).toBe(200);
    const broken = Buffer.concat([Buffer.from(json.slice(0, -10)), Buffer.from([0xff]), Buffer.from(json.slice(-10))]);
    Object.assign(event, { body: broken.toString('base64') });
    const refused = await invokeHandler(handler, event);
    expect(refused.statusCode).toBe(400);
    expect(body(refused).error).toMatchObject({ code: 'invalid_json', message: expect.stringContaining('UTF-8') });
    expect(calls).toHaveLength(1);
  });

  it('reads the REST event: route key from method and resource, headers in any case, repeated values joined', async () => {
    const seen: unknown[] = [];
    const handler = httpRoute(async ({ event, tenant }) => {
      seen.push({
        routeKey: event.routeKey,
        type: event.headers['content-type'],
        multi: event.headers['x-multi'],
        query: event.queryStringParameters,
        tenant,
      });
      return jsonResponse(200, {});
    });
    const event = loadEvent('http/filesList.json');
    event.headers = { 'Content-Type': 'text/plain', 'X-Multi': 'two' };
    event.multiValueHeaders = { 'Content-Type': ['text/plain'], 'X-Multi': ['one', 'two'] };
    event.multiValueQueryStringParameters = { purpose: ['batch'], limit: ['1', '2'] };
    setTenant(event, 'tenant-x', 'key-x');
    await handler(event, lambdaContext());
    expect(seen).toEqual([
      {
        routeKey: 'GET /v1/files',
        type: 'text/plain',
        multi: 'one,two',
        query: { purpose: 'batch', limit: '1,2' },
        tenant: { tenantId: 'tenant-x', keyId: 'key-x', role: 'member' },
      },
    ]);
  });

  it('refuses an unauthenticated request with 401 before reading the body', async () => {
    const { service, calls } = fakeService();
    const event = loadEvent('http/chatCompletions.json');
    setTenant(event, undefined);
    event.body = 'not json';
    const response = await invokeHandler(chatHandler({ service, maxBodyBytes: 10_000 }), event);
    expect(response.statusCode).toBe(401);
    expect(body(response).error).toMatchObject({ code: 'invalid_api_key', type: 'authentication_error' });
    expect(calls).toHaveLength(0);
  });

  it.each([
    [
      'malformed JSON',
      (e: any) => {
        e.body = '{"model":';
      },
      400,
      'invalid_json',
      null,
    ],
    [
      'an empty body',
      (e: any) => {
        e.body = '';
      },
      400,
      'invalid_json',
      null,
    ],
    [
      'a wrong content type',
      (e: any) => {
        e.headers['content-type'] = 'text/plain';
      },
      415,
      'unsupported_media_type',
      null,
    ],
    [
      'a body over the limit',
      (e: any) => {
        e.body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(20_000) }] });
      },
      413,
      'payload_too_large',
      null,
    ],
    [
      'a missing field',
      (e: any) => {
        e.body = JSON.stringify({ model: 'gpt-oss-20b' });
      },
      400,
      'missing_required_parameter',
      'messages',
    ],
  ])('answers %s with the OpenAI error shape', async (_name, change, status, code, param) => {
    const { service, calls } = fakeService();
    const event = loadEvent('http/chatCompletions.json');
    change(event);
    const response = await invokeHandler(chatHandler({ service, maxBodyBytes: 10_000 }), event);
    expect(response.statusCode).toBe(status);
    expect(body(response)).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param, code } });
    expect(calls).toHaveLength(0);
  });

  it('decodes a base64 body', async () => {
    const { service, calls } = fakeService();
    const event = loadEvent('http/embeddings.json');
    event.body = Buffer.from(event.body).toString('base64');
    event.isBase64Encoded = true;
    const response = await embeddingsHandler({ service, maxBodyBytes: 10_000 })(event, lambdaContext());
    expect(response.statusCode).toBe(200);
    expect((calls[0]!.args[0] as { input: string[] }).input).toEqual(['first', 'second', 'third']);
  });

  it('models: lists, and retrieves by path parameter', async () => {
    const { service } = fakeService();
    const handler = modelsHandler({ service });
    expect(body(await handler(loadEvent('http/models.json'), lambdaContext()))).toEqual({ object: 'list', data: [] });
    expect(body(await handler(loadEvent('http/model.json'), lambdaContext()))).toEqual({ id: 'gpt-oss-20b' });
  });

  it('chat: answers stream: true with server-sent events, ending a failure after the first byte with an error event and no [DONE]', async () => {
    // Prepare
    const { service, calls } = fakeService();
    const handler = chatHandler({ service, maxBodyBytes: 10_000 });
    const event = loadEvent('http/chatCompletions.json');
    event.body = JSON.stringify({ model: 'gpt-oss-20b', messages: [{ role: 'user', content: 'hi' }], stream: true });
    event.isBase64Encoded = false;
    // Act
    const response = await invokeHandler(handler, event, lambdaContext(5_000));
    // Assess
    expect(calls.map((call) => call.method)).toEqual(['chatStream']);
    expect(response).toMatchObject({ statusCode: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
    const events = response.body!.split('\n\n').filter(Boolean);
    expect(JSON.parse(events[0]!.slice('data: '.length))).toMatchObject({
      object: 'chat.completion.chunk',
      choices: [{ delta: { content: 'Hi' } }],
    });
    expect(JSON.parse(events[1]!.slice('data: '.length))).toEqual({
      error: expect.objectContaining({ code: 'internal_error', type: 'server_error' }),
    });
    expect(events).toHaveLength(2);
  });

  it('responses: translates to a chat completion and answers a Response object', async () => {
    // Prepare
    const { service, calls } = fakeService();
    const handler = responsesHandler({ service: new ResponsesService(service), maxBodyBytes: 10_000 });
    const event = loadEvent('http/chatCompletions.json');
    Object.assign(event, {
      resource: '/v1/responses',
      path: '/v1/responses',
      body: JSON.stringify({ model: 'gpt-oss-20b', input: 'Say hi.', instructions: 'Be brief.' }),
      isBase64Encoded: false,
    });
    // Act
    const response = await invokeHandler(handler, event, lambdaContext(5_000));
    // Assess
    expect(response.statusCode).toBe(200);
    expect(body(response)).toMatchObject({
      object: 'response',
      status: 'completed',
      output: [{ type: 'message', content: [{ type: 'output_text', text: 'Hi!' }] }],
    });
    const [request] = calls[0]!.args as [{ messages: unknown[] }];
    expect(request.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say hi.' },
    ]);
  });
});
