import { createUsageStore } from '../../shared/wiring/batchJobs';
import { loadConfig } from '../../shared/config/config';
import { createInferenceRuntime } from '../../shared/wiring/realtime';
import { returnFleetLeases } from '../../shared/wiring/fleetBudget';
import { answerQueueRequests, type AnswerQueueRequestsDeps } from '../../shared/queueRequests/answerQueueRequests';
import {
  createAnswerSender,
  createAsyncRequestStore,
  createIdempotencyStore,
  createReplyPolicy,
  createResultObjects,
} from '../../shared/wiring/queueRequests';
import { withMetrics } from '../../shared/observability/withMetrics';
import { sqsBatchAll } from '../../shared/sqsEvents/sqsBatchAll';

/** Time kept back from the Lambda deadline to send the answers and record them as sent. */
const SEND_RESERVE_MS = 10_000;

/**
 * Requests consumer: the whole batch (up to 100 messages from any number of senders) goes
 * through the batching core together; each message is answered once on its reply queue,
 * and the ones to retry are reported as batch item failures.
 */
export const createHandler = (deps: AnswerQueueRequestsDeps) =>
  sqsBatchAll(async (messages, context) => {
    const lockUntil = Date.now() + context.getRemainingTimeInMillis();
    const { retry } = await answerQueueRequests(deps, messages, { deadline: lockUntil - SEND_RESERVE_MS, lockUntil });
    return retry;
  });

const config = loadConfig();
const { router, core } = createInferenceRuntime(config, 'batch');
export const handler = withMetrics(
  createHandler({
    core,
    router,
    replyPolicy: createReplyPolicy(config),
    idempotency: createIdempotencyStore(config),
    answers: createAnswerSender(),
    async: { requests: createAsyncRequestStore(config), results: createResultObjects(config) },
    maxReceiveCount: config.requestsMaxReceiveCount,
    nowSeconds: () => Math.floor(Date.now() / 1000),
    usage: createUsageStore(config),
  }),
  returnFleetLeases(),
);
