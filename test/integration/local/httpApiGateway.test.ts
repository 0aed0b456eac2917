import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { Context } from 'aws-lambda';
import { MAX_REQUEST_BODY_BYTES, startHttpApiGateway, type GatewayLogger, type HttpApiGateway } from '../../../shared/local/httpApiGateway';
import type { HttpApiAuthorizer, HttpApiRoute } from '../../../shared/local/httpApiRoutes';
import type { LambdaHandler, LocalFunction } from '../../../shared/local/localFunction';

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

/** A raw HTTP request, so repeated headers reach the server as separate lines. */
function send(url: string, options: { method?: string; path: string; headers?: Record<string, string | string[]>; body?: Buffer | string; chunks?: Buffer[] }) {
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

describe('the emulated HTTP API (payload 2.0)', () => {
  const logged: string[] = [];
  const logger: GatewayLogger = { info: (line) => logged.push(line), error: (line) => logged.push(line) };
  const echo = fakeFunction('echo', (event) => ({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(event) }));
  const proxy = fakeFunction('proxy', (event) => ({ statusCode: 200, body: event.pathParameters.proxy }));
  const plain = fakeFunction('plain', () => ({ hello: 'world' }));
  const rich = fakeFunction('rich', () => ({ statusCode: 201, headers: { 'X-Custom': 7 }, cookies: ['a=1; Path=/', 'b=2'], body: Buffer.from([0, 1, 2, 255]).toString('base64'), isBase64Encoded: true }));
  const broken = fakeFunction('broken', () => {
    throw new Error('handler bug');
  });
  const slow = fakeFunction('slow', () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200 }), 2_000).unref()), 0.2);
  const malformed = fakeFunction('malformed', () => ({ statusCode: 200, body: { not: 'a string' } }));
  const allow = fakeFunction('allow', (event) => ({ isAuthorized: event.headers.authorization === 'Bearer good', context: { tenantId: 't-1', keyId: 'k1' } }));
  const deny = fakeFunction('deny', () => ({ isAuthorized: false }));
  const crash = fakeFunction('crash', () => {
    throw new Error('authorizer bug');
  });
  const authorizer = (name: string, fn: LocalFunction): HttpApiAuthorizer => ({ name, function: fn, enableSimpleResponses: true });
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
    { method: 'GET', path: '/denied', function: echo.fn, authorizer: authorizer('deny', deny.fn) },
    { method: 'GET', path: '/crashing', function: echo.fn, authorizer: authorizer('crash', crash.fn) },
  ];
  let gateway: HttpApiGateway;

  beforeAll(async () => {
    gateway = await startHttpApiGateway({ routes, port: 0, logger });
  });

  afterAll(async () => {
    await gateway.close();
  });

  it('builds the event as API Gateway does, with path parameters', async () => {
    // Act
    const response = await send(gateway.url, {
      path: '/items/a%20b?tag=x&tag=y&q=1',
      headers: { 'X-Multi': ['one', 'two'], cookie: ['c1=v1; c2=v2', 'c3=v3'], 'User-Agent': 'jest' },
    });

    // Assess
    expect(response.status).toBe(200);
    const event = response.json;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /items/{id}',
      rawPath: '/items/a%20b',
      rawQueryString: 'tag=x&tag=y&q=1',
      cookies: ['c1=v1', 'c2=v2', 'c3=v3'],
      queryStringParameters: { tag: 'x,y', q: '1' },
      pathParameters: { id: 'a b' },
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: expect.any(String),
        domainName: '127.0.0.1',
        domainPrefix: '127',
        http: { method: 'GET', path: '/items/a%20b', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest' },
        requestId: response.headers['apigw-requestid'],
        routeKey: 'GET /items/{id}',
        stage: '$default',
        time: expect.stringMatching(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
        timeEpoch: expect.any(Number),
      },
    });
    expect(event.headers).toMatchObject({ 'x-multi': 'one,two', 'user-agent': 'jest', 'x-forwarded-proto': 'http' });
    expect(event.headers).not.toHaveProperty('cookie');
    expect(event.requestContext).not.toHaveProperty('authorizer');
    expect(event).not.toHaveProperty('body');
  });

  it('prefers the most specific route and binds {proxy+} greedily', async () => {
    // Act
    const special = await send(gateway.url, { path: '/items/special' });
    const files = await send(gateway.url, { method: 'DELETE', path: '/files/a/b/c.txt' });
    const bareFiles = await send(gateway.url, { path: '/files' });

    // Assess
    expect(special.json).toEqual({ hello: 'world' });
    expect(files).toMatchObject({ status: 200, text: 'a/b/c.txt' });
    expect(bareFiles.status).toBe(404);
  });

  it('answers 404 {"message":"Not Found"} when no route matches path and method', async () => {
    // Act
    const unknownPath = await send(gateway.url, { path: '/nothing' });
    const wrongMethod = await send(gateway.url, { method: 'PUT', path: '/items/1' });

    // Assess
    expect(unknownPath).toMatchObject({ status: 404, json: { message: 'Not Found' } });
    expect(wrongMethod).toMatchObject({ status: 404, json: { message: 'Not Found' } });
  });

  it('passes JSON bodies as text and binary bodies as base64', async () => {
    // Act
    const json = await send(gateway.url, { method: 'POST', path: '/items', headers: { 'content-type': 'application/json' }, body: '{"a":"é"}' });
    const binary = await send(gateway.url, { method: 'POST', path: '/items', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([0, 159, 255]) });

    // Assess
    expect(json.json).toMatchObject({ body: '{"a":"é"}', isBase64Encoded: false });
    expect(binary.json).toMatchObject({ body: Buffer.from([0, 159, 255]).toString('base64'), isBase64Encoded: true });
  });

  it('refuses a body over 10 MB with 413', async () => {
    // Act
    const response = await send(gateway.url, { method: 'POST', path: '/items', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(MAX_REQUEST_BODY_BYTES + 1, 32) });

    // Assess
    expect(response).toMatchObject({ status: 413, json: { message: 'Request Entity Too Large' } });
  });

  it('refuses a chunked body once it passes 10 MB', async () => {
    // Act
    const half = Buffer.alloc(MAX_REQUEST_BODY_BYTES / 2 + 1, 32);
    const response = await send(gateway.url, { method: 'POST', path: '/items', headers: { 'content-type': 'application/json' }, chunks: [half, half] });

    // Assess
    expect(response.status).toBe(413);
  });

  it('runs the authorizer first and hands its context to the handler', async () => {
    // Prepare
    allow.calls.length = 0;

    // Act
    const response = await send(gateway.url, { path: '/private/42?x=1', headers: { authorization: 'Bearer good' } });

    // Assess
    expect(response.status).toBe(200);
    expect(response.json.requestContext.authorizer).toEqual({ lambda: { tenantId: 't-1', keyId: 'k1' } });
    const authorizerEvent = allow.calls[0]?.event;
    expect(authorizerEvent).toMatchObject({
      version: '2.0',
      type: 'REQUEST',
      identitySource: [],
      routeKey: 'GET /private/{id}',
      rawPath: '/private/42',
      rawQueryString: 'x=1',
      pathParameters: { id: '42' },
      queryStringParameters: { x: '1' },
      headers: { authorization: 'Bearer good' },
      requestContext: { stage: '$default', http: { method: 'GET', path: '/private/42' } },
    });
    expect(authorizerEvent.routeArn).toMatch(/^arn:aws:execute-api:us-east-1:000000000000:[a-z0-9]+\/\$default\/GET\/private\/42$/);
    expect(allow.calls[0]?.context.functionName).toBe('svc-test-allow');
  });

  it('answers 403 {"message":"Forbidden"} when the authorizer says no, without calling the handler', async () => {
    // Prepare
    echo.calls.length = 0;

    // Act
    const refused = await send(gateway.url, { path: '/private/42', headers: { authorization: 'Bearer bad' } });
    const denied = await send(gateway.url, { path: '/denied' });

    // Assess
    expect(refused).toMatchObject({ status: 403, json: { message: 'Forbidden' } });
    expect(denied).toMatchObject({ status: 403, json: { message: 'Forbidden' } });
    expect(echo.calls).toHaveLength(0);
  });

  it('answers 500 when the authorizer throws', async () => {
    // Act
    const response = await send(gateway.url, { path: '/crashing' });

    // Assess
    expect(response).toMatchObject({ status: 500, json: { message: 'Internal Server Error' } });
  });

  it('maps a structured result: status, headers, cookies, base64 body', async () => {
    // Act
    const response = await send(gateway.url, { path: '/rich' });

    // Assess
    expect(response.status).toBe(201);
    expect(response.headers['x-custom']).toBe('7');
    expect(response.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2']);
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(Buffer.from(response.text, 'latin1')).toHaveLength(4);
  });

  it('infers 200 application/json for any other result', async () => {
    // Act
    const response = await send(gateway.url, { path: '/items/special' });

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.text).toBe('{"hello":"world"}');
  });

  it('answers 500 {"message":"Internal Server Error"} when the handler throws or returns nonsense', async () => {
    // Act
    const thrown = await send(gateway.url, { path: '/broken' });
    const nonsense = await send(gateway.url, { path: '/malformed' });

    // Assess
    expect(thrown).toMatchObject({ status: 500, json: { message: 'Internal Server Error' } });
    expect(nonsense).toMatchObject({ status: 500, json: { message: 'Internal Server Error' } });
    expect(logged.some((line) => line.includes('svc-test-broken failed'))).toBe(true);
  });

  it('answers 503 {"message":"Service Unavailable"} when the handler runs past its timeout', async () => {
    // Act
    const startedAt = Date.now();
    const response = await send(gateway.url, { path: '/slow' });

    // Assess
    expect(response).toMatchObject({ status: 503, json: { message: 'Service Unavailable' } });
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

  it('logs one line per request: method, path, status, duration', () => {
    // Assess
    expect(logged).toContainEqual(expect.stringMatching(/^\[http\] GET \/nothing 404 \d+ms$/));
  });
});
