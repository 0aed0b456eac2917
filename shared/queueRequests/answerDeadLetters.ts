import { failureLine, randomId } from '../domain/outputLines';
import { logger } from '../observability/logger';
import { publishMetrics } from '../observability/metrics';
import type { ReceivedMessage } from '../sqsEvents/sqsBatchAll';
import { deliverAnswers, type DeliveryDeps, type ReadyAnswer } from './deliverAnswers';
import { DeadLetteredError } from './errors';
import { addressMessage, type AddressedMessage } from './planMessage';
import type { ReplyPolicy } from './ReplyPolicy';
import { answerIdOf } from './QueueRequestMessage';

/** What the consumer of the requests DLQ needs. */
export interface AnswerDeadLettersDeps extends DeliveryDeps {
  replyPolicy: ReplyPolicy;
  /**
   * Receives of one dead letter after which one that still cannot be answered (its reply
   * queue gone, SQS refusing the answer, its claim failing) is reported and acknowledged; before that it is
   * handed back. A claim another delivery holds is not counted: it is always waited for.
   */
  maxAttempts: number;
  /** A fresh random id, for the answer's `request_id`. */
  newId?: () => string;
}

/** How an invocation went: the messages to hand back to the DLQ, and counts for the log. */
export interface DeadLetterRunResult {
  retry: string[];
  counts: { messages: number; answered: number; alreadyAnswered: number; unanswerable: number; retried: number };
}

/** Characters of an unanswerable dead letter's body kept in its ERROR line. */
const LOGGED_BODY_CHARS = 2_000;

/**
 * The consumer of the requests DLQ: every request whose message reached it unanswered gets
 * one answer, the `dead_lettered` error (OpenAI batch output line) on its reply queue, or
 * `failed` on its asynchronous request. It claims the request's idempotency key as the
 * requests consumer does, so a request some delivery already answered (its record
 * completed) gets nothing more, and one whose claim is still held (a crashed delivery's
 * lock, until its Lambda deadline) is handed back and answered once the lock expires,
 * however many receives that takes: every lock ends (completed, released, or expired at
 * its holder's deadline), and giving up while one is held would leave the request
 * unanswered if its holder then released it unanswered.
 * A dead letter that names nowhere it may be answered (not JSON, a `reply_to` outside the
 * allowed queues), or that still cannot be answered after `maxAttempts` receives, is
 * reported — an ERROR line with its message id, code and the start of its body, and the
 * `DeadLettersUnanswerable` metric the alarm watches — and acknowledged.
 */
export async function answerDeadLetters(
  deps: AnswerDeadLettersDeps,
  messages: readonly ReceivedMessage[],
  options: { lockUntil: number },
): Promise<DeadLetterRunResult> {
  const retry = new Set<string>();
  const unanswerable: Array<{ message: ReceivedMessage; code: string; reason: string }> = [];
  const handBack = (message: ReceivedMessage, code: string, reason: string) => {
    if (message.receiveCount >= deps.maxAttempts)
      unanswerable.push({ message, code, reason: `${reason} Given up after ${message.receiveCount} receives.` });
    else retry.add(message.messageId);
  };

  const addressed: AddressedMessage[] = [];
  for (const message of messages) {
    const result = addressMessage(message, deps.replyPolicy);
    if ('kind' in result) unanswerable.push({ message, code: result.code, reason: result.reason });
    else addressed.push({ message: result.message, target: result.target, customId: result.customId, key: result.key });
  }

  let alreadyAnswered = 0;
  const ready: ReadyAnswer<AddressedMessage>[] = [];
  const error = new DeadLetteredError();
  const claims = await Promise.all(
    addressed.map((request) =>
      deps.idempotency.claim(request.key, options.lockUntil).catch((cause: unknown) => {
        logger.warn('idempotency claim failed; the dead letter goes back to its queue', { customId: request.customId, error: cause });
        return 'error' as const;
      }),
    ),
  );
  addressed.forEach((request, i) => {
    const claim = claims[i];
    if (claim === 'completed') alreadyAnswered += 1;
    else if (claim === 'acquired') {
      const line = failureLine(
        answerIdOf(request.key),
        request.customId,
        { code: error.code, message: error.message, status: error.status, type: error.type },
        (deps.newId ?? randomId)(),
      );
      ready.push({ plan: request, line });
    } else if (claim === 'in_progress') retry.add(request.message.messageId);
    else handBack(request.message, 'claim_failed', 'Its idempotency claim could not be taken.');
  });

  const undelivered = await deliverAnswers(deps, ready);
  for (const request of undelivered) handBack(request.message, 'answer_not_delivered', 'Its answer could not be delivered.');

  for (const { message, code, reason } of unanswerable) {
    logger.error('dead letter cannot be answered; it is acknowledged and reported here', {
      messageId: message.messageId,
      code,
      reason,
      receiveCount: message.receiveCount,
      bytes: Buffer.byteLength(message.body, 'utf8'),
      attributes: Object.keys(message.attributes),
      body: message.body.slice(0, LOGGED_BODY_CHARS),
    });
  }
  const counts = {
    messages: messages.length,
    answered: ready.length - undelivered.length,
    alreadyAnswered,
    unanswerable: unanswerable.length,
    retried: retry.size,
  };
  publishMetrics({}, [
    { name: 'DeadLettersAnswered', value: counts.answered },
    { name: 'DeadLettersUnanswerable', value: counts.unanswerable },
  ]);
  if (counts.answered > 0) logger.warn('dead-lettered requests answered with dead_lettered', counts);
  else logger.info('dead letters handled', counts);
  return { retry: [...retry], counts };
}
