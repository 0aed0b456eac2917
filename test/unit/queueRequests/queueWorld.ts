import { FAKE_CATALOGUE, fakeInferenceRuntime } from '../../helpers/fakeProviderWorld';
import type { AsyncRequest, AsyncSettlement } from '../../../shared/queueRequests/AsyncRequest';
import type { AnswerQueueRequestsDeps } from '../../../shared/queueRequests/answerQueueRequests';
import type {
  AnswerSendFailure,
  AnswerSender,
  AsyncRequestStore,
  IdempotencyClaim,
  IdempotencyStore,
  OutgoingAnswer,
  ResultObjects,
} from '../../../shared/queueRequests/ports';
import { ReplyPolicy } from '../../../shared/queueRequests/ReplyPolicy';
import type { MessageAttribute, ReceivedMessage } from '../../../shared/sqsEvents/sqsBatchAll';
import { FakeProvider } from '../../helpers/fakeProvider';

export const ENDPOINT = 'http://127.0.0.1:9324/000000000000';
export const RESULTS_URL = `${ENDPOINT}/svc-test-results`;
export const REPLY_PREFIX = 'svc-test-reply-';
export const replyUrl = (suffix: string) => `${ENDPOINT}/${REPLY_PREFIX}${suffix}`;

/** An idempotency store in memory with the DynamoDB one's rules: locks expire, completed stays completed. */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly records = new Map<string, { status: 'in_progress' | 'completed'; lockUntil: number }>();
  now = () => Date.now();
  failComplete = false;

  async claim(key: string, lockUntilMs: number): Promise<IdempotencyClaim> {
    const record = this.records.get(key);
    if (record?.status === 'completed') return 'completed';
    if (record && record.lockUntil >= this.now()) return 'in_progress';
    this.records.set(key, { status: 'in_progress', lockUntil: lockUntilMs });
    return 'acquired';
  }

  async complete(key: string): Promise<void> {
    if (this.failComplete) throw new Error('DynamoDB is unreachable');
    this.records.set(key, { status: 'completed', lockUntil: 0 });
  }

  async release(key: string): Promise<void> {
    this.records.delete(key);
  }
}

/** Reply queues in memory; a queue named in `missing` does not exist. */
export class MemoryAnswerSender implements AnswerSender {
  readonly queues = new Map<string, OutgoingAnswer[]>();
  readonly calls: { queueUrl: string; ids: string[] }[] = [];
  readonly missing = new Set<string>();
  /** Answer ids SQS fails (as its own fault, after the adapter's retries). */
  readonly refuse = new Set<string>();

  async sendBatch(queueUrl: string, answers: readonly OutgoingAnswer[]): Promise<AnswerSendFailure[]> {
    if (answers.length > 10) throw new Error('more than 10 entries in one SendMessageBatch');
    this.calls.push({ queueUrl, ids: answers.map((a) => a.id) });
    if (this.missing.has(queueUrl)) throw Object.assign(new Error('The specified queue does not exist.'), { name: 'QueueDoesNotExist' });
    const failures = answers.filter((a) => this.refuse.has(a.id)).map((a) => ({ id: a.id, code: 'InternalError', message: 'try again' }));
    this.queues.set(queueUrl, [...(this.queues.get(queueUrl) ?? []), ...structuredClone(answers.filter((a) => !this.refuse.has(a.id)))]);
    return failures;
  }

  /** The answers a queue received, parsed. */
  lines(queueUrl: string): any[] {
    return (this.queues.get(queueUrl) ?? []).map((answer) => JSON.parse(answer.body));
  }

  get total(): number {
    return [...this.queues.values()].reduce((sum, answers) => sum + answers.length, 0);
  }
}

/** Asynchronous requests in memory, settled once. */
export class MemoryAsyncRequestStore implements AsyncRequestStore {
  readonly requests = new Map<string, AsyncRequest>();
  async create(request: AsyncRequest) {
    if (this.requests.has(request.id)) throw new Error('exists');
    this.requests.set(request.id, structuredClone(request));
  }
  async get(id: string) {
    const request = this.requests.get(id);
    return request && structuredClone(request);
  }
  async list(tenantId: string, page: { after?: string; limit: number }) {
    const mine = [...this.requests.values()]
      .filter((request) => request.tenantId === tenantId)
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
    const start = page.after === undefined ? 0 : mine.findIndex((request) => request.id === page.after) + 1;
    const slice = mine.slice(start, start + page.limit);
    return { requests: slice.map((request) => structuredClone(request)), hasMore: start + page.limit < mine.length };
  }
  async settle(id: string, tenantId: string, settlement: AsyncSettlement) {
    const request = this.requests.get(id);
    if (!request || request.status !== 'queued' || request.tenantId !== tenantId) return false;
    Object.assign(request, structuredClone(settlement));
    return true;
  }
}

/** A bucket of result objects in memory. */
export class MemoryResultObjects implements ResultObjects {
  readonly objects = new Map<string, string>();
  async write(key: string, json: string) {
    this.objects.set(key, json);
  }
  async read(key: string) {
    const json = this.objects.get(key);
    if (json === undefined) throw new Error(`NoSuchKey ${key}`);
    return json;
  }
}

const catalogue = FAKE_CATALOGUE;

/** Everything the consumer needs, in memory, with a real core and router over fake providers. */
export function makeQueueWorld() {
  const { router, core, providers } = fakeInferenceRuntime(catalogue, (id) => new FakeProvider(id), {
    failureThreshold: 1_000,
    maxAttempts: 2,
    deadlineSafetyMs: 10,
  });
  const idempotency = new MemoryIdempotencyStore();
  const answers = new MemoryAnswerSender();
  const requests = new MemoryAsyncRequestStore();
  const results = new MemoryResultObjects();
  let ids = 0;
  const deps: AnswerQueueRequestsDeps = {
    core,
    router,
    idempotency,
    answers,
    replyPolicy: new ReplyPolicy({ resultsQueueUrl: RESULTS_URL, replyQueuePrefix: REPLY_PREFIX }),
    async: { requests, results },
    maxReceiveCount: 3,
    newId: () => `id${++ids}`,
    nowSeconds: () => 1_795_000_000,
  };
  return {
    deps,
    core,
    router,
    providers,
    idempotency,
    answers,
    requests,
    results,
    chat: () => providers.get('gpu')!,
    embed: () => providers.get('gpu-embed')!,
  };
}

let messageCount = 0;

/** A received message whose body is `body` (a string as is, anything else as JSON). */
export function received(
  body: unknown,
  options: { attributes?: Record<string, MessageAttribute>; receiveCount?: number; messageId?: string } = {},
): ReceivedMessage {
  return {
    messageId: options.messageId ?? `m-${++messageCount}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: options.attributes ?? {},
    receiveCount: options.receiveCount ?? 1,
  };
}

/** A chat request message. */
export const chatMessage = (customId: string, replyTo?: string, content = `hello ${customId}`) => ({
  custom_id: customId,
  url: '/v1/chat/completions',
  body: { model: 'chat-a', messages: [{ role: 'user', content }], max_tokens: 10 },
  ...(replyTo ? { reply_to: replyTo } : {}),
});

/** An embeddings request message. */
export const embeddingMessage = (customId: string, replyTo?: string, input: string | string[] = ['one', 'two']) => ({
  custom_id: customId,
  url: '/v1/embeddings',
  body: { model: 'embed-b', input },
  ...(replyTo ? { reply_to: replyTo } : {}),
});

/** A redelivery of `message`: the same message, handed out once more. */
export const redelivered = (message: ReceivedMessage): ReceivedMessage => ({ ...message, receiveCount: message.receiveCount + 1 });

/** A deadline far enough away for any in-memory run. */
export const options = () => ({ deadline: Date.now() + 30_000 });
