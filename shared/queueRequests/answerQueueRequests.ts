import { randomId } from '../domain/outputLines';
import type { BatchingCore } from '../batchingCore/BatchingCore';
import type { Outcome } from '../batchingCore/types';
import type { InferenceInput, InferenceOutput } from '../domain/inference';
import { logger } from '../observability/logger';
import type { ReceivedMessage } from '../sqsEvents/sqsBatchAll';
import { verdictOf } from './answers';
import { deliverAnswers, release, type DeliveryDeps, type ReadyAnswer } from './deliverAnswers';
import { planMessage, type AnswerPlan, type PlanDeps } from './planMessage';
import type { IdempotencyClaim } from './ports';
import type { UsageRecord, UsageStore } from '../usage/types';
import { usageDay } from '../usage/usageDays';

/** What the consumer needs. */
export interface AnswerQueueRequestsDeps extends PlanDeps, DeliveryDeps {
  /** One core per container, so adaptive limits and the retry budget carry across invocations. */
  core: BatchingCore<InferenceInput, InferenceOutput>;
  /** The requests queue's maxReceiveCount: on that delivery a retryable failure is answered instead. */
  maxReceiveCount: number;
  /** A fresh random id, for `request_id` and the `chatcmpl-…` id. */
  newId?: () => string;
  /** Where the usage of served asynchronous requests (the ones with a tenant) is added: one add per invocation. */
  usage?: Pick<UsageStore, 'add'>;
  /** Milliseconds since the epoch (picks the usage day). */
  now?: () => number;
}

/** Options of one invocation. */
export interface AnswerQueueRequestsOptions {
  /** Epoch ms by which the core must be done, leaving time to send the answers. */
  deadline: number;
  /** Epoch ms when this invocation ends (the Lambda's timeout): claims are locked until then. Default `deadline`. */
  lockUntil?: number;
  signal?: AbortSignal;
}

/** How an invocation went: the messages to hand back to the queue, and counts for the log. */
export interface QueueRunResult {
  retry: string[];
  counts: { messages: number; answered: number; duplicates: number; undeliverable: number; retried: number };
}

/**
 * The queue entry's use case: answers a batch of request messages, each exactly once.
 *
 * Every message is planned (where its answer may go, what it asks); one with nowhere it
 * may be answered is handed back every time, to end in the DLQ. The others claim their
 * idempotency key: a request already answered is acknowledged without a second answer, one
 * another delivery is working on is handed back. The claimed requests run through the
 * batching core in ONE run, so requests of every sender share backend calls. Each then gets
 * its answer — the result or the error line — delivered and recorded as sent; a failure
 * worth retrying (backends down after the core's retries, the deadline) releases its claim
 * and hands the message back, except on its last delivery, where it is answered with the error.
 */
export async function answerQueueRequests(
  deps: AnswerQueueRequestsDeps,
  messages: readonly ReceivedMessage[],
  options: AnswerQueueRequestsOptions,
): Promise<QueueRunResult> {
  const retry = new Set<string>();
  const plans = messages.map((message, index) => planMessage(message, index, deps));
  const answerable: AnswerPlan[] = [];
  for (const plan of plans) {
    if (plan.kind === 'answer') answerable.push(plan);
    else {
      logger.error('message cannot be answered; it goes back to the queue and ends in the DLQ', {
        messageId: plan.message.messageId,
        code: plan.code,
        reason: plan.reason,
        receiveCount: plan.message.receiveCount,
      });
      retry.add(plan.message.messageId);
    }
  }

  const claims = await Promise.all(answerable.map((plan) => claim(deps, plan, options.lockUntil ?? options.deadline)));
  const claimed = answerable.filter((_, i) => claims[i] === 'acquired');
  let duplicates = 0;
  answerable.forEach((plan, i) => {
    if (claims[i] === 'completed') duplicates += 1;
    else if (claims[i] !== 'acquired') retry.add(plan.message.messageId);
  });

  let ready: ReadyAnswer[];
  try {
    ready = await settle(deps, claimed, options, retry);
  } catch (error) {
    // Nothing was sent yet: free the claims so the redelivery is not locked out.
    await Promise.all(claimed.map((plan) => release(deps, plan)));
    throw error;
  }
  const undelivered = await deliverAnswers(deps, ready);
  for (const plan of undelivered) retry.add(plan.message.messageId);
  await addUsage(deps, ready, new Set(undelivered));

  const counts = {
    messages: messages.length,
    answered: ready.length - undelivered.length,
    duplicates,
    undeliverable: plans.length - answerable.length,
    retried: retry.size,
  };
  logger.info('request messages handled', counts);
  return { retry: [...retry], counts };
}

/**
 * Adds the usage of the asynchronous requests answered with a result, one add per tenant
 * and model for the whole invocation. Messages from other services name no tenant and
 * are not counted. A failed add is logged and lost: the answers have gone out.
 */
async function addUsage(deps: AnswerQueueRequestsDeps, ready: readonly ReadyAnswer[], undelivered: ReadonlySet<AnswerPlan>): Promise<void> {
  if (!deps.usage) return;
  const day = usageDay((deps.now ?? Date.now)());
  const counters = new Map<string, UsageRecord>();
  for (const { plan, line, outcomes } of ready) {
    if (undelivered.has(plan) || plan.target.kind !== 'async' || plan.work.kind !== 'run' || line.error !== null) continue;
    const tenantId = plan.target.ref.tenant_id;
    const model = plan.work.model.id;
    const key = `${tenantId}\n${model}`;
    const counter = counters.get(key) ?? { day, tenantId, model, requests: 0, inputTokens: 0, outputTokens: 0 };
    counter.requests += 1;
    for (const outcome of outcomes ?? []) {
      if (outcome.status !== 'succeeded') continue;
      counter.inputTokens += outcome.usage.promptTokens;
      counter.outputTokens += outcome.usage.completionTokens;
    }
    counters.set(key, counter);
  }
  if (counters.size === 0) return;
  try {
    await deps.usage.add([...counters.values()]);
  } catch (error) {
    logger.warn('usage of answered requests not recorded', { error: error as Error });
  }
}

async function claim(deps: AnswerQueueRequestsDeps, plan: AnswerPlan, lockUntil: number): Promise<IdempotencyClaim | 'error'> {
  try {
    return await deps.idempotency.claim(plan.key, lockUntil);
  } catch (error) {
    logger.warn('idempotency claim failed; the message goes back to the queue', { customId: plan.customId, error });
    return 'error';
  }
}

/** Runs the claimed plans through the core in one run and turns each into an answer, or a retry. */
async function settle(
  deps: AnswerQueueRequestsDeps,
  claimed: readonly AnswerPlan[],
  options: AnswerQueueRequestsOptions,
  retry: Set<string>,
): Promise<ReadyAnswer[]> {
  // Queued requests are asynchronous: they take a backend's capacity after real-time calls,
  // and each tenant's share of it (one run per tenant, so each carries its tenant).
  const byTenant = new Map<string, Extract<AnswerPlan['work'], { kind: 'run' }>['items']>();
  for (const plan of claimed) {
    if (plan.work.kind !== 'run') continue;
    // A queue-addressed message names no tenant: those share the tenant ''.
    const tenantId = plan.target.kind === 'async' ? plan.target.ref.tenant_id : '';
    byTenant.set(tenantId, [...(byTenant.get(tenantId) ?? []), ...plan.work.items]);
  }
  const runs = [...byTenant].map(([tenantId, items]) =>
    deps.core.run(items, { deadline: options.deadline, signal: options.signal, tenantId, priority: 'batch' }),
  );
  const outcomes = (await Promise.all(runs)).flat();
  const byId = new Map(outcomes.map((outcome) => [outcome.id, outcome]));
  const verdictOptions = { created: deps.nowSeconds(), newId: deps.newId ?? randomId };
  const ready: ReadyAnswer[] = [];
  for (const plan of claimed) {
    const planOutcomes: Outcome<InferenceOutput>[] = plan.work.kind === 'run' ? plan.work.items.map((item) => byId.get(item.id)!) : [];
    const verdict = verdictOf(plan, planOutcomes, { ...verdictOptions, finalDelivery: plan.message.receiveCount >= deps.maxReceiveCount });
    if (verdict.kind === 'answer') {
      ready.push({ plan, line: verdict.line, outcomes: planOutcomes });
      continue;
    }
    logger.info('request not answered this time; it goes back to the queue', {
      customId: plan.customId,
      code: verdict.code,
      receiveCount: plan.message.receiveCount,
    });
    await release(deps, plan);
    retry.add(plan.message.messageId);
  }
  return ready;
}
