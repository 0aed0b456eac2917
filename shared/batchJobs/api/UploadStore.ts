/** A part of an Upload, as stored: its bytes are the object `fileKeys.uploadPart(...)`. */
export interface UploadPartRecord {
  id: string;
  bytes: number;
  /** Unix seconds. */
  createdAt: number;
}

/** What an Upload can be in, as stored; `expired` is a pending upload past its `expiresAt`, never written. */
export type StoredUploadStatus = 'pending' | 'completed' | 'cancelled';

/** An Upload (`POST /v1/uploads`) and its parts so far. */
export interface UploadRecord {
  id: string;
  tenantId: string;
  filename: string;
  /** The bytes the caller said the file has; `complete` checks the parts add up to it. */
  bytes: number;
  mimeType: string;
  purpose: 'batch';
  /** Unix seconds. */
  createdAt: number;
  /** Unix seconds: an hour after creation, as OpenAI's. */
  expiresAt: number;
  status: StoredUploadStatus;
  /** The file's own `expires_after.seconds`, applied when the file is made. */
  fileExpiresAfterSeconds?: number;
  /** Parts by id. */
  parts: Record<string, UploadPartRecord>;
  /** The File made by `complete`. */
  fileId?: string;
}

/** Where Upload records live (DynamoDB), with every change conditional on the upload still being pending. */
export interface UploadStore {
  create(upload: UploadRecord): Promise<void>;
  get(uploadId: string): Promise<UploadRecord | undefined>;
  /**
   * Adds a part if the upload is still pending and not expired at `now` (unix seconds);
   * false otherwise (nothing changed). Parts may be added concurrently.
   */
  addPart(uploadId: string, part: UploadPartRecord, now: number): Promise<boolean>;
  /**
   * Moves a pending upload to `completed` (with its file) or `cancelled`; undefined when
   * it was not pending any more (a concurrent complete or cancel won).
   */
  finish(uploadId: string, to: 'completed' | 'cancelled', fileId?: string): Promise<UploadRecord | undefined>;
}
