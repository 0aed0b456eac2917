import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { Context } from 'aws-lambda';
import {
  MAX_REQUEST_BODY_BYTES,
  startHttpApiGateway,
  type GatewayLogger,
  type HttpApiGateway,
} from '../../../../shared/devTools/localPlatform/httpApiGateway';
import type { HttpApiAuthorizer, HttpApiRoute } from '../../../../shared/devTools/localPlatform/httpApiRoutes';
import type { LambdaHandler, LocalFunction } from '../../../../shared/devTools/localPlatform/localFunction';
import { installAwsLambdaGlobal } from '../../../../shared/devTools/localPlatform/httpResponseStream';
import { httpRoute } from '../../../../shared/http/httpRoute';
import { jsonResponse } from '../../../../shared/http/responses';

installAwsLambdaGlobal();

/** A function of the test: its handler is given inline, its calls recorded. */
function fakeFunction(name: string, handler: (event: any, context: Context) => unknown, timeoutSeconds = 5) {
  const calls: Array<{ event: any; context: Context; remainingAtStart: number }> = [];
  const fn: LocalFunction = {
    functionName: `svc-test-${name}`,
    timeoutSeconds,
    memorySize: 128,
    loadHandler: async () =>
      (async (event: any, context: Context) => {
        calls.push({ event, context, remainingAtStart: context.getRemainingTimeInMillis() });
        return handler(event, context);
      }) as LambdaHandler,
  };
  return { fn, calls };
}

/** A function whose handler is given as is (a streaming one keeps its awslambda marker). */
function rawFunction(name: string, handler: unknown, timeoutSeconds = 5): LocalFunction {
  return { functionName: `svc-test-${name}`, timeoutSeconds, memorySize: 128, loadHandler: async () => handler as LambdaHandler };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A raw HTTP request, so repeated headers reach the server as separate lines. */
function send(
  url: string,
  options: { method?: string; path: string; headers?: Record<string, string | string[]>; body?: Buffer | string; chunks?: Buffer[] },
) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; text: string; json: any }>((resolve, reject) => {
    const req = httpRequest(`${url}${options.path}`, { method: options.method ?? 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    for (const [name, value] of Object.entries(options.headers ?? {})) req.setHeader(name, value);
    req.on('error', reject);
    // Several writes make a chunked body: no content-length for the server to check up front.
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end(options.body);
  });
}

describe('the emulated REST API (payload 1.0)', () => {
  const logged: string[] = [];
  const logger: GatewayLogger = { info: (line) => logged.push(line), error: (line) => logged.push(line) };
  const echo = fakeFunction('echo', (event) => ({
    statusCode: 200,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(event),
  }));
  const proxy = fakeFunction('proxy', (event) => ({
    statusCode: 200,
    headers: { 'content-type': 'text/plain' },
    body: event.pathParameters.proxy,
  }));
  const plain = fakeFunction('plain', () => ({ hello: 'world' }));
  const rich = fakeFunction('rich', () => ({
    statusCode: 201,
    headers: { 'X-Custom': 7, 'Content-Type': 'application/octet-stream' },
    multiValueHeaders: { 'Set-Cookie': ['a=1; Path=/', 'b=2'] },
    body: Buffer.from([0, 1, 2, 255]).toString('base64'),
    isBase64Encoded: true,
  }));
  const broken = fakeFunction('broken', () => {
    throw new Error('handler bug');
  });
  const slow = fakeFunction('slow', () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200 }), 2_000).unref()), 0.2);
  const malformed = fakeFunction('malformed', () => ({ statusCode: 200, body: { not: 'a string' } }));
  const policy = (effect: string, resource: string) => ({
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
  });
  const allow = fakeFunction('allow', (event) =>
    (event.headers.Authorization ?? event.headers.authorization) === 'Bearer good'
      ? { principalId: 't-1', policyDocument: policy('Allow', event.methodArn), context: { tenantId: 't-1', keyId: 'k1', n: 3 } }
      : { principalId: 'nobody', policyDocument: policy('Deny', event.methodArn) },
  );
  const wildcard = fakeFunction('wildcard', (event) => ({
    principalId: 'p',
    policyDocument: policy('Allow', `${event.methodArn.split('/')[0]}/*/GET/*`),
  }));
  const unauthorized = fakeFunction('unauthorized', () => {
    throw new Error('Unauthorized');
  });
  const crash = fakeFunction('crash', () => {
    throw new Error('authorizer bug');
  });
  const simple = fakeFunction('simple', () => ({ isAuthorized: true }));
  const disconnects: string[] = [];
  const streamer = rawFunction(
    'streamer',
    httpRoute(
      async ({ signal }) => {
        signal.addEventListener('abort', () => disconnects.push('signal'));
        async function* events() {
          try {
            for (let index = 0; index < 4; index += 1) {
              if (signal.aborted) return;
              yield `data: ${index}\n\n`;
              await sleep(150);
            }
          } finally {
            disconnects.push(signal.aborted ? 'generator stopped' : 'generator done');
          }
        }
        return { statusCode: 200, headers: { 'content-type': 'text/event-stream' }, body: events() };
      },
      { anonymous: true, streaming: true },
    ),
  );
  const longStreamer = rawFunction(
    'long',
    httpRoute(
      async ({ signal }) => {
        async function* forever() {
          try {
            for (let index = 0; ; index += 1) {
              if (signal.aborted) return;
              yield `data: ${index}\n\n`;
              await sleep(50);
            }
          } finally {
            disconnects.push(signal.aborted ? 'long: stopped by the signal' : 'long: stopped');
          }
        }
        return { statusCode: 200, headers: { 'content-type': 'text/event-stream' }, body: forever() };
      },
      { anonymous: true, streaming: true },
    ),
  );
  const streamedError = rawFunction(
    'streamedError',
    httpRoute(
      async () => {
        throw new Error('before any byte');
      },
      { anonymous: true, streaming: true },
    ),
  );
  const streamedJson = rawFunction(
    'streamedJson',
    httpRoute(async () => jsonResponse(200, { whole: true }), { anonymous: true, streaming: true }),
  );
  const bufferedHandler = rawFunction(
    'buffered',
    httpRoute(async () => jsonResponse(200, {}), { anonymous: true }),
  );
  const authorizer = (name: string, fn: LocalFunction): HttpApiAuthorizer => ({ name, function: fn });
  const routes: HttpApiRoute[] = [
    { method: 'GET', path: '/items/{id}', function: echo.fn },
    { method: 'POST', path: '/items', function: echo.fn },
    { method: 'GET', path: '/items/special', function: plain.fn },
    { method: 'ANY', path: '/files/{proxy+}', function: proxy.fn },
    { method: 'GET', path: '/rich', function: rich.fn },
    { method: 'GET', path: '/broken', function: broken.fn },
    { method: 'GET', path: '/slow', function: slow.fn },
    { method: 'GET', path: '/malformed', function: malformed.fn },
    { method: 'GET', path: '/private/{id}', function: echo.fn, authorizer: authorizer('allow', allow.fn) },
    { method: 'GET', path: '/wildcard', function: echo.fn, authorizer: authorizer('wildcard', wildcard.fn) },
    { method: 'GET', path: '/unauthorized', function: echo.fn, authorizer: authorizer('unauthorized', unauthorized.fn) },
    { method: 'GET', path: '/crashing', function: echo.fn, authorizer: authorizer('crash', crash.fn) },
    { method: 'GET', path: '/simple', function: echo.fn, authorizer: authorizer('simple', simple.fn) },
    { method: 'GET', path: '/stream', function: streamer, streaming: true },
    { method: 'GET', path: '/long', function: longStreamer, streaming: true },
    { method: 'GET', path: '/stream-error', function: streamedError, streaming: true },
    { method: 'GET', path: '/stream-json', function: streamedJson, streaming: true },
    { method: 'GET', path: '/not-streaming', function: bufferedHandler, streaming: true },
    { method: 'GET', path: '/streaming-unexpected', function: streamedJson },
  ];
  const gatewayResponses = {
    ACCESS_DENIED: { statusCode: 401, body: '{"error":{"code":"invalid_api_key"}}', headers: { 'content-type': 'application/json' } },
    MISSING_AUTHENTICATION_TOKEN: { statusCode: 404, body: '{"message":"Not Found"}', headers: {} },
  };
  let gateway: HttpApiGateway;
  let plainGateway: HttpApiGateway;

  beforeAll(async () => {
    gateway = await startHttpApiGateway({ routes, port: 0, logger, binaryMediaTypes: ['*/*'], gatewayResponses });
    plainGateway = await startHttpApiGateway({ routes, port: 0, logger });
  });

  afterAll(async () => {
    await gateway.close();
    await plainGateway.close();
  });

  it('builds the proxy event as a REST API does, with path parameters', async () => {
    // Act
    const response = await send(gateway.url, {
      path: '/items/a%20b?tag=x&tag=y&q=1',
      headers: { 'X-Multi': ['one', 'two'], cookie: 'c1=v1; c2=v2', 'User-Agent': 'jest' },
    });

    // Assess
    expect(response.status).toBe(200);
    const event = response.json;
    expect(event).toMatchObject({
      resource: '/items/{id}',
      path: '/items/a%20b',
      httpMethod: 'GET',
      queryStringParameters: { tag: 'y', q: '1' },
      multiValueQueryStringParameters: { tag: ['x', 'y'], q: ['1'] },
      pathParameters: { id: 'a b' },
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: expect.any(String),
        domainName: '127.0.0.1',
        httpMethod: 'GET',
        identity: { sourceIp: '127.0.0.1', userAgent: 'jest' },
        path: '/local/items/a%20b',
        protocol: 'HTTP/1.1',
        requestId: response.headers['x-amzn-requestid'],
        resourcePath: '/items/{id}',
        stage: 'local',
        requestTime: expect.stringMatching(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
        requestTimeEpoch: expect.any(Number),
        authorizer: null,
      },
    });
    expect(event.headers).toMatchObject({ 'X-Multi': 'two', 'User-Agent': 'jest', cookie: 'c1=v1; c2=v2', 'X-Forwarded-Proto': 'http' });
    expect(event.multiValueHeaders).toMatchObject({ 'X-Multi': ['one', 'two'] });
  });

  it('prefers the most specific route and binds {proxy+} greedily', async () => {
    // Act
    const special = await send(gateway.url, { path: '/items/special' });
    const files = await send(gateway.url, { method: 'DELETE', path: '/files/a/b/c.txt' });
    const bareFiles = await send(gateway.url, { path: '/files' });

    // Assess
    expect(special.status).toBe(502);
    expect(files).toMatchObject({ status: 200, text: 'a/b/c.txt' });
    expect(bareFiles.status).toBe(404);
  });

  it('answers an unknown path or method with MISSING_AUTHENTICATION_TOKEN: 403 by default, as customised otherwise', async () => {
    // Act
    const unknownPath = await send(gateway.url, { path: '/nothing' });
    const wrongMethod = await send(gateway.url, { method: 'PUT', path: '/items/1' });
    const byDefault = await send(plainGateway.url, { path: '/nothing' });

    // Assess
    expect(unknownPath).toMatchObject({ status: 404, json: { message: 'Not Found' } });
    expect(wrongMethod).toMatchObject({ status: 404, json: { message: 'Not Found' } });
    expect(byDefault).toMatchObject({ status: 403, json: { message: 'Missing Authentication Token' } });
  });

  it('passes every body base64-encoded, byte for byte, with binaryMediaTypes */*; as text without', async () => {
    // Act
    const json = await send(gateway.url, {
      method: 'POST',
      path: '/items',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from([0x7b, 0xff, 0x7d]),
    });
    const binary = await send(gateway.url, {
      method: 'POST',
      path: '/items',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from([0, 159, 255]),
    });
    const text = await send(plainGateway.url, {
      method: 'POST',
      path: '/items',
      headers: { 'content-type': 'application/json' },
      body: '{"a":"é"}',
    });

    // Assess
    expect(json.json).toMatchObject({ body: Buffer.from([0x7b, 0xff, 0x7d]).toString('base64'), isBase64Encoded: true });
    expect(binary.json).toMatchObject({ body: Buffer.from([0, 159, 255]).toString('base64'), isBase64Encoded: true });
    expect(text.json).toMatchObject({ body: '{"a":"é"}', isBase64Encoded: false });
  });

  it('refuses a body over 10 MB with 413', async () => {
    // Act
    const response = await send(gateway.url, {
      method: 'POST',
      path: '/items',
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(MAX_REQUEST_BODY_BYTES + 1, 32),
    });

    // Assess
    expect(response).toMatchObject({ status: 413, json: { message: 'Request Too Long' } });
  });

  it('refuses a chunked body once it passes 10 MB', async () => {
    // Act
    const half = Buffer.alloc(MAX_REQUEST_BODY_BYTES / 2 + 1, 32);
    const response = await send(gateway.url, {
      method: 'POST',
      path: '/items',
      headers: { 'content-type': 'application/json' },
      chunks: [half, half],
    });

    // Assess
    expect(response.status).toBe(413);
  });

  it('runs the REQUEST authorizer first and hands its context (strings) and principal to the handler', async () => {
    // Prepare
    allow.calls.length = 0;

    // Act
    const response = await send(gateway.url, { path: '/private/42?x=1', headers: { Authorization: 'Bearer good' } });
    const wildcardAllowed = await send(gateway.url, { path: '/wildcard' });

    // Assess
    expect(response.status).toBe(200);
    expect(response.json.requestContext.authorizer).toEqual({
      tenantId: 't-1',
      keyId: 'k1',
      n: '3',
      principalId: 't-1',
      integrationLatency: 0,
    });
    const authorizerEvent = allow.calls[0]?.event;
    expect(authorizerEvent).toMatchObject({
      type: 'REQUEST',
      resource: '/private/{id}',
      path: '/private/42',
      httpMethod: 'GET',
      pathParameters: { id: '42' },
      queryStringParameters: { x: '1' },
      headers: { Authorization: 'Bearer good' },
      requestContext: { stage: 'local', resourcePath: '/private/{id}' },
    });
    expect(authorizerEvent.methodArn).toMatch(/^arn:aws:execute-api:us-east-1:000000000000:[a-z0-9]+\/local\/GET\/private\/42$/);
    expect(allow.calls[0]?.context.functionName).toBe('svc-test-allow');
    expect(wildcardAllowed.status).toBe(200);
  });

  it('answers a Deny with ACCESS_DENIED and a thrown "Unauthorized" with UNAUTHORIZED, without calling the handler', async () => {
    // Prepare
    echo.calls.length = 0;

    // Act
    const denied = await send(gateway.url, { path: '/private/42', headers: { authorization: 'Bearer bad' } });
    const deniedByDefault = await send(plainGateway.url, { path: '/private/42' });
    const unauthorized = await send(gateway.url, { path: '/unauthorized' });

    // Assess
    expect(denied).toMatchObject({ status: 401, json: { error: { code: 'invalid_api_key' } } });
    expect(deniedByDefault).toMatchObject({ status: 403, json: { message: expect.stringContaining('not authorized') } });
    expect(unauthorized).toMatchObject({ status: 401, json: { message: 'Unauthorized' } });
    expect(echo.calls).toHaveLength(0);
  });

  it('answers 500 when the authorizer throws or answers no policy (an HTTP API simple response)', async () => {
    // Act
    const thrown = await send(gateway.url, { path: '/crashing' });
    const simpleAnswer = await send(gateway.url, { path: '/simple' });

    // Assess
    expect(thrown).toMatchObject({ status: 500, json: { message: null } });
    expect(simpleAnswer.status).toBe(500);
  });

  it('maps a proxy result: status, headers, multi-value headers, base64 body decoded (a binary media type)', async () => {
    // Act
    const response = await send(gateway.url, { path: '/rich' });
    const undecoded = await send(plainGateway.url, { path: '/rich' });

    // Assess
    expect(response.status).toBe(201);
    expect(response.headers['x-custom']).toBe('7');
    expect(response.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2']);
    expect(Buffer.from(response.text, 'latin1')).toHaveLength(4);
    expect(undecoded.text).toBe(Buffer.from([0, 1, 2, 255]).toString('base64'));
  });

  it('answers 502 {"message":"Internal server error"} when the handler throws or returns nonsense', async () => {
    // Act
    const thrown = await send(gateway.url, { path: '/broken' });
    const nonsense = await send(gateway.url, { path: '/malformed' });

    // Assess
    expect(thrown).toMatchObject({ status: 502, json: { message: 'Internal server error' } });
    expect(nonsense).toMatchObject({ status: 502, json: { message: 'Internal server error' } });
    expect(logged.some((line) => line.includes('svc-test-broken failed'))).toBe(true);
  });

  it('answers 504 {"message":"Endpoint request timed out"} when the handler runs past its timeout', async () => {
    // Act
    const startedAt = Date.now();
    const response = await send(gateway.url, { path: '/slow' });

    // Assess
    expect(response).toMatchObject({ status: 504, json: { message: 'Endpoint request timed out' } });
    expect(Date.now() - startedAt).toBeLessThan(1_500);
  });

  it('gives each invocation a fresh context whose clock follows the function timeout', async () => {
    // Prepare
    echo.calls.length = 0;

    // Act
    await send(gateway.url, { path: '/items/1' });
    await send(gateway.url, { path: '/items/2' });

    // Assess
    const [first, second] = echo.calls;
    expect(first?.context.functionName).toBe('svc-test-echo');
    expect(first?.context.awsRequestId).not.toBe(second?.context.awsRequestId);
    expect(first?.remainingAtStart).toBeLessThanOrEqual(5_000);
    expect(first?.remainingAtStart).toBeGreaterThan(4_000);
  });

  it('streams a streaming route: each chunk reaches the client as the handler writes it', async () => {
    // Act
    const startedAt = Date.now();
    const arrivals: Array<{ at: number; text: string }> = [];
    const { status, headers } = await new Promise<{ status: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
      const req = httpRequest(`${gateway.url}/stream`, (res) => {
        res.on('data', (chunk: Buffer) => arrivals.push({ at: Date.now() - startedAt, text: chunk.toString('utf8') }));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      });
      req.on('error', reject);
      req.end();
    });

    // Assess
    expect(status).toBe(200);
    expect(headers['content-type']).toBe('text/event-stream');
    expect(headers['content-length']).toBeUndefined();
    expect(arrivals.map((arrival) => arrival.text).join('')).toBe('data: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\n');
    const total = arrivals[arrivals.length - 1]!.at;
    expect(total).toBeGreaterThanOrEqual(400);
    expect(arrivals[0]!.at).toBeLessThan(total / 2);
    expect(arrivals.length).toBeGreaterThanOrEqual(3);
  });

  it('tells a streaming handler that the client went away: its signal aborts and its body stops', async () => {
    // Prepare
    disconnects.length = 0;

    // Act
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${gateway.url}/long`, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
      req.end();
      setTimeout(() => reject(new Error('no first chunk')), 5_000).unref();
    });
    const until = Date.now() + 3_000;
    while (!disconnects.includes('long: stopped by the signal') && Date.now() < until) await sleep(20);

    // Assess
    expect(disconnects).toContain('long: stopped by the signal');
  });

  it('answers an error thrown before the stream starts, and a whole JSON answer, from a streaming route', async () => {
    // Act
    const failed = await send(gateway.url, { path: '/stream-error' });
    const whole = await send(gateway.url, { path: '/stream-json' });

    // Assess
    expect(failed).toMatchObject({ status: 500, json: { error: { code: 'internal_error', type: 'server_error' } } });
    expect(whole).toMatchObject({ status: 200, json: { whole: true } });
    expect(whole.headers['content-type']).toBe('application/json');
  });

  it('answers 502 when a streaming integration meets a buffered handler, or a buffered one a streaming handler', async () => {
    // Act
    const notStreaming = await send(gateway.url, { path: '/not-streaming' });
    const unexpected = await send(gateway.url, { path: '/streaming-unexpected' });

    // Assess
    expect(notStreaming.status).toBe(502);
    expect(unexpected.status).toBe(502);
  });

  it('logs one line per request: method, path, status, duration', () => {
    // Assess
    expect(logged).toContainEqual(expect.stringMatching(/^\[http\] GET \/nothing 404 \d+ms$/));
  });

  it('never writes a key to its request line: an api_key query parameter is redacted, the Authorization header never logged', async () => {
    // Act
    await send(gateway.url, {
      path: '/items/7?limit=2&api_key=sk-secret-in-url&after=x',
      headers: { authorization: 'Bearer sk-secret-in-header' },
    });
    await sleep(20);

    // Assess
    const line = logged.find((entry) => entry.startsWith('[http] GET /items/7'));
    expect(line).toMatch(/^\[http\] GET \/items\/7\?limit=2&api_key=\[REDACTED\]&after=x 200 \d+ms$/);
    expect(logged.join('\n')).not.toContain('sk-secret');
  });
});
