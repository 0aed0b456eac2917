import { PlatformError } from '../errors/PlatformError';
import { parseRequest } from '../domain/validation';
import type { ReceivedMessage } from '../sqsEvents/sqsBatchAll';
import { MAX_REQUEST_BYTES, MAX_SENDER_ATTRIBUTES } from './constants';
import { ReplyQueueNotAllowedError, RequestTooLargeError, TooManyAttributesError } from './errors';
import { AsyncRequestRef, customIdOf, idempotencyKeyOf, QueueRequestMessage } from './QueueRequestMessage';
import type { ReplyPolicy } from './ReplyPolicy';
import { planRequestBody, type ModelLookup, type RunnableRequest } from './requestBody';

/** Where an answer goes: a queue, or the store behind `GET /v1/requests/{id}`. */
export type AnswerTarget = { kind: 'queue'; queueUrl: string } | { kind: 'async'; ref: AsyncRequestRef };

/**
 * A message with nowhere it may be answered (not JSON, not an object, a `reply_to` the
 * deployment does not allow). It is never answered: it fails on every receive and lands
 * in the requests DLQ after the redrive count, where an operator sees it.
 */
export interface UndeliverablePlan {
  kind: 'undeliverable';
  message: ReceivedMessage;
  code: string;
  reason: string;
}

/** What answering a message takes: a run through the core, or only an error answer. */
export type AnswerWork =
  | ({ kind: 'run' } & RunnableRequest)
  | { kind: 'refused'; code: string; message: string; status?: number; param?: string | null };

/** A message that names where it may be answered: whatever it asks, it gets one answer there. */
export interface AddressedMessage {
  message: ReceivedMessage;
  target: AnswerTarget;
  customId: string;
  /** The idempotency key: `custom_id` and a hash of the content. */
  key: string;
}

/** A message that will be answered once, at `target`. */
export interface AnswerPlan extends AddressedMessage {
  kind: 'answer';
  work: AnswerWork;
}

/** What the consumer does with one message. */
export type MessagePlan = UndeliverablePlan | AnswerPlan;

/** What planning needs: where answers may go, and the catalogue. */
export interface PlanDeps {
  replyPolicy: ReplyPolicy;
  router: ModelLookup;
}

/**
 * Plans one message of a batch. The answer target is settled first: only a message that
 * names where it may be answered can be refused with an error answer; everything wrong
 * after that (missing or unknown fields, unknown model, oversize, a body the route would
 * refuse) becomes that error answer. `index` (the message's place in the batch) prefixes
 * its core item ids, which must be unique within one core run.
 */
export function planMessage(message: ReceivedMessage, index: number, deps: PlanDeps): MessagePlan {
  const addressed = addressMessage(message, deps.replyPolicy);
  if ('kind' in addressed) return addressed;
  const { fields, ...address } = addressed;
  const plan = { kind: 'answer' as const, ...address };
  try {
    const bytes = Buffer.byteLength(message.body, 'utf8');
    if (bytes > MAX_REQUEST_BYTES) throw new RequestTooLargeError(bytes);
    const attributes = Object.keys(message.attributes).length;
    if (attributes > MAX_SENDER_ATTRIBUTES) throw new TooManyAttributesError(attributes);
    const envelope = parseRequest(QueueRequestMessage, fields);
    return { ...plan, work: { kind: 'run', ...planRequestBody(envelope.url, envelope.body, deps.router, { idPrefix: `${index}#` }) } };
  } catch (error) {
    if (!(error instanceof PlatformError)) throw error;
    return { ...plan, work: { kind: 'refused', code: error.code, message: error.message, status: error.status, param: error.param } };
  }
}

/**
 * Where a message's answer goes, its `custom_id` and its idempotency key — or why it has
 * nowhere it may be answered. The one home of that rule, for the consumer and for the
 * consumer of its dead letters. `fields` is the parsed body, for the planning that follows.
 */
export function addressMessage(
  message: ReceivedMessage,
  replyPolicy: ReplyPolicy,
): UndeliverablePlan | (AddressedMessage & { fields: Record<string, unknown> }) {
  let json: unknown;
  try {
    json = JSON.parse(message.body);
  } catch {
    return undeliverable(message, 'invalid_json', 'the body is not JSON, so it names no reply_to an error answer could go to.');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return undeliverable(message, 'invalid_body', 'the body is not a JSON object, so it names no reply_to an error answer could go to.');
  }
  const fields = json as Record<string, unknown>;
  const target = targetOf(fields, replyPolicy);
  if ('reason' in target) return undeliverable(message, target.code, target.reason);
  const customId = customIdOf(fields, message);
  return { message, target, customId, key: idempotencyKeyOf(customId, message), fields };
}

function targetOf(fields: Record<string, unknown>, policy: ReplyPolicy): AnswerTarget | { code: string; reason: string } {
  if (fields.async_request !== undefined) {
    const ref = AsyncRequestRef.safeParse(fields.async_request);
    if (!ref.success || fields.reply_to !== undefined) {
      return {
        code: 'invalid_async_request',
        reason: 'async_request must be {"id", "tenant_id"} (as POST /v1/requests sets it) and comes without reply_to.',
      };
    }
    return { kind: 'async', ref: ref.data };
  }
  const decision = policy.decide(fields.reply_to);
  if (!decision.allowed) {
    const refusal = new ReplyQueueNotAllowedError(decision.reason);
    return { code: refusal.code, reason: refusal.message };
  }
  return { kind: 'queue', queueUrl: decision.queueUrl };
}

function undeliverable(message: ReceivedMessage, code: string, reason: string): UndeliverablePlan {
  return { kind: 'undeliverable', message, code, reason };
}
