import { toSqsJson } from '../sqsEvents/sqsText';
import { toListPage, type ListPage } from '../domain/listPage';
import { InvalidRequestError } from '../errors/requestErrors';
import type { MessageSender } from '../domain/ports';
import {
  isAsyncRequestId,
  newAsyncRequestId,
  toAsyncRequestObject,
  type AsyncRequest,
  type AsyncRequestObject,
  type CreateAsyncRequest,
  type ListAsyncRequestsQuery,
} from './AsyncRequest';
import { ASYNC_REQUEST_RETENTION_SECONDS, MAX_REQUEST_BYTES } from './constants';
import { AsyncRequestNotFoundError, RequestTooLargeError } from './errors';
import type { AsyncRequestStore, ResultObjects } from './ports';
import type { QueueRequestMessage } from './QueueRequestMessage';
import { planRequestBody, type ModelLookup } from './requestBody';

/** What the asynchronous-request API works with. */
export interface AsyncRequestServiceDeps {
  requests: AsyncRequestStore;
  results: ResultObjects;
  /** The requests queue: the consumer answers the request from there like any other. */
  queue: MessageSender<QueueRequestMessage>;
  router: ModelLookup;
  /** Milliseconds since the epoch. */
  now?: () => number;
  newId?: () => string;
}

/**
 * `POST /v1/requests` and `GET /v1/requests/{id}`: asynchronous requests over HTTP, for
 * apps that cannot hold a connection through a long generation. A request is validated as
 * the real-time route would validate it (so it is refused now, not failed later), stored as
 * `queued`, and sent to the requests queue; the consumer records its outcome. A tenant
 * sees only its own requests: another tenant's id is answered as an unknown one (404).
 */
export class AsyncRequestService {
  private readonly now: () => number;
  private readonly newId: () => string;

  constructor(private readonly deps: AsyncRequestServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.newId = deps.newId ?? newAsyncRequestId;
  }

  /** Stores and enqueues one request; if it cannot be enqueued it is failed, so nothing waits forever. */
  async create(tenantId: string, input: CreateAsyncRequest): Promise<AsyncRequestObject> {
    planRequestBody(input.url, input.body, this.deps.router);
    const id = this.newId();
    const message: QueueRequestMessage = { custom_id: id, url: input.url, body: input.body, async_request: { id, tenant_id: tenantId } };
    // Measured as sent: characters SQS cannot carry travel escaped (toSqsJson).
    const bytes = Buffer.byteLength(toSqsJson(message), 'utf8');
    if (bytes > MAX_REQUEST_BYTES) throw new RequestTooLargeError(bytes);
    const createdAt = Math.floor(this.now() / 1000);
    const request: AsyncRequest = {
      id,
      tenantId,
      status: 'queued',
      url: input.url,
      metadata: input.metadata ?? {},
      createdAt,
      expiresAt: createdAt + ASYNC_REQUEST_RETENTION_SECONDS,
    };
    await this.deps.requests.create(request);
    try {
      await this.deps.queue.send([message]);
    } catch (error) {
      const failure = { code: 'enqueue_failed', message: 'The request could not be queued; send it again.' };
      await this.deps.requests
        .settle(id, tenantId, { status: 'failed', settledAt: Math.floor(this.now() / 1000), error: failure })
        .catch(() => undefined);
      throw error;
    }
    return toAsyncRequestObject(request);
  }

  /**
   * `GET /v1/requests`: the tenant's requests, newest first, without their results (a
   * result can be large: `GET /v1/requests/{id}` gives it). `after` must be one of the
   * tenant's requests, as for the Batch API's list.
   */
  async list(tenantId: string, query: ListAsyncRequestsQuery): Promise<ListPage<AsyncRequestObject>> {
    const after = query.after !== undefined && isAsyncRequestId(query.after) ? await this.deps.requests.get(query.after) : undefined;
    if (query.after !== undefined && after?.tenantId !== tenantId) {
      throw new InvalidRequestError(`Invalid value for 'after': no request '${query.after}' to list after.`, {
        param: 'after',
        code: 'invalid_value',
      });
    }
    const { requests, hasMore } = await this.deps.requests.list(tenantId, { after: query.after, limit: query.limit });
    return toListPage(
      requests.map((request) => toAsyncRequestObject(request)),
      hasMore,
    );
  }

  /** A tenant's request, with its result once completed (read from S3 when it was too large for the item). */
  async retrieve(tenantId: string, requestId: string): Promise<AsyncRequestObject> {
    const request = isAsyncRequestId(requestId) ? await this.deps.requests.get(requestId) : undefined;
    if (!request || request.tenantId !== tenantId) throw new AsyncRequestNotFoundError(requestId);
    if (request.status !== 'completed') return toAsyncRequestObject(request);
    const json = request.resultKey !== undefined ? await this.deps.results.read(request.resultKey) : request.resultJson;
    return toAsyncRequestObject(request, json === undefined ? undefined : JSON.parse(json));
  }
}
