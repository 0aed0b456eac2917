import type { Readable } from 'node:stream';

/*
 * The generic ports every capability uses: the bucket, the platform's queues, the event bus.
 * Their AWS adapters are in shared/adapters/aws/.
 */

/** What HeadObject tells. */
export interface ObjectInfo {
  size: number;
  etag: string;
  metadata: Record<string, string>;
  contentType?: string;
}

/** The platform bucket (S3). Reads stream; writes of streams are multipart, in constant memory. */
export interface ObjectStore {
  head(bucket: string, key: string): Promise<ObjectInfo | undefined>;
  /** The object, or the inclusive byte range of it, as a stream. `ifMatch` pins the version read. */
  read(bucket: string, key: string, options?: { start?: number; end?: number; ifMatch?: string }): Promise<Readable>;
  write(
    bucket: string,
    key: string,
    body: string | Buffer | Readable,
    options?: { contentType?: string; metadata?: Record<string, string> },
  ): Promise<void>;
}

/** A queue the platform sends its own messages to (SQS); sends in batches of ten. */
export interface MessageSender<M> {
  send(messages: readonly M[]): Promise<void>;
}

/** A message in hand, received from a queue (SQS): when it comes back if it is not deleted. */
export interface DeliveryControl {
  /**
   * Makes the received message visible again in `seconds` (SQS ChangeMessageVisibility)
   * instead of after the queue's visibility timeout, and never later than that timeout.
   * Returns the delay set.
   */
  returnAfter(receiptHandle: string, seconds: number): Promise<number>;
}

/** Where domain events go (EventBridge). */
export interface EventPublisher {
  publish(detailType: string, detail: Record<string, unknown>): Promise<void>;
}

/** A bucket whose objects can also be removed (the Files and Uploads APIs delete what they stored). */
export interface DeletableObjectStore extends ObjectStore {
  /** Removes the object; removing one that is not there is not an error (as S3's DeleteObject). */
  delete(bucket: string, key: string): Promise<void>;
}
