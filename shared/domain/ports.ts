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
  /**
   * Builds objects from parts appended in order: bytes uploaded and objects of the same
   * bucket copied inside the store, never read by the caller (S3's multipart upload with
   * UploadPart and UploadPartCopy). Stores that cannot copy leave it out, and callers
   * stream instead.
   */
  readonly assembler?: ObjectAssembler;
}

/** Starts objects assembled from parts (see {@link ObjectStore.assembler}). */
export interface ObjectAssembler {
  /** The smallest size of every part but the last (S3: 5 MiB); the store refuses the object at `complete` otherwise. */
  readonly minPartBytes: number;
  start(bucket: string, key: string, options?: { contentType?: string }): Promise<ObjectAssembly>;
}

/**
 * An object being assembled from parts (an S3 multipart upload). Parts may be appended
 * without waiting for the ones before: their place is the order of the calls.
 */
export interface ObjectAssembly {
  /** Appends `body` as the next part. */
  upload(body: Buffer): Promise<void>;
  /** Appends the object `key` of the same bucket, or its inclusive byte range, as the next part, copied by the store. */
  copy(key: string, range?: { start: number; end: number }): Promise<void>;
  /** Makes the object of the parts appended, in the order they were appended (at least one). */
  complete(): Promise<void>;
  /** Gives up: the parts are dropped and no object is made. */
  abort(): Promise<void>;
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
