/** The two endpoints a queued request may target (the same as a batch line's). */
export const QUEUE_REQUEST_URLS = ['/v1/chat/completions', '/v1/embeddings'] as const;

/** `GET /v1/requests` pages: 20 requests unless `limit` says otherwise, at most 100. */
export const REQUEST_PAGE = { default: 20, max: 100 } as const;

/**
 * Largest request message body taken, and largest request `POST /v1/requests` enqueues:
 * SQS's classic message limit, which every queue accepts whatever its MaximumMessageSize.
 */
export const MAX_REQUEST_BYTES = 256 * 1024;

/**
 * Largest answer sent to a reply queue (body and attributes), and largest SendMessageBatch:
 * the same classic SQS limit, since a sender's reply queue may still have it. An answer
 * over it becomes a `response_too_large` error answer instead of a send SQS would refuse.
 */
export const MAX_ANSWER_BYTES = 256 * 1024;

/** Entries in one SendMessageBatch (SQS's limit). */
export const MAX_ANSWERS_PER_BATCH = 10;

/**
 * SQS carries at most 10 message attributes; every answer adds `custom_id`, so a request
 * may carry at most 9 of its own for them all to travel back.
 */
export const MAX_SENDER_ATTRIBUTES = 9;

/** The attribute every answer carries, beside the sender's own. */
export const CUSTOM_ID_ATTRIBUTE = 'custom_id';

/** Longest `custom_id` taken (it travels back as an attribute and keys the idempotency record). */
export const MAX_CUSTOM_ID_CHARS = 512;

/**
 * How long an answered request is remembered: a copy of it (a redelivery, a sender's retry,
 * an operator's redrive) within this time gets no second answer. Longer than the requests
 * queue keeps a message (4 days by default), so no copy still in the queue can outlive it.
 */
export const IDEMPOTENCY_EXPIRY_SECONDS = 7 * 24 * 60 * 60;

/** How long an asynchronous request and its result stay retrievable. */
export const ASYNC_REQUEST_RETENTION_SECONDS = 7 * 24 * 60 * 60;

/**
 * Results larger than this go to S3 (`requests/<tenant>/<id>.json`) rather than into the
 * request's DynamoDB item, which must stay under DynamoDB's 400 KB item limit.
 */
export const INLINE_RESULT_MAX_BYTES = 300 * 1024;

/**
 * Receives of one requests-DLQ message whose answer cannot be delivered (its reply queue
 * gone, SQS refusing it) before its consumer gives up and reports it: with the DLQ's
 * visibility timeout of 180 s, half an hour of tries. A claim held by another delivery is
 * waited for however long (it ends by its holder's deadline), not counted here.
 */
export const DEAD_LETTER_MAX_ATTEMPTS = 10;
