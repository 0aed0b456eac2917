/** Types for `s3rver` (it ships none): only what the local runtime uses. */
declare module 's3rver' {
  import type { EventEmitter } from 'node:events';
  import type { IncomingMessage, ServerResponse } from 'node:http';
  import type { Readable } from 'node:stream';

  class S3rver extends EventEmitter {
    constructor(options?: S3rver.Options);
    store: S3rver.Store;
    logger: { close(): void };
    /** Koa's request listener. */
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
    /** Koa's per-request context; `req` is what the controllers read bodies from. */
    createContext(request: IncomingMessage, response: ServerResponse): { req: IncomingMessage | NodeJS.ReadableStream };
  }

  namespace S3rver {
    interface Options {
      silent?: boolean;
      directory?: string;
      vhostBuckets?: boolean;
      resetOnClose?: boolean;
      allowMismatchedSignatures?: boolean;
      serviceEndpoint?: string;
    }

    /** s3rver's object model (lib/models/object.js). */
    interface StoredObject {
      bucket: string;
      key: string;
      content: Readable | null;
      metadata: Record<string, string>;
      range?: { start: number; end: number };
      readonly size: number;
    }

    /** The filesystem store (lib/stores/filesystem.js). */
    interface Store {
      putBucket(name: string): Promise<unknown>;
      getMetadata(bucket: string, key: string): Promise<Record<string, string | number>>;
      getResourcePath(bucket: string, key: string, resource: string): string;
      getObject(bucket: string, key: string, options?: { start?: number; end?: number }): Promise<StoredObject | null>;
      putObject(object: {
        bucket: string;
        key: string;
        content: Buffer | NodeJS.ReadableStream;
        metadata: Record<string, string>;
      }): Promise<{ size: number; md5: string }>;
      putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5?: string): Promise<void>;
      /** Stores part `partNumber` of an upload (a file under the bucket's `uploads/<uploadId>/`). */
      putPart(
        bucket: string,
        uploadId: string,
        partNumber: number | string,
        content: NodeJS.ReadableStream,
      ): Promise<{ size: number; md5: string }>;
      /** Joins the parts named into the upload's object. */
      putObjectMultipart(
        bucket: string,
        uploadId: string,
        parts: Array<{ number: number; etag: string }>,
      ): Promise<{ size: number; md5: string }>;
    }

    /** What s3rver emits as `event` for each object created or deleted. */
    interface Event {
      Records: Array<{
        eventName: string;
        s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string; sequencer: string } };
      }>;
    }
  }

  export = S3rver;
}

declare module 's3rver/lib/models/object' {
  import type { Readable } from 'node:stream';

  const StoredObject: {
    new (bucket: string, key: string, content: Readable | null, metadata: Record<string, unknown>): S3rver.StoredObject;
    /** The standard headers kept as an object's metadata. */
    ALLOWED_METADATA: string[];
  };
  export = StoredObject;
}

declare module 's3rver/lib/models/account' {
  interface Account {
    id: number;
    displayName: string;
  }
  const AWSAccount: { registry: Map<string, Account>; DUMMY_ACCOUNT: Account };
  export = AWSAccount;
}

declare module 's3rver/lib/models/error' {
  /** s3rver's S3 error: answered as S3's XML error document, `detail` as its extra elements. */
  class S3Error extends Error {
    constructor(code: string, message?: string, detail?: Record<string, string | number>);
    code: string;
    status: number;
  }
  export = S3Error;
}

declare module 's3rver/lib/stores/filesystem' {
  /** s3rver's on-disk store; only the key ↔ path mapping the local S3 replaces is typed. */
  const FilesystemStore: {
    encodeKeyPath(key: string): string;
    decodeKeyPath(keyPath: string): string;
  };
  export = FilesystemStore;
}
