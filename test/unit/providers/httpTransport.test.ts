import { getEventListeners } from 'node:events';
import { nodeHttpPost, TransportTimeoutError } from '../../../shared/providers/openai/httpTransport';
import { OpenAiCompatibleProvider } from '../../../shared/providers/openai/OpenAiCompatibleProvider';
import { BackendUnavailableError } from '../../../shared/errors/backendErrors';
import { sendJson, startStubHttpServer } from './stubHttpServer';
import type { StubHttpServer } from './stubHttpServer';

const HEADERS = { 'content-type': 'application/json', accept: 'application/json' };
const BODY = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Grüße' }] });

let server: StubHttpServer;
beforeEach(async () => {
  server = await startStubHttpServer();
});
afterEach(async () => {
  await server.close();
});

/** Starts an answer, writes part of its body and stops there. */
function halfAnswer(res: import('node:http').ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
  res.write('{"choices":');
}

describe('nodeHttpPost', () => {
  it('sends the body whole (byte length of multi-byte text) and reads the answer', async () => {
    // Prepare
    server.handle((_req, res) => sendJson(res, 200, { ok: 'ß' }, { 'x-extra': 'yes' }));

    // Act
    const answer = await nodeHttpPost(`${server.baseUrl}/v1/chat/completions`, HEADERS, BODY, { timeoutMs: 5_000 });
    const text = await answer.text();

    // Assess
    expect(server.requests[0]!.body).toEqual(JSON.parse(BODY));
    expect(server.requests[0]!.headers['content-length']).toBe(String(Buffer.byteLength(BODY)));
    expect(answer.status).toBe(200);
    expect(answer.header('X-Extra')).toBe('yes');
    expect(answer.header('retry-after')).toBeNull();
    expect(JSON.parse(text)).toEqual({ ok: 'ß' });
  });

  it('drops its listener on the caller signal once the answer is read', async () => {
    // Prepare
    server.handle((_req, res) => sendJson(res, 200, {}));
    const controller = new AbortController();

    // Act
    const answer = await nodeHttpPost(`${server.baseUrl}/v1/x`, HEADERS, BODY, { signal: controller.signal, timeoutMs: 5_000 });
    const during = getEventListeners(controller.signal, 'abort').length;
    await answer.text();

    // Assess
    expect(during).toBe(1);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects with a TransportTimeoutError when the time runs out before the answer', async () => {
    // Prepare: never answer.
    server.handle(() => undefined);

    // Act
    const act = nodeHttpPost(`${server.baseUrl}/v1/x`, HEADERS, BODY, { timeoutMs: 50 });

    // Assess
    await expect(act).rejects.toBeInstanceOf(TransportTimeoutError);
  });

  it('rejects the body with a TransportTimeoutError when the time runs out while it streams', async () => {
    // Prepare
    server.handle((_req, res) => halfAnswer(res));
    const answer = await nodeHttpPost(`${server.baseUrl}/v1/x`, HEADERS, BODY, { timeoutMs: 100 });

    // Act
    const act = answer.text();

    // Assess
    await expect(act).rejects.toBeInstanceOf(TransportTimeoutError);
  });

  it('rejects with an AbortError carrying the reason when the caller aborts mid-body', async () => {
    // Prepare
    server.handle((_req, res) => halfAnswer(res));
    const controller = new AbortController();
    const answer = await nodeHttpPost(`${server.baseUrl}/v1/x`, HEADERS, BODY, { signal: controller.signal, timeoutMs: 5_000 });

    // Act
    const act = answer.text();
    controller.abort(new Error('gone'));

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'AbortError', cause: new Error('gone') });
  });

  it('rejects the body when the request was stopped before the read began (no event would come any more)', async () => {
    // Prepare: the headers arrive, then the caller aborts and the answer is gone before anyone reads it.
    server.handle((_req, res) => halfAnswer(res));
    const controller = new AbortController();
    const answer = await nodeHttpPost(`${server.baseUrl}/v1/x`, HEADERS, BODY, { signal: controller.signal, timeoutMs: 5_000 });
    controller.abort(new Error('left'));
    await new Promise((resolve) => setTimeout(resolve, 50));

    // Act
    const act = Promise.race([
      answer.text().then(
        () => 'resolved',
        (error: Error) => error,
      ),
      new Promise((resolve) => setTimeout(resolve, 1_000, 'still waiting')),
    ]);

    // Assess
    await expect(act).resolves.toMatchObject({ name: 'AbortError', cause: new Error('left') });
  });

  it('rejects at once with an AbortError when the signal has already fired', async () => {
    // Act
    const act = nodeHttpPost(`${server.baseUrl}/v1/x`, HEADERS, BODY, { signal: AbortSignal.abort(), timeoutMs: 5_000 });

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'AbortError' });
    expect(server.requests).toHaveLength(0);
  });

  it('rejects the body when the server hangs up mid-body', async () => {
    // Prepare
    server.handle((_req, res) => {
      halfAnswer(res);
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const answer = await nodeHttpPost(`${server.baseUrl}/v1/x`, HEADERS, BODY, { timeoutMs: 5_000 });

    // Act
    const act = answer.text();

    // Assess
    await expect(act).rejects.toMatchObject({ code: 'ECONNRESET' });
  });
});

describe('OpenAiCompatibleProvider over nodeHttpPost', () => {
  it('maps a timeout while the body streams to backend_timeout', async () => {
    // Prepare
    server.handle((_req, res) => halfAnswer(res));
    const provider = new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl], timeoutMs: 100 });

    // Act
    const act = provider.chat({ model: 'm', messages: [{ role: 'user', content: 'Hi' }] });

    // Assess
    await expect(act).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(act).rejects.toMatchObject({ code: 'backend_timeout' });
  });

  it('maps a server that hangs up mid-body to unreachable, not to a timeout', async () => {
    // Prepare
    server.handle((_req, res) => {
      halfAnswer(res);
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const provider = new OpenAiCompatibleProvider({ baseUrls: [server.baseUrl], timeoutMs: 5_000 });

    // Act
    const act = provider.chat({ model: 'm', messages: [{ role: 'user', content: 'Hi' }] });

    // Assess
    await expect(act).rejects.toThrow(/unreachable \(ECONNRESET\)/);
  });
});
