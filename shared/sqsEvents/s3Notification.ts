import { S3Schema } from '@aws-lambda-powertools/parser/schemas/s3';
import * as z from 'zod';

/**
 * One record of an S3 event notification: Powertools' record schema, except that the
 * requester's address may be IPv6 too (S3 writes the address a request came from, and
 * dual-stack endpoints take IPv6; Powertools 2.35 accepts only IPv4 there).
 */
const S3NotificationRecord = S3Schema.shape.Records.element.extend({
  requestParameters: z.object({ sourceIPAddress: z.string() }),
});

/** The test event S3 sends once when notifications are set up on a bucket. */
const S3TestEvent = z.object({ Event: z.literal('s3:TestEvent') });

/** An S3 event notification as S3 sends it to SQS, or S3's test event. */
export const S3Notification = z.union([z.object({ Records: z.array(S3NotificationRecord).min(1) }), S3TestEvent]);
export type S3Notification = z.infer<typeof S3Notification>;

/** An object key as S3 writes it in notifications: URL-encoded, spaces as '+'. */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/** The prefix dropped files go under, and the tenant a key belongs to: `inbox/<tenant>/<name>`. */
export const INBOX_PREFIX = 'inbox/';

/** The tenant of an inbox key, or undefined when the key names none (`inbox/file.jsonl`). */
export function tenantOfInboxKey(key: string): string | undefined {
  const match = /^inbox\/([A-Za-z0-9][A-Za-z0-9_.-]{0,63})\/.+/.exec(key);
  return match?.[1];
}
