import type { InferenceOutput } from '../domain/inference';
import { isSqsText, toSqsJson } from '../sqsEvents/sqsText';
import type { Outcome } from '../batchingCore/types';
import { chatBody } from '../realtime/chatResponses';
import { embeddingsBody } from '../realtime/embeddingsRequests';
import { outcomeError } from '../realtime/outcomeErrors';
import type { BatchOutputLine } from '../domain/outputLines';
import { isUnfinished } from '../realtime/outcomeErrors';
import { failureLine, resultLine } from '../domain/outputLines';
import type { MessageAttribute } from '../sqsEvents/sqsBatchAll';
import { CUSTOM_ID_ATTRIBUTE, MAX_ANSWER_BYTES } from './constants';
import { ResponseTooLargeError } from './errors';
import type { AddressedMessage, AnswerPlan } from './planMessage';
import type { OutgoingAnswer } from './ports';
import { answerIdOf } from './QueueRequestMessage';

/** What became of a message's work: its answer line, or a failure worth another delivery. */
export type Verdict = { kind: 'answer'; line: BatchOutputLine } | { kind: 'retry'; code: string; message: string };

/** Options of {@link verdictOf}. */
export interface VerdictOptions {
  /** The queue will not deliver the message again: a failure worth retrying is answered instead. */
  finalDelivery: boolean;
  /** Unix seconds, a chat body's `created`. */
  created: number;
  /** A fresh random id, for `request_id` and the `chatcmpl-…` id. */
  newId: () => string;
}

/**
 * The verdict on an answer plan given the outcomes of its items (in item order; none for a
 * refused plan). The answer is the OpenAI batch output line, as a batch job's results and
 * errors files hold it. A failure another delivery may fix (backends unavailable once the
 * core's retries are spent, the deadline) is a `retry`, except on the message's last
 * delivery, where it becomes the error answer: a request is answered, never dropped.
 */
export function verdictOf(plan: AnswerPlan, outcomes: readonly Outcome<InferenceOutput>[], options: VerdictOptions): Verdict {
  const id = answerIdOf(plan.key);
  const { work } = plan;
  if (work.kind === 'refused') return { kind: 'answer', line: failureLine(id, plan.customId, work, options.newId()) };
  const index = outcomes.findIndex((outcome) => outcome.status !== 'succeeded');
  const failure = outcomes[index];
  if (failure && failure.status !== 'succeeded') {
    const error = outcomeError(failure, work.model.id);
    const retryable = isUnfinished(failure) || error.retryable;
    if (retryable && !options.finalDelivery) return { kind: 'retry', code: error.code, message: error.message };
    const where = work.request.url === '/v1/embeddings' && Array.isArray(work.request.body.input) ? `input[${index}]: ` : '';
    const unanswered = failure.status === 'failed' && failure.error.unanswered === true;
    const line = failureLine(
      id,
      plan.customId,
      { code: error.code, message: `${where}${error.message}`, status: error.status, type: error.type, unanswered },
      options.newId(),
    );
    return { kind: 'answer', line };
  }
  const body =
    work.request.url === '/v1/chat/completions'
      ? chatBody(outcomes[0]!, work.model, { created: options.created, id: `chatcmpl-${options.newId()}` })
      : embeddingsBody(outcomes, work.request.body, work.model);
  return { kind: 'answer', line: resultLine(id, plan.customId, body, options.newId()) };
}

/**
 * The message that carries an answer to a queue: the line as its body, and as attributes
 * every attribute the sender set plus `custom_id` (when SQS can carry it). The body is JSON
 * with the characters SQS cannot carry escaped (a model may answer U+FFFF), so its size is
 * the size sent. An answer too large for a queue message
 * is replaced by a `response_too_large` error answer, so the request is still answered.
 */
export function outgoingAnswerOf(plan: AddressedMessage, line: BatchOutputLine): OutgoingAnswer {
  // An attribute value cannot be escaped as a body can; an id SQS cannot carry is in the body only.
  const attributes: Record<string, MessageAttribute> = {
    ...plan.message.attributes,
    ...(isSqsText(plan.customId) ? { [CUSTOM_ID_ATTRIBUTE]: { dataType: 'String', stringValue: plan.customId } } : {}),
  };
  const answer = { id: line.id, body: toSqsJson(line), attributes };
  const bytes = answerBytes(answer);
  if (bytes <= MAX_ANSWER_BYTES) return answer;
  const tooLarge = new ResponseTooLargeError(bytes);
  const replaced = failureLine(
    line.id,
    line.custom_id,
    { code: tooLarge.code, message: tooLarge.message },
    line.response?.request_id ?? line.id,
  );
  return { ...answer, body: toSqsJson(replaced) };
}

/** The size SQS counts for a message: its body, and each attribute's name, type and value. */
export function answerBytes(answer: Pick<OutgoingAnswer, 'body' | 'attributes'>): number {
  let bytes = Buffer.byteLength(answer.body, 'utf8');
  for (const [name, attribute] of Object.entries(answer.attributes)) {
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(attribute.dataType, 'utf8');
    if (attribute.stringValue !== undefined) bytes += Buffer.byteLength(attribute.stringValue, 'utf8');
    if (attribute.binaryValue !== undefined) bytes += Buffer.from(attribute.binaryValue, 'base64').length;
  }
  return bytes;
}
