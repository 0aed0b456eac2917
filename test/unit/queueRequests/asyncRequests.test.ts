import { createHandler } from '../../../functions/http/requests';
import { answerQueueRequests } from '../../../shared/queueRequests/answerQueueRequests';
import { AsyncRequestService } from '../../../shared/queueRequests/AsyncRequestService';
import { outgoingAnswerOf } from '../../../shared/queueRequests/answers';
import { INLINE_RESULT_MAX_BYTES, MAX_ANSWER_BYTES } from '../../../shared/queueRequests/constants';
import type { AnswerPlan } from '../../../shared/queueRequests/planMessage';
import type { QueueRequestMessage } from '../../../shared/queueRequests/QueueRequestMessage';
import { settleAsyncRequest } from '../../../shared/queueRequests/settleAsyncRequest';
import { loadEvent, lambdaContext } from '../../helpers/events';
import { MemorySender } from '../../helpers/memoryPorts';
import { makeQueueWorld, received } from './queueWorld';

const NOW_MS = Date.UTC(2026, 10, 28, 18, 0, 0);
const chatBody = { model: 'chat-a', messages: [{ role: 'user', content: 'Write a story.' }], max_tokens: 50 };

function setup() {
  const world = makeQueueWorld();
  const queue = new MemorySender<QueueRequestMessage>();
  let ids = 0;
  const service = new AsyncRequestService({
    requests: world.requests,
    results: world.results,
    queue,
    router: world.router,
    now: () => NOW_MS,
    newId: () => `req_${String(++ids).padStart(24, '0')}`,
  });
  const handler = createHandler({ service, maxBodyBytes: 1_000_000 });
  const call = async (
    sample: 'requestsCreate' | 'requestsRetrieve' | 'requestsList',
    options: { tenant?: string; body?: unknown; id?: string; query?: Record<string, string> } = {},
  ) => {
    const event = loadEvent(`http/${sample}.json`);
    event.requestContext.authorizer = { principalId: options.tenant ?? 'tenant-a', tenantId: options.tenant ?? 'tenant-a', keyId: 'k' };
    if (options.body !== undefined) event.body = JSON.stringify(options.body);
    if (options.id !== undefined) event.pathParameters = { requestId: options.id };
    if (options.query !== undefined) event.queryStringParameters = options.query;
    const response = await handler(event, lambdaContext());
    return { status: response.statusCode!, body: JSON.parse(response.body!) };
  };
  return { world, queue, call };
}

describe('POST /v1/requests and GET /v1/requests/{requestId}', () => {
  it('stores a queued request, enqueues it for the consumer, and answers 202 with its id', async () => {
    // Prepare
    const { world, queue, call } = setup();
    // Act
    const answer = await call('requestsCreate', { body: { url: '/v1/chat/completions', body: chatBody, metadata: { app: 'stories' } } });
    // Assess
    expect(answer).toEqual({
      status: 202,
      body: {
        id: 'req_000000000000000000000001',
        object: 'request',
        status: 'queued',
        url: '/v1/chat/completions',
        created_at: NOW_MS / 1000,
        completed_at: null,
        failed_at: null,
        metadata: { app: 'stories' },
      },
    });
    expect(queue.sent).toEqual([
      {
        custom_id: answer.body.id,
        url: '/v1/chat/completions',
        body: chatBody,
        async_request: { id: answer.body.id, tenant_id: 'tenant-a' },
      },
    ]);
    expect(world.requests.requests.get(answer.body.id)).toMatchObject({
      tenantId: 'tenant-a',
      status: 'queued',
      expiresAt: NOW_MS / 1000 + 7 * 86_400,
    });
  });

  it('answers the result once the consumer has run the queued message, and 404 to another tenant', async () => {
    // Prepare
    const { world, queue, call } = setup();
    const created = await call('requestsCreate', { body: { url: '/v1/chat/completions', body: chatBody } });
    // Act
    const before = await call('requestsRetrieve', { id: created.body.id });
    const consumed = await answerQueueRequests(world.deps, [received(queue.sent[0])], { deadline: Date.now() + 10_000 });
    const after = await call('requestsRetrieve', { id: created.body.id });
    const stranger = await call('requestsRetrieve', { id: created.body.id, tenant: 'tenant-b' });
    // Assess
    expect(consumed.retry).toEqual([]);
    expect(before.body).toMatchObject({ status: 'queued' });
    expect(before.body.result).toBeUndefined();
    expect(after.body).toMatchObject({
      status: 'completed',
      completed_at: 1_795_000_000,
      result: { object: 'chat.completion', model: 'chat-a' },
    });
    expect(stranger).toEqual({ status: 404, body: { error: expect.objectContaining({ code: 'request_not_found' }) } });
  });

  it.each([
    ['an unknown url', { url: '/v1/images', body: {} }, 400, 'invalid_value', 'url'],
    ['no body', { url: '/v1/embeddings' }, 400, 'missing_required_parameter', 'body'],
    [
      'a bad message role',
      { url: '/v1/chat/completions', body: { ...chatBody, messages: [{ role: 'robot', content: 'x' }] } },
      400,
      'invalid_value',
      'body.messages[0].role',
    ],
    ['an unknown model', { url: '/v1/chat/completions', body: { ...chatBody, model: 'gpt-9' } }, 404, 'model_not_found', 'model'],
    [
      'an unknown field',
      { url: '/v1/embeddings', body: { model: 'embed-b', input: 'x' }, reply_to: 'x' },
      400,
      'unknown_parameter',
      'reply_to',
    ],
    [
      'a request over 256 KiB',
      { url: '/v1/embeddings', body: { model: 'embed-b', input: Array.from({ length: 300 }, () => 'y'.repeat(1_000)) } },
      413,
      'request_too_large',
      null,
    ],
  ])('refuses %s at once, enqueueing nothing', async (_, body, status, code, param) => {
    const { queue, call } = setup();
    const answer = await call('requestsCreate', { body });
    expect(answer.status).toBe(status);
    expect(answer.body.error).toMatchObject({ code, param });
    expect(queue.sent).toEqual([]);
  });

  it('answers 404 for an id that cannot be a request id, without a lookup', async () => {
    const { call } = setup();
    expect((await call('requestsRetrieve', { id: 'batch_123' })).status).toBe(404);
  });

  it('fails the stored request when the queue cannot take it, so nothing waits forever', async () => {
    const { world, queue, call } = setup();
    queue.send = async () => {
      throw new Error('SQS unavailable');
    };
    const answer = await call('requestsCreate', { body: { url: '/v1/chat/completions', body: chatBody } });
    expect(answer.status).toBe(500);
    expect([...world.requests.requests.values()]).toEqual([
      expect.objectContaining({ status: 'failed', error: expect.objectContaining({ code: 'enqueue_failed' }) }),
    ]);
  });
});

describe('large results', () => {
  const bigBody = { object: 'list', data: [{ object: 'embedding', index: 0, embedding: 'A'.repeat(INLINE_RESULT_MAX_BYTES) }] };

  it('puts a result too large for the DynamoDB item in S3 under requests/<tenant>/<id>.json, and GET reads it back', async () => {
    // Prepare
    const { world, call } = setup();
    const created = await call('requestsCreate', { body: { url: '/v1/embeddings', body: { model: 'embed-b', input: 'x' } } });
    // Act
    await settleAsyncRequest(
      world.deps.async,
      { id: created.body.id, tenant_id: 'tenant-a' },
      { id: 'qreq_1', custom_id: created.body.id, response: { status_code: 200, request_id: 'r', body: bigBody }, error: null },
      5,
    );
    const after = await call('requestsRetrieve', { id: created.body.id });
    // Assess
    const key = `requests/tenant-a/${created.body.id}.json`;
    expect(world.results.objects.has(key)).toBe(true);
    expect(world.requests.requests.get(created.body.id)).toMatchObject({ status: 'completed', resultKey: key });
    expect(world.requests.requests.get(created.body.id)!.resultJson).toBeUndefined();
    expect(after.body.result).toEqual(bigBody);
  });

  it('settles a request once: a second outcome, or one naming another tenant, changes nothing', async () => {
    const { world, call } = setup();
    const created = await call('requestsCreate', { body: { url: '/v1/embeddings', body: { model: 'embed-b', input: 'x' } } });
    const line = (code: string) => ({ id: 'qreq_1', custom_id: created.body.id, response: null, error: { code, message: code } });
    expect(await settleAsyncRequest(world.deps.async, { id: created.body.id, tenant_id: 'tenant-b' }, line('forged'), 5)).toBe(false);
    expect(await settleAsyncRequest(world.deps.async, { id: created.body.id, tenant_id: 'tenant-a' }, line('first'), 5)).toBe(true);
    expect(await settleAsyncRequest(world.deps.async, { id: created.body.id, tenant_id: 'tenant-a' }, line('second'), 6)).toBe(false);
    expect((await call('requestsRetrieve', { id: created.body.id })).body).toMatchObject({
      status: 'failed',
      failed_at: 5,
      error: { code: 'first' },
    });
  });

  it('answers a queue request whose result is too large for a message with response_too_large instead', () => {
    const plan = { customId: 'big', message: received('{}') } as AnswerPlan;
    const answer = outgoingAnswerOf(plan, {
      id: 'qreq_big',
      custom_id: 'big',
      response: { status_code: 200, request_id: 'r', body: { data: 'x'.repeat(MAX_ANSWER_BYTES) } },
      error: null,
    });
    expect(JSON.parse(answer.body)).toMatchObject({
      id: 'qreq_big',
      custom_id: 'big',
      response: null,
      error: { code: 'response_too_large' },
    });
  });
});

describe('GET /v1/requests', () => {
  it("lists the tenant's requests newest first without their results, a page at a time, in OpenAI's list shape", async () => {
    // Prepare: three requests of tenant-a (ids in creation order), one of tenant-b.
    const { call } = setup();
    for (let i = 0; i < 3; i++) await call('requestsCreate', { body: { url: '/v1/chat/completions', body: chatBody } });
    await call('requestsCreate', { tenant: 'tenant-b', body: { url: '/v1/chat/completions', body: chatBody } });
    // Act
    const first = await call('requestsList', { query: { limit: '2' } });
    const second = await call('requestsList', { query: { limit: '2', after: first.body.last_id } });
    const other = await call('requestsList', { tenant: 'tenant-b', query: {} });
    // Assess
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ object: 'list', has_more: true, first_id: 'req_000000000000000000000003' });
    expect(first.body.data.map((r: { id: string }) => r.id)).toEqual(['req_000000000000000000000003', 'req_000000000000000000000002']);
    expect(first.body.data[0]).toEqual({
      id: 'req_000000000000000000000003',
      object: 'request',
      status: 'queued',
      url: '/v1/chat/completions',
      created_at: NOW_MS / 1000,
      completed_at: null,
      failed_at: null,
      metadata: {},
    });
    expect(second.body).toMatchObject({ has_more: false, data: [{ id: 'req_000000000000000000000001' }] });
    expect(other.body.data.map((r: { id: string }) => r.id)).toEqual(['req_000000000000000000000004']);
  });

  it("refuses an 'after' that is not one of the tenant's requests, and a limit out of range", async () => {
    const { call } = setup();
    const created = await call('requestsCreate', { tenant: 'tenant-b', body: { url: '/v1/chat/completions', body: chatBody } });
    const foreign = await call('requestsList', { query: { after: created.body.id } });
    const tooMany = await call('requestsList', { query: { limit: '101' } });
    expect(foreign).toMatchObject({ status: 400, body: { error: { code: 'invalid_value', param: 'after' } } });
    expect(tooMany).toMatchObject({ status: 400, body: { error: { param: 'limit' } } });
  });
});
