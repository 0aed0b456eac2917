import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { MessageAttribute, ReceivedMessage } from '../sqsEvents/sqsBatchAll';
import { MAX_CUSTOM_ID_CHARS, QUEUE_REQUEST_URLS } from './constants';

/**
 * A request message on the requests queue:
 * `{"custom_id", "url": "/v1/chat/completions" | "/v1/embeddings", "body": {…}, "reply_to"?: "<queue URL>"}`.
 * Strict: an unknown field is refused by name, as the HTTP routes refuse one.
 * `async_request` is set only by `POST /v1/requests`: its answer is stored for
 * `GET /v1/requests/{id}` instead of being sent to a queue.
 */
export const QueueRequestMessage = z.strictObject({
  custom_id: z.string().min(1).max(MAX_CUSTOM_ID_CHARS),
  // A string first, so an absent url is reported as missing rather than as a bad option.
  url: z.string().pipe(z.enum(QUEUE_REQUEST_URLS, { error: `expected ${QUEUE_REQUEST_URLS.map((url) => `"${url}"`).join(' or ')}` })),
  body: z.record(z.string(), z.unknown(), { error: 'expected a JSON object' }),
  reply_to: z.string().optional(),
  async_request: z.strictObject({ id: z.string().min(1), tenant_id: z.string().min(1) }).optional(),
});
export type QueueRequestMessage = z.infer<typeof QueueRequestMessage>;

/** Where an asynchronous request's outcome is stored. */
export const AsyncRequestRef = QueueRequestMessage.shape.async_request.unwrap();
export type AsyncRequestRef = z.infer<typeof AsyncRequestRef>;

/**
 * The `custom_id` an answer carries: the sender's, or `message-<SQS message id>` when it
 * could not be read, so that even a refused message is answered under a findable key
 * (SendMessage returned that id to the sender).
 */
export function customIdOf(json: Record<string, unknown> | undefined, message: Pick<ReceivedMessage, 'messageId'>): string {
  const id = json?.custom_id;
  return typeof id === 'string' && id.length > 0 && id.length <= MAX_CUSTOM_ID_CHARS ? id : `message-${message.messageId}`;
}

/**
 * The idempotency key of a message: its `custom_id` and a hash of its content (the body as
 * sent and the sender's attributes, names sorted). Every copy of one message (a
 * redelivery, a sender's retry of the same send) has the same key and gets one answer;
 * the same `custom_id` with other content is another request.
 */
export function idempotencyKeyOf(customId: string, message: Pick<ReceivedMessage, 'body' | 'attributes'>): string {
  const hash = createHash('sha256').update(message.body).update('\n');
  for (const name of Object.keys(message.attributes).sort()) {
    const attribute: MessageAttribute = message.attributes[name]!;
    hash.update(JSON.stringify([name, attribute.dataType, attribute.stringValue ?? null, attribute.binaryValue ?? null]));
  }
  return `${customId}:${hash.digest('hex')}`;
}

/**
 * The answer's id (`qreq_` and 32 hex digits): derived from the idempotency key, so any
 * answer ever sent for one request carries the same id, and a receiver can drop a copy.
 */
export function answerIdOf(key: string): string {
  return `qreq_${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}
