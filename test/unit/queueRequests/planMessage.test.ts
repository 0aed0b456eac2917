import { answerIdOf, idempotencyKeyOf } from '../../../shared/queueRequests/QueueRequestMessage';
import { planMessage, type AnswerPlan } from '../../../shared/queueRequests/planMessage';
import { chatMessage, embeddingMessage, makeQueueWorld, received, replyUrl, RESULTS_URL } from './queueWorld';

describe('planMessage: message validation', () => {
  const { deps } = makeQueueWorld();
  const plan = (body: unknown, attributes = {}) => planMessage(received(body, { attributes, messageId: 'msg-1' }), 0, deps);
  const refusal = (body: unknown, attributes = {}) => {
    const planned = plan(body, attributes) as AnswerPlan;
    expect(planned.kind).toBe('answer');
    expect(planned.work.kind).toBe('refused');
    return planned.work as { code: string; message: string };
  };

  it('plans a valid chat request for its reply queue, items prefixed with the message index', () => {
    // Act
    const planned = planMessage(received(chatMessage('c-1', replyUrl('a'))), 7, deps) as AnswerPlan;
    // Assess
    expect(planned).toMatchObject({
      kind: 'answer',
      customId: 'c-1',
      target: { kind: 'queue', queueUrl: replyUrl('a') },
      work: { kind: 'run', model: { id: 'chat-a' } },
    });
    expect(planned.work.kind === 'run' && planned.work.items.map((item) => item.id)).toEqual(['7#0']);
  });

  it('plans one item per embeddings input, and answers to the results queue when reply_to is absent', () => {
    const planned = plan(embeddingMessage('e-1', undefined, ['a', 'b', 'c'])) as AnswerPlan;
    expect(planned.target).toEqual({ kind: 'queue', queueUrl: RESULTS_URL });
    expect(planned.work.kind === 'run' && planned.work.items.map((item) => item.id)).toEqual(['0#0', '0#1', '0#2']);
  });

  it.each([
    ['not JSON', '{"custom_id": "x", ', 'invalid_json'],
    ['JSON but not an object', '[1, 2]', 'invalid_body'],
    [
      'a forbidden reply_to',
      { ...chatMessage('x'), reply_to: 'https://sqs.us-east-1.amazonaws.com/999999999999/attacker' },
      'reply_to_not_allowed',
    ],
    ['a reply_to that is no URL', { ...chatMessage('x'), reply_to: 'svc-test-reply-a' }, 'reply_to_not_allowed'],
    [
      'an async_request with a reply_to',
      { ...chatMessage('x', replyUrl('a')), async_request: { id: 'req_1', tenant_id: 't' } },
      'invalid_async_request',
    ],
    ['a malformed async_request', { ...chatMessage('x'), async_request: { id: 'req_1' } }, 'invalid_async_request'],
  ])('finds nowhere to answer a message with %s: it is undeliverable (DLQ)', (_, body, code) => {
    expect(plan(body)).toMatchObject({ kind: 'undeliverable', code });
  });

  it.each([
    ['no custom_id', { url: '/v1/embeddings', body: { model: 'embed-b', input: 'x' } }, 'missing_required_parameter', "'custom_id'"],
    ['no url', { custom_id: 'x', body: { model: 'embed-b', input: 'x' } }, 'missing_required_parameter', "'url'"],
    ['an unknown url', { custom_id: 'x', url: '/v1/images', body: {} }, 'invalid_value', '"/v1/chat/completions" or "/v1/embeddings"'],
    ['no body', { custom_id: 'x', url: '/v1/embeddings' }, 'missing_required_parameter', "'body'"],
    ['a body that is not an object', { custom_id: 'x', url: '/v1/embeddings', body: 'text' }, 'invalid_value', "'body'"],
    ['an unknown top-level field', { ...embeddingMessage('x'), callback: 'http://x' }, 'unknown_parameter', 'callback'],
    [
      'an unknown model',
      { ...chatMessage('x'), body: { model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] } },
      'model_not_found',
      "'gpt-9'",
    ],
    [
      'a chat model on the embeddings url',
      { ...embeddingMessage('x'), body: { model: 'chat-a', input: 'x' } },
      'model_not_found',
      'cannot serve embeddings',
    ],
    [
      'a bad role',
      { ...chatMessage('x'), body: { model: 'chat-a', messages: [{ role: 'robot', content: 'x' }] } },
      'invalid_value',
      'body.messages[0].role',
    ],
    [
      'an unknown body field',
      { ...chatMessage('x'), body: { model: 'chat-a', messages: [{ role: 'user', content: 'x' }], temprature: 1 } },
      'unknown_parameter',
      'body.temprature',
    ],
    [
      'max_tokens over the model limit',
      { ...chatMessage('x'), body: { model: 'chat-a', messages: [{ role: 'user', content: 'x' }], max_tokens: 5_000 } },
      'invalid_value',
      'above the limit of 100',
    ],
    [
      'input over the context window',
      embeddingMessage('x', undefined, 'word '.repeat(3_000)),
      'context_length_exceeded',
      'maximum context length is 500',
    ],
    [
      'stream: true',
      { ...chatMessage('x'), body: { model: 'chat-a', messages: [{ role: 'user', content: 'x' }], stream: true } },
      'unsupported_parameter',
      'Streaming',
    ],
    [
      'a body over 256 KiB',
      embeddingMessage(
        'x',
        undefined,
        Array.from({ length: 300 }, () => 'y'.repeat(1_000)),
      ),
      'request_too_large',
      '262144 bytes',
    ],
  ])('answers a message with %s with an error naming the problem', (_, body, code, words) => {
    const error = refusal(body);
    expect(error.code).toBe(code);
    expect(error.message).toContain(words);
  });

  it('refuses a message with more attributes than its answer can carry back', () => {
    const attributes = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`a${i}`, { dataType: 'String', stringValue: 'v' }]));
    expect(refusal(chatMessage('x'), attributes).code).toBe('too_many_attributes');
  });

  it('names a message without a readable custom_id by its SQS message id', () => {
    expect(plan({ url: '/v1/embeddings', body: {} })).toMatchObject({ kind: 'answer', customId: 'message-msg-1' });
    expect(plan({ custom_id: 42, url: '/v1/embeddings', body: {} })).toMatchObject({ customId: 'message-msg-1' });
  });

  it('plans an asynchronous request for the request store, never a queue', () => {
    const planned = plan({ ...chatMessage('req_1'), async_request: { id: 'req_1', tenant_id: 'tenant-a' } }) as AnswerPlan;
    expect(planned.target).toEqual({ kind: 'async', ref: { id: 'req_1', tenant_id: 'tenant-a' } });
  });
});

describe('idempotency keys', () => {
  const body = JSON.stringify(chatMessage('c-1'));
  const attributes = { trace: { dataType: 'String', stringValue: 't-1' }, correlation_id: { dataType: 'String', stringValue: 'k' } };

  it('are the same for every copy of a message, whatever the order of its attributes', () => {
    const reordered = { correlation_id: attributes.correlation_id, trace: attributes.trace };
    expect(idempotencyKeyOf('c-1', { body, attributes })).toBe(idempotencyKeyOf('c-1', { body, attributes: reordered }));
    expect(idempotencyKeyOf('c-1', { body, attributes })).toMatch(/^c-1:[0-9a-f]{64}$/);
  });

  it('differ when the content or the attributes differ, even under the same custom_id', () => {
    const key = idempotencyKeyOf('c-1', { body, attributes });
    expect(idempotencyKeyOf('c-1', { body: body.replace('hello', 'bye'), attributes })).not.toBe(key);
    expect(idempotencyKeyOf('c-1', { body, attributes: { ...attributes, trace: { dataType: 'String', stringValue: 't-2' } } })).not.toBe(
      key,
    );
    expect(idempotencyKeyOf('c-2', { body, attributes })).not.toBe(key);
  });

  it('give every copy of one request the same answer id', () => {
    expect(answerIdOf('c-1:abc')).toBe(answerIdOf('c-1:abc'));
    expect(answerIdOf('c-1:abc')).toMatch(/^qreq_[0-9a-f]{32}$/);
    expect(answerIdOf('c-1:abd')).not.toBe(answerIdOf('c-1:abc'));
  });
});
