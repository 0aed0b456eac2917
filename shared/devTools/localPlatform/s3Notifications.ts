import { createHash } from 'node:crypto';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import { ServerlessConfigError } from './errors';
import { LOCAL_ACCOUNT_ID } from './lambdaContext';
import { physicalNameOf, queueForArn, type LocalQueue, type LocalResources } from './localResources';
import type { S3ObjectEvent } from './s3';
import type { CloudFormationResource } from './serverlessConfig';

/** One QueueConfiguration of a bucket's NotificationConfiguration, its queue resolved locally. */
export interface QueueNotification {
  bucket: string;
  /** S3 generates an id when the configuration names none. */
  configurationId: string;
  /** As written: `s3:ObjectCreated:*`, `s3:ObjectCreated:Put`, … */
  event: string;
  prefix?: string;
  suffix?: string;
  queue: LocalQueue;
}

/** What the local platform does not forward, to say so once at start-up. */
export interface NotificationGaps {
  /** `<bucket>: TopicConfigurations`, … */
  ignored: string[];
}

/**
 * The QueueConfigurations of every `AWS::S3::Bucket` of `resources`, their queues
 * resolved to the local ones (the queues must exist). Topic, Lambda and EventBridge
 * configurations are reported in `gaps`, not emulated.
 */
export function queueNotificationsFrom(
  resources: Record<string, CloudFormationResource>,
  local: LocalResources,
): { notifications: QueueNotification[]; gaps: NotificationGaps } {
  const notifications: QueueNotification[] = [];
  const ignored: string[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::S3::Bucket') continue;
    const bucket = physicalNameOf(logicalId, resource, 'BucketName');
    const configuration = (resource.Properties?.NotificationConfiguration ?? {}) as Record<string, unknown>;
    for (const key of ['TopicConfigurations', 'LambdaConfigurations', 'EventBridgeConfiguration']) {
      if (configuration[key] !== undefined) ignored.push(`${bucket}: ${key}`);
    }
    const queueConfigurations = configuration.QueueConfigurations ?? [];
    if (!Array.isArray(queueConfigurations))
      throw new ServerlessConfigError(`${logicalId}.Properties.NotificationConfiguration.QueueConfigurations is not a list`);
    queueConfigurations.forEach((item: Record<string, unknown>, index) => {
      const where = `${logicalId}.Properties.NotificationConfiguration.QueueConfigurations[${index}]`;
      if (typeof item.Event !== 'string')
        throw new ServerlessConfigError(`${where}.Event must be an event type such as s3:ObjectCreated:*`);
      const rules = ((item.Filter as { S3Key?: { Rules?: unknown } } | undefined)?.S3Key?.Rules ?? []) as Array<{
        Name?: unknown;
        Value?: unknown;
      }>;
      const rule = (name: string) => rules.find((candidate) => String(candidate.Name).toLowerCase() === name)?.Value;
      const prefix = rule('prefix');
      const suffix = rule('suffix');
      notifications.push({
        bucket,
        configurationId: typeof item.Id === 'string' ? item.Id : generatedConfigurationId(bucket, index),
        event: item.Event,
        ...(prefix !== undefined ? { prefix: String(prefix) } : {}),
        ...(suffix !== undefined ? { suffix: String(suffix) } : {}),
        queue: queueForArn(item.Queue, local, `${where}.Queue`),
      });
    });
  }
  return { notifications, gaps: { ignored } };
}

/** Whether a configuration asks for this event: same bucket, event type (`*` matches any), key prefix and suffix. */
export function notificationMatches(notification: QueueNotification, event: Pick<S3ObjectEvent, 'bucket' | 'eventName' | 'key'>): boolean {
  if (notification.bucket !== event.bucket) return false;
  const wanted = notification.event.replace(/^s3:/, '');
  const matchesType = wanted.endsWith(':*') ? event.eventName.startsWith(wanted.slice(0, -1)) : wanted === event.eventName;
  return matchesType && event.key.startsWith(notification.prefix ?? '') && event.key.endsWith(notification.suffix ?? '');
}

/**
 * The key as S3 writes it into a notification: URL-encoded as a form value (a space is
 * `+`, a `+` is `%2B`), with `/` kept. Decode with `decodeURIComponent(key.replace(/\+/g, ' '))`.
 */
export function encodeS3EventKey(key: string): string {
  return new URLSearchParams({ k: key }).toString().slice(2).replace(/%2F/gi, '/');
}

/** One record of an S3 event notification, exactly as S3 writes it (event version 2.1). */
export function s3EventRecord(event: S3ObjectEvent, options: { region: string; configurationId: string }): S3EventRecord {
  const object: Record<string, unknown> = { key: encodeS3EventKey(event.key) };
  if (event.size !== undefined) object.size = event.size;
  if (event.eTag !== undefined) object.eTag = event.eTag;
  object.sequencer = event.sequencer;
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: options.region,
    eventTime: event.eventTime.toISOString(),
    eventName: event.eventName,
    userIdentity: { principalId: event.principalId },
    requestParameters: { sourceIPAddress: event.sourceIp },
    responseElements: { 'x-amz-request-id': event.requestId, 'x-amz-id-2': event.hostId },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: options.configurationId,
      bucket: { name: event.bucket, ownerIdentity: { principalId: BUCKET_OWNER }, arn: `arn:aws:s3:::${event.bucket}` },
      object: object as unknown as S3EventRecord['s3']['object'],
    },
  } as S3EventRecord;
}

/** Where forwarded notifications report what failed to send. */
export interface NotificationLogger {
  error(line: string, error?: unknown): void;
}

/**
 * Sends S3 event notifications to their queues as S3 does: one message per matching
 * configuration, each `{"Records":[record]}`. Sends run in the background; `flush` waits
 * for those still running (before the SQS server stops).
 */
export class S3NotificationForwarder {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly options: { client: SQSClient; notifications: QueueNotification[]; region: string; logger?: NotificationLogger },
  ) {}

  /** Forwards one object event to every configuration that matches it. */
  forward(event: S3ObjectEvent): void {
    for (const notification of this.options.notifications) {
      if (!notificationMatches(notification, event)) continue;
      const message: S3Event = {
        Records: [s3EventRecord(event, { region: this.options.region, configurationId: notification.configurationId })],
      };
      const sent = this.options.client
        .send(new SendMessageCommand({ QueueUrl: notification.queue.url, MessageBody: JSON.stringify(message) }))
        .then(
          () => undefined,
          (error: unknown) => {
            const logger = this.options.logger ?? { error: (line: string, cause?: unknown) => console.error(line, cause ?? '') };
            logger.error(`[s3] notification for s3://${event.bucket}/${event.key} to ${notification.queue.name} failed`, error);
          },
        )
        .finally(() => this.pending.delete(sent));
      this.pending.add(sent);
    }
  }

  /** Resolves once every notification sent so far has been delivered (or has failed). */
  async flush(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }
}

/** The bucket owner's canonical id as notifications carry it. */
const BUCKET_OWNER = `A${createHash('sha256').update(LOCAL_ACCOUNT_ID).digest('hex').slice(0, 13).toUpperCase()}`;

/** S3 names an unnamed configuration with an opaque id; a stable one here. */
function generatedConfigurationId(bucket: string, index: number): string {
  return createHash('sha256')
    .update(`${bucket}/queue/${index}`)
    .digest('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 36);
}
