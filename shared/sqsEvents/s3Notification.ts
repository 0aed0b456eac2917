import * as z from 'zod';

/** One record of an S3 event notification, as S3 sends it to SQS (only what ingest reads). */
export const S3NotificationRecord = z.object({
  eventName: z.string(),
  s3: z.object({
    bucket: z.object({ name: z.string() }),
    object: z.object({ key: z.string(), eTag: z.string().optional(), size: z.number().optional() }),
  }),
});

/** An S3 event notification, or the test event S3 sends when notifications are configured. */
export const S3Notification = z.union([
  z.object({ Records: z.array(S3NotificationRecord) }),
  z.object({ Event: z.literal('s3:TestEvent') }),
]);
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
