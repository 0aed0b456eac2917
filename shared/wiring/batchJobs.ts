import type { UploadStore } from '../batchJobs/api/UploadStore';
import type { Config } from '../config/config';
import { required, requireTableName } from '../config/config';
import { UploadService } from '../batchJobs/api/UploadService';
import type { FileStore, JobStore, UploadUrlSigner } from '../batchJobs/job/ports';
import type { DeletableObjectStore, DeliveryControl, EventPublisher, MessageSender } from '../domain/ports';
import {
  loadBedrockControlClient,
  createDocumentClient,
  loadEventBridgeClient,
  createS3Client,
  createSqsClient,
  loadS3Client,
  loadSqsClient,
} from '../adapters/aws/clients';
import { BedrockBatchInference } from '../adapters/aws/BedrockBatchInference';
import { DynamoDbBatchInferenceStore } from '../adapters/aws/DynamoDbBatchInferenceStore';
import type { BatchInferenceService, BatchInferenceStore } from '../batchJobs/batchInference/ports';
import { DynamoDbFileStore } from '../adapters/aws/DynamoDbFileStore';
import { DynamoDbJobStore } from '../adapters/aws/DynamoDbJobStore';
import { DynamoDbUploadStore } from '../adapters/aws/DynamoDbUploadStore';
import { EventBridgePublisher } from '../adapters/aws/EventBridgePublisher';
import { S3ObjectStore } from '../adapters/aws/S3ObjectStore';
import { S3UploadUrlSigner } from '../adapters/aws/S3UploadUrlSigner';
import { SqsDeliveryControl } from '../adapters/aws/SqsDeliveryControl';
import { SqsMessageSender } from '../adapters/aws/SqsMessageSender';
import { DynamoDbApiKeyStore } from '../adapters/aws/DynamoDbApiKeyStore';
import type { ApiKeyDirectory } from '../auth/ApiKeyStore';
import { DynamoDbUsageStore } from '../adapters/aws/DynamoDbUsageStore';
import type { UsageStore } from '../usage/types';

/*
 * The wiring of ports to AWS, for handlers' module scope. Each factory builds its SDK
 * client once per call site; call them once per module.
 *
 * `…OnFirstUse`: for a port most invocations of the function never call, its SDK package
 * is loaded and its client built at the port's first call instead of at cold start
 * (Lambda's CPU share is larger during init, so a port most invocations use is built at
 * cold start). Separate factories, so a bundle that uses only these holds no static
 * import of the package.
 */

export const createJobStore = (config: Config): JobStore => new DynamoDbJobStore(createDocumentClient(), requireTableName(config));
export const createFileStore = (config: Config): FileStore => new DynamoDbFileStore(createDocumentClient(), requireTableName(config));
export const createUsageStore = (config: Config): UsageStore =>
  new DynamoDbUsageStore({ client: createDocumentClient(), tableName: requireTableName(config) });
export const createApiKeyDirectory = (config: Config): ApiKeyDirectory =>
  new DynamoDbApiKeyStore({ client: createDocumentClient(), tableName: requireTableName(config) });
export const createObjectStore = (): DeletableObjectStore => new S3ObjectStore(createS3Client());
export const createObjectStoreOnFirstUse = (): DeletableObjectStore => new S3ObjectStore(() => loadS3Client());
export const createUploadUrlSigner = (): UploadUrlSigner => new S3UploadUrlSigner(createS3Client(process.env, { forPresigning: true }));
export const createMessageSender = <T>(queueUrl: string | undefined, variable = 'queue URL'): MessageSender<T> =>
  new SqsMessageSender<T>(createSqsClient(), required(queueUrl, variable));
export const createMessageSenderOnFirstUse = <T>(queueUrl: string | undefined, variable = 'queue URL'): MessageSender<T> =>
  new SqsMessageSender<T>(loadSqsClient, required(queueUrl, variable));
export const createDeliveryControl = (queueUrl: string | undefined, variable = 'queue URL'): DeliveryControl =>
  new SqsDeliveryControl(createSqsClient(), required(queueUrl, variable));
export const createEventPublisher = (config: Config): EventPublisher =>
  new EventBridgePublisher(loadEventBridgeClient, required(config.eventBusName, 'EVENT_BUS_NAME'));
export const createUploadStore = (config: Config): UploadStore => new DynamoDbUploadStore(createDocumentClient(), requireTableName(config));

export const createBatchInferenceStore = (config: Config): BatchInferenceStore =>
  new DynamoDbBatchInferenceStore(createDocumentClient(), requireTableName(config));
/** Bedrock batch inference, run as the service role BEDROCK_BATCH_ROLE_ARN names. */
export const createBatchInferenceService = (config: Config): BatchInferenceService =>
  new BedrockBatchInference({
    client: () => loadBedrockControlClient(config.bedrockRegion),
    roleArn: required(config.bedrockBatchRoleArn, 'BEDROCK_BATCH_ROLE_ARN'),
  });

/** The Uploads API's use case, as both of its functions (uploads, uploadComplete) build it. */
export const createUploadService = (config: Config): UploadService =>
  new UploadService({
    uploads: createUploadStore(config),
    files: createFileStore(config),
    objects: createObjectStore(),
    bucket: required(config.bucketName, 'BUCKET_NAME'),
  });
