import type { MessageAttribute } from '../sqsEvents/sqsBatchAll';
import type { AsyncRequest, AsyncSettlement } from './AsyncRequest';

/** How a claim on an idempotency key went. */
export type IdempotencyClaim =
  /** This delivery holds the key until the lock expires: it answers, then completes or releases. */
  | 'acquired'
  /** The request was answered already: nothing is sent again. */
  | 'completed'
  /** Another delivery holds a live lock: try again later (its answer may still fail). */
  | 'in_progress';

/**
 * Remembers which requests were answered (DynamoDB, through Powertools' idempotency
 * persistence layer). A key moves `acquired → completed` once; a released or expired lock
 * lets the next delivery claim it again.
 */
export interface IdempotencyStore {
  /** Claims `key` for this delivery, locked until `lockUntilMs` (epoch ms; past it a crashed holder's lock no longer counts). */
  claim(key: string, lockUntilMs: number): Promise<IdempotencyClaim>;
  /** Marks the request answered; a copy of it is then never answered again, until the record expires. */
  complete(key: string): Promise<void>;
  /** Drops this delivery's claim, so a redelivery may answer. */
  release(key: string): Promise<void>;
}

/** One answer message to send. */
export interface OutgoingAnswer {
  /** The answer's id (`qreq_…`): the same for every copy of one request. */
  id: string;
  /** The OpenAI batch output line, as JSON. */
  body: string;
  /** The sender's attributes and `custom_id`. */
  attributes: Record<string, MessageAttribute>;
}

/** An answer SQS did not take. */
export interface AnswerSendFailure {
  id: string;
  code: string;
  message: string;
}

/** Sends answers to reply queues (SQS). */
export interface AnswerSender {
  /**
   * Sends up to 10 answers to one queue in one SendMessageBatch, resending entries SQS
   * failed for its own reasons. Resolves with the answers it could not send; throws when
   * the call itself fails (no such queue, access denied, network), none sent.
   */
  sendBatch(queueUrl: string, answers: readonly OutgoingAnswer[]): Promise<AnswerSendFailure[]>;
}

/** Asynchronous requests (DynamoDB). */
export interface AsyncRequestStore {
  /** Stores a new request; throws if one with its id exists. */
  create(request: AsyncRequest): Promise<void>;
  /** The request, whoever owns it (callers serving a tenant check `tenantId`). */
  get(requestId: string): Promise<AsyncRequest | undefined>;
  /** A tenant's requests, newest first; `after` is the id of the last request of the previous page. */
  list(tenantId: string, page: { after?: string; limit: number }): Promise<{ requests: AsyncRequest[]; hasMore: boolean }>;
  /**
   * Records the outcome of a queued request of `tenantId`, once: false (and nothing
   * written) when it is not queued any more, or is not that tenant's.
   */
  settle(requestId: string, tenantId: string, settlement: AsyncSettlement): Promise<boolean>;
}

/** Where large results live (S3, `requests/<tenant>/<id>.json`). */
export interface ResultObjects {
  write(key: string, json: string): Promise<void>;
  read(key: string): Promise<string>;
}
