import type { BedrockClient } from '@aws-sdk/client-bedrock';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/*
 * SDK clients, each built once per module so a warm Lambda reuses its connections.
 * Endpoints come from the SDK's own configuration (AWS_ENDPOINT_URL_<SERVICE>, set by the
 * local platform), so no code path is local-only.
 */

/** The DynamoDB document client. */
export function createDocumentClient(client = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** The S3 client; path-style addressing when AWS_S3_FORCE_PATH_STYLE is true (local servers need it). */
export function createS3Client(env: NodeJS.ProcessEnv = process.env, options: { forPresigning?: boolean } = {}): S3Client {
  return new S3Client(s3ClientConfig(env, options));
}

function s3ClientConfig(env: NodeJS.ProcessEnv, options: { forPresigning?: boolean }): S3ClientConfig {
  return {
    forcePathStyle: env.AWS_S3_FORCE_PATH_STYLE === 'true',
    // A presigned PUT must not carry a checksum of the (empty) body it was signed with.
    ...(options.forPresigning ? { requestChecksumCalculation: 'WHEN_REQUIRED' as const } : {}),
  };
}

/** The SQS client. */
export function createSqsClient(): SQSClient {
  return new SQSClient({});
}

/**
 * The S3 client as {@link createS3Client} builds it, its SDK package imported only when
 * first asked for: for functions that rarely call S3 (see lazyClient.ts).
 */
export async function loadS3Client(env: NodeJS.ProcessEnv = process.env): Promise<S3Client> {
  const sdk = await import('@aws-sdk/client-s3');
  return new sdk.S3Client(s3ClientConfig(env, {}));
}

/** The SQS client, its SDK package imported only when first asked for: for functions that rarely send (see lazyClient.ts). */
export async function loadSqsClient(): Promise<SQSClient> {
  const sdk = await import('@aws-sdk/client-sqs');
  return new sdk.SQSClient({});
}

/** The EventBridge client, its SDK package imported only when first asked for (see lazyClient.ts). */
export async function loadEventBridgeClient(): Promise<EventBridgeClient> {
  const { EventBridgeClient } = await import('@aws-sdk/client-eventbridge');
  return new EventBridgeClient({});
}

/**
 * Bedrock's control plane (batch inference jobs), over HTTP/1.1 as the runtime client (the
 * local simulator serves HTTP/1.1), its SDK package imported only when first asked for (see
 * lazyClient.ts). `AWS_ENDPOINT_URL_BEDROCK` points it elsewhere.
 */
export async function loadBedrockControlClient(region?: string): Promise<BedrockClient> {
  const { BedrockClient } = await import('@aws-sdk/client-bedrock');
  return new BedrockClient({ ...(region ? { region } : {}), requestHandler: new NodeHttpHandler() });
}
