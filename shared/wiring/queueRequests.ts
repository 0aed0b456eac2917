import { createDocumentClient, createSqsClient, loadS3Client } from '../adapters/aws/clients';
import { S3ObjectStore } from '../adapters/aws/S3ObjectStore';
import { SqsMessageSender } from '../adapters/aws/SqsMessageSender';
import { required, requireTableName, type Config } from '../config/config';
import type { MessageSender } from '../domain/ports';
import type { AnswerSender, AsyncRequestStore, IdempotencyStore, ResultObjects } from '../queueRequests/ports';
import type { QueueRequestMessage } from '../queueRequests/QueueRequestMessage';
import { ReplyPolicy } from '../queueRequests/ReplyPolicy';
import { resultObjectsIn } from '../queueRequests/settleAsyncRequest';
import { DynamoDbAsyncRequestStore } from '../adapters/aws/DynamoDbAsyncRequestStore';
import { PowertoolsIdempotencyStore } from '../adapters/aws/PowertoolsIdempotencyStore';
import { SqsAnswerSender } from '../adapters/aws/SqsAnswerSender';

/*
 * The wiring of the queue entry's ports to AWS, for the handlers' module scope (call each
 * once per module: each builds its SDK client). A missing setting fails at cold start,
 * naming the variable.
 */

export const createIdempotencyStore = (config: Config): IdempotencyStore =>
  new PowertoolsIdempotencyStore({ tableName: requireTableName(config) });
export const createAnswerSender = (): AnswerSender => new SqsAnswerSender(createSqsClient());
export const createAsyncRequestStore = (config: Config): AsyncRequestStore =>
  new DynamoDbAsyncRequestStore(createDocumentClient(), requireTableName(config));
/** Results too large for their item: most requests have none, so S3 is loaded at the first one (see batchJobs.ts, `…OnFirstUse`). */
export const createResultObjects = (config: Config): ResultObjects =>
  resultObjectsIn(new S3ObjectStore(() => loadS3Client()), required(config.bucketName, 'BUCKET_NAME'));
export const createRequestQueue = (config: Config): MessageSender<QueueRequestMessage> =>
  new SqsMessageSender<QueueRequestMessage>(createSqsClient(), required(config.requestsQueueUrl, 'REQUESTS_QUEUE_URL'));

/** Where answers may go, from RESULTS_QUEUE_URL and REPLY_QUEUE_PREFIX. */
export const createReplyPolicy = (config: Config): ReplyPolicy =>
  new ReplyPolicy({
    resultsQueueUrl: required(config.resultsQueueUrl, 'RESULTS_QUEUE_URL'),
    replyQueuePrefix: required(config.replyQueuePrefix, 'REPLY_QUEUE_PREFIX'),
  });
