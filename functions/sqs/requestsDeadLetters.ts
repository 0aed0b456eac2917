import { loadConfig } from '../../shared/config/config';
import { answerDeadLetters, type AnswerDeadLettersDeps } from '../../shared/queueRequests/answerDeadLetters';
import { DEAD_LETTER_MAX_ATTEMPTS } from '../../shared/queueRequests/constants';
import {
  createAnswerSender,
  createAsyncRequestStore,
  createIdempotencyStore,
  createReplyPolicy,
  createResultObjects,
} from '../../shared/wiring/queueRequests';
import { withMetrics } from '../../shared/observability/withMetrics';
import { sqsBatchAll } from '../../shared/sqsEvents/sqsBatchAll';

/**
 * Consumer of the requests DLQ: answers each request that reached it unanswered with the
 * `dead_lettered` error, once; the ones to try again are reported as batch item failures.
 */
export const createHandler = (deps: AnswerDeadLettersDeps) =>
  sqsBatchAll(async (messages, context) => {
    const { retry } = await answerDeadLetters(deps, messages, { lockUntil: Date.now() + context.getRemainingTimeInMillis() });
    return retry;
  });

const config = loadConfig();
export const handler = withMetrics(
  createHandler({
    replyPolicy: createReplyPolicy(config),
    idempotency: createIdempotencyStore(config),
    answers: createAnswerSender(),
    async: { requests: createAsyncRequestStore(config), results: createResultObjects(config) },
    nowSeconds: () => Math.floor(Date.now() / 1000),
    maxAttempts: DEAD_LETTER_MAX_ATTEMPTS,
  }),
);
