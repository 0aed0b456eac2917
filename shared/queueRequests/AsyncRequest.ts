import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { pageLimit } from '../domain/listPage';
import { BatchMetadata } from '../domain/metadata';
import { QUEUE_REQUEST_URLS, REQUEST_PAGE } from './constants';
import type { QueueRequestUrl } from './requestBody';

/** Where an asynchronous request is. */
export type AsyncRequestStatus = 'queued' | 'completed' | 'failed';

/** Why a request failed, in the OpenAI error's words. */
export interface AsyncRequestError {
  code: string;
  message: string;
}

/** An asynchronous request, as the store keeps it. */
export interface AsyncRequest {
  id: string;
  tenantId: string;
  status: AsyncRequestStatus;
  url: QueueRequestUrl;
  metadata: Record<string, string>;
  /** Unix seconds. */
  createdAt: number;
  settledAt?: number;
  /** When the record goes (DynamoDB TTL), unix seconds. */
  expiresAt: number;
  /** The OpenAI response body as JSON, when small enough for the item. */
  resultJson?: string;
  /** Where a large result is, in the platform bucket. */
  resultKey?: string;
  error?: AsyncRequestError;
}

/** The outcome the consumer records for a queued request. */
export type AsyncSettlement =
  | { status: 'completed'; settledAt: number; resultJson: string }
  | { status: 'completed'; settledAt: number; resultKey: string }
  | { status: 'failed'; settledAt: number; error: AsyncRequestError };

/** The body of `POST /v1/requests`: one request, as a batch line or a queue message carries it. */
export const CreateAsyncRequest = z.strictObject({
  url: z.string().pipe(z.enum(QUEUE_REQUEST_URLS, { error: `expected ${QUEUE_REQUEST_URLS.map((url) => `"${url}"`).join(' or ')}` })),
  body: z.record(z.string(), z.unknown(), { error: 'expected a JSON object' }),
  metadata: BatchMetadata.nullish(),
});
export type CreateAsyncRequest = z.infer<typeof CreateAsyncRequest>;

/** The query of `GET /v1/requests`, as OpenAI's lists take it: `after` an id, `limit` 1 to 100. */
export const ListAsyncRequestsQuery = z.object({
  after: z.string().min(1).optional(),
  limit: pageLimit(REQUEST_PAGE),
});
export type ListAsyncRequestsQuery = z.infer<typeof ListAsyncRequestsQuery>;

/** The request object `POST /v1/requests` and `GET /v1/requests/{id}` answer. */
export interface AsyncRequestObject {
  id: string;
  object: 'request';
  status: AsyncRequestStatus;
  url: string;
  created_at: number;
  completed_at: number | null;
  failed_at: number | null;
  metadata: Record<string, string>;
  /** The OpenAI response body (a `chat.completion` or an embeddings `list`), once completed. */
  result?: unknown;
  error?: AsyncRequestError;
}

/** The API object of a request; `result` is the parsed result, when there is one. */
export function toAsyncRequestObject(request: AsyncRequest, result?: unknown): AsyncRequestObject {
  return {
    id: request.id,
    object: 'request',
    status: request.status,
    url: request.url,
    created_at: request.createdAt,
    completed_at: request.status === 'completed' ? (request.settledAt ?? null) : null,
    failed_at: request.status === 'failed' ? (request.settledAt ?? null) : null,
    metadata: request.metadata,
    ...(result !== undefined ? { result } : {}),
    ...(request.error ? { error: request.error } : {}),
  };
}

/** A new request id, `req_` and 24 hex digits (96 random bits: not guessable). */
export function newAsyncRequestId(): string {
  return `req_${randomBytes(12).toString('hex')}`;
}

/** Whether `id` can be a request id; anything else is answered 404 without a lookup. */
export const isAsyncRequestId = (id: string): boolean => /^req_[0-9a-f]{24}$/.test(id);

/** Where a large result of a tenant's request is kept in the platform bucket. */
export const asyncResultKey = (tenantId: string, requestId: string): string => `requests/${tenantId}/${requestId}.json`;
