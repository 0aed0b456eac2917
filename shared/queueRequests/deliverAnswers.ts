import { logger } from '../observability/logger';
import type { BatchOutputLine } from '../domain/outputLines';
import type { Outcome } from '../batchingCore/types';
import type { InferenceOutput } from '../domain/inference';
import { answerBytes, outgoingAnswerOf } from './answers';
import { MAX_ANSWER_BYTES, MAX_ANSWERS_PER_BATCH } from './constants';
import type { AddressedMessage, AnswerPlan } from './planMessage';
import type { AnswerSender, IdempotencyStore, OutgoingAnswer } from './ports';
import { settleAsyncRequest, type AsyncResultDeps } from './settleAsyncRequest';

/** An answer ready to go, with the plan (or the addressed message) it answers. */
export interface ReadyAnswer<P extends AddressedMessage = AnswerPlan> {
  plan: P;
  line: BatchOutputLine;
  /** The core's outcomes of its items (for the tokens it used). */
  outcomes?: readonly Outcome<InferenceOutput>[];
}

/** What delivering answers needs. */
export interface DeliveryDeps {
  answers: AnswerSender;
  idempotency: IdempotencyStore;
  async: AsyncResultDeps;
  /** Unix seconds: an asynchronous request's settle time, a chat answer's `created`. */
  nowSeconds: () => number;
}

/** SendMessageBatch calls (and asynchronous settles) in flight at once. */
const DELIVERY_CONCURRENCY = 8;

/**
 * Delivers answers — to queues with SendMessageBatch, grouped per reply queue (ten at most
 * and within SQS's batch size), asynchronous ones to the request store — and marks each
 * delivered request completed right after its own batch went out, which keeps the window
 * between "sent" and "remembered as sent" to one DynamoDB write. An answer that could not
 * be delivered releases its claim, and its message is returned to be redelivered.
 * A failed completion write after a send is only logged: the message is acknowledged
 * anyway, since redelivering it would send the answer twice.
 */
export async function deliverAnswers<P extends AddressedMessage>(deps: DeliveryDeps, ready: readonly ReadyAnswer<P>[]): Promise<P[]> {
  const tasks: Array<() => Promise<P[]>> = [];
  const byQueue = new Map<string, ReadyAnswer<P>[]>();
  for (const answer of ready) {
    const { target } = answer.plan;
    if (target.kind === 'async') {
      tasks.push(() => settleOne(deps, answer));
      continue;
    }
    byQueue.set(target.queueUrl, [...(byQueue.get(target.queueUrl) ?? []), answer]);
  }
  for (const [queueUrl, answers] of byQueue) {
    for (const batch of packBatches(answers.map((answer) => ({ answer, outgoing: outgoingAnswerOf(answer.plan, answer.line) })))) {
      tasks.push(() => sendOneBatch(deps, queueUrl, batch));
    }
  }
  return (await runLimited(tasks, DELIVERY_CONCURRENCY)).flat();
}

interface Packed<P extends AddressedMessage> {
  answer: ReadyAnswer<P>;
  outgoing: OutgoingAnswer;
}

/** Groups of at most ten answers whose total size SQS takes in one SendMessageBatch. */
export function packBatches<T extends { outgoing: Pick<OutgoingAnswer, 'body' | 'attributes'> }>(items: readonly T[]): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = answerBytes(item.outgoing);
    if (current.length === MAX_ANSWERS_PER_BATCH || (current.length > 0 && bytes + size > MAX_ANSWER_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Sends one batch; resolves with the plans whose answers did not go out. */
async function sendOneBatch<P extends AddressedMessage>(deps: DeliveryDeps, queueUrl: string, batch: readonly Packed<P>[]): Promise<P[]> {
  let failedIds: Set<string>;
  try {
    const failures = await deps.answers.sendBatch(
      queueUrl,
      batch.map((item) => item.outgoing),
    );
    for (const failure of failures)
      logger.warn('answer not sent', { queueUrl, answerId: failure.id, code: failure.code, reason: failure.message });
    failedIds = new Set(failures.map((failure) => failure.id));
  } catch (error) {
    logger.warn('SendMessageBatch failed; its requests go back to the queue', { queueUrl, answers: batch.length, error });
    failedIds = new Set(batch.map((item) => item.outgoing.id));
  }
  const sent = batch.filter((item) => !failedIds.has(item.outgoing.id));
  const failed = batch.filter((item) => failedIds.has(item.outgoing.id));
  await Promise.all([...sent.map((item) => complete(deps, item.answer.plan)), ...failed.map((item) => release(deps, item.answer.plan))]);
  return failed.map((item) => item.answer.plan);
}

async function settleOne<P extends AddressedMessage>(deps: DeliveryDeps, answer: ReadyAnswer<P>): Promise<P[]> {
  if (answer.plan.target.kind !== 'async') throw new Error('settleOne takes asynchronous answers only');
  try {
    await settleAsyncRequest(deps.async, answer.plan.target.ref, answer.line, deps.nowSeconds());
  } catch (error) {
    logger.warn('asynchronous request not settled; its message goes back to the queue', { requestId: answer.plan.target.ref.id, error });
    await release(deps, answer.plan);
    return [answer.plan];
  }
  await complete(deps, answer.plan);
  return [];
}

async function complete(deps: DeliveryDeps, plan: AddressedMessage): Promise<void> {
  await deps.idempotency.complete(plan.key).catch((error: unknown) => {
    // The answer is out: acknowledging beats a redelivery that would answer again.
    logger.error('answer sent but not recorded as sent; a copy arriving after the lock expires would be answered again', {
      customId: plan.customId,
      error,
    });
  });
}

/** Drops a claim; if that fails too, the lock simply expires at the Lambda's deadline. */
export async function release(deps: Pick<DeliveryDeps, 'idempotency'>, plan: AddressedMessage): Promise<void> {
  await deps.idempotency
    .release(plan.key)
    .catch((error: unknown) => logger.warn('claim not released; it expires with its lock', { customId: plan.customId, error }));
}

/** Runs tasks with at most `limit` at once, results in task order. */
async function runLimited<T>(tasks: ReadonlyArray<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}
