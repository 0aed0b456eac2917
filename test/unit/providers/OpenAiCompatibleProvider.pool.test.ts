import { BackendUnavailableError } from '../../../shared/errors/backendErrors';
import { OpenAiCompatibleProvider } from '../../../shared/providers/openai/OpenAiCompatibleProvider';
import { ServedModels } from '../../../shared/providers/openai/ServedModels';
import type { ChatCall } from '../../../shared/domain/inference';
import { sendJson, startStubHttpServer, type StubHttpServer } from './stubHttpServer';

/**
 * A pool that checks its servers: each learns its models from `GET /v1/models`, and a
 * request goes only to the servers that list its model.
 */

const completion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
};

const notFound = (model: string) => ({
  object: 'error',
  message: `The model \`${model}\` does not exist.`,
  type: 'NotFoundError',
  param: null,
  code: 404,
});

/** A vLLM-like server serving `models` (changeable), answering chat for those and 404 for others. */
function vllm(server: StubHttpServer, served: { models: string[] }): void {
  server.handle((request, response) => {
    if (request.method === 'GET' && request.path === '/v1/models') {
      sendJson(response, 200, { object: 'list', data: served.models.map((id) => ({ id, object: 'model' })) });
      return;
    }
    const model = (request.body as { model: string }).model;
    if (!served.models.includes(model)) sendJson(response, 404, notFound(model));
    else sendJson(response, 200, { ...completion, model });
  });
}

const chat = (model: string): ChatCall => ({ model, messages: [{ role: 'user', content: 'Hi' }] });
const posts = (server: StubHttpServer) => server.requests.filter((request) => request.method === 'POST');

let a: StubHttpServer;
let b: StubHttpServer;
beforeEach(async () => {
  a = await startStubHttpServer();
  b = await startStubHttpServer();
});
afterEach(async () => {
  await Promise.all([a.close(), b.close()]);
});

describe('OpenAiCompatibleProvider with a model list per server', () => {
  it('sends each model only to the servers that list it, asking each server once while its list is fresh', async () => {
    // Prepare
    vllm(a, { models: ['small'] });
    vllm(b, { models: ['large'] });
    const provider = new OpenAiCompatibleProvider({ baseUrls: [a.baseUrl, b.baseUrl], backendId: 'pool', modelListTtlMs: 60_000 });

    // Act
    for (let i = 0; i < 4; i++) {
      await provider.chat(chat('small'));
      await provider.chat(chat('large'));
    }

    // Assess
    expect(posts(a).map((request) => (request.body as { model: string }).model)).toEqual(['small', 'small', 'small', 'small']);
    expect(posts(b).map((request) => (request.body as { model: string }).model)).toEqual(['large', 'large', 'large', 'large']);
    expect(a.requests.filter((request) => request.path === '/v1/models')).toHaveLength(1);
    expect(b.requests.filter((request) => request.path === '/v1/models')).toHaveLength(1);
  });

  it('fails as unavailable (so the request falls back) when no server serves the model, without sending it anywhere', async () => {
    // Prepare
    vllm(a, { models: ['small'] });
    const provider = new OpenAiCompatibleProvider({ baseUrls: [a.baseUrl], backendId: 'pool', modelListTtlMs: 60_000 });

    // Act
    const failure = provider.chat(chat('large'));

    // Assess
    await expect(failure).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(failure).rejects.toMatchObject({ code: 'backend_unavailable', status: 503, backendId: 'pool' });
    expect(posts(a)).toHaveLength(0);
  });

  it('treats a server that stopped serving the model (404 NotFoundError) as a backend failure and sends it no more of that model', async () => {
    // Prepare
    const served = { models: ['small'] };
    vllm(a, served);
    const provider = new OpenAiCompatibleProvider({ baseUrls: [a.baseUrl], backendId: 'pool', modelListTtlMs: 60_000 });
    await provider.chat(chat('small'));
    served.models = ['other'];

    // Act
    const first = provider.chat(chat('small'));
    await expect(first).rejects.toBeInstanceOf(BackendUnavailableError);
    const second = provider.chat(chat('small'));

    // Assess
    await expect(second).rejects.toMatchObject({ code: 'backend_unavailable', status: 503 });
    expect(posts(a)).toHaveLength(2);
  });

  it('leaves out a server that cannot be listed (down or unhealthy) and streams through the healthy one', async () => {
    // Prepare
    a.handle((_request, response) => sendJson(response, 503, { error: { message: 'loading' } }));
    b.handle((request, response) => {
      if (request.path === '/v1/models') {
        sendJson(response, 200, { object: 'list', data: [{ id: 'small' }] });
        return;
      }
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'small' };
      response.write(`data: ${JSON.stringify({ ...chunk, choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }] })}\n\n`);
      response.write(`data: ${JSON.stringify({ ...chunk, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
      response.end('data: [DONE]\n\n');
    });
    const provider = new OpenAiCompatibleProvider({ baseUrls: [a.baseUrl, b.baseUrl], backendId: 'pool', modelListTtlMs: 60_000 });

    // Act
    const deltas = [];
    for (let i = 0; i < 3; i++) for await (const delta of provider.chatStream(chat('small'))) deltas.push(delta);

    // Assess
    expect(deltas.filter((delta) => delta.content === 'Hi')).toHaveLength(3);
    expect(posts(a)).toHaveLength(0);
    expect(posts(b)).toHaveLength(3);
  });

  it('asks again once the list is older than its time to live, and takes a server back when it lists the model', async () => {
    // Prepare
    const served = { models: [] as string[] };
    vllm(a, served);
    let now = 0;
    const models = new ServedModels({ servers: [a.baseUrl], ttlMs: 1_000, fetch, now: () => now });

    // Act
    const before = await models.serversFor('small');
    served.models = ['small'];
    const cached = await models.serversFor('small');
    now = 1_000;
    const after = await models.serversFor('small');

    // Assess
    expect(before).toEqual([]);
    expect(cached).toEqual([]);
    expect(after).toEqual([a.baseUrl]);
    expect(a.requests.filter((request) => request.path === '/v1/models')).toHaveLength(2);
  });
});
