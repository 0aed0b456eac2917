import type { Readable } from 'node:stream';
import { InvalidRequestError } from '../../errors/requestErrors';
import type { FileRecord, FileStore, UploadUrlSigner } from '../job/ports';
import type { DeletableObjectStore, ObjectStore } from '../../domain/ports';
import {
  fileKeys,
  MAX_PRESIGNED_UPLOAD_BYTES,
  MAX_STREAMED_CONTENT_BYTES,
  PRESIGNED_UPLOAD_GRACE_SECONDS,
  PRESIGNED_UPLOAD_SECONDS,
} from './constants';
import { FileContentTooLargeError, FileNotFoundError, FileNotReadyError } from './errors';
import type { FileUpload } from './fileUpload';
import { isFileId, newFileId } from './ids';
import { toListPage, type ListPage } from '../../domain/listPage';
import { toDeletedFile, toFileObject, type DeletedFile, type FileObject } from './openAiObjects';
import type { CreatePresignedFileRequest, ListFilesQuery } from './requests';
import { parseByteRange, type ByteRange } from './byteRange';

/** What the Files API works with. */
export interface FileServiceDeps {
  files: FileStore;
  objects: DeletableObjectStore;
  /** The platform bucket, where uploads are stored. */
  bucket: string;
  /** Signs presigned upload URLs (`POST /v1/files/presigned`); only the function serving that route needs it. */
  signer?: UploadUrlSigner;
  /** Largest file `content` streams (default {@link MAX_STREAMED_CONTENT_BYTES}). */
  maxContentBytes?: number;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

/** What `POST /v1/files/presigned` answers. */
export interface PresignedUpload {
  /** The File, `status: 'pending'` until its bytes are there. */
  file: FileObject;
  /** Where to PUT the bytes (one request, the whole file, up to 5 GiB). */
  upload_url: string;
  method: 'PUT';
  /** Unix seconds after which the URL is refused. */
  expires_at: number;
  /** Largest object the one PUT may carry (S3's single-PUT limit). */
  max_bytes: number;
}

/** A file's bytes on their way out. */
export interface FileContent {
  file: FileObject;
  /** The object's bytes, read as they are sent (constant memory, any size up to the limit). */
  stream: Readable;
  /** The part asked for with `Range`, when one was. */
  range?: ByteRange;
}

/**
 * The Files API use cases. A tenant sees only its own files: another tenant's id is
 * answered exactly as an unknown one (404), so ids cannot be probed. A file past its
 * `expires_at` is gone, as OpenAI deletes it: 404 at once, removed by the sweep.
 */
export class FileService {
  private readonly now: () => number;
  private readonly maxContentBytes: number;

  constructor(private readonly deps: FileServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.maxContentBytes = deps.maxContentBytes ?? MAX_STREAMED_CONTENT_BYTES;
  }

  /** `POST /v1/files`: stores the bytes at `files/<tenantId>/<fileId>`, then the record. */
  async upload(tenantId: string, upload: FileUpload): Promise<FileObject> {
    const nowMs = this.now();
    const id = newFileId(nowMs);
    const key = fileKeys.upload(tenantId, id);
    // The object first: a record never points at bytes that are not there.
    await this.deps.objects.write(this.deps.bucket, key, upload.data, {
      contentType: 'application/jsonl',
      metadata: { 'tenant-id': tenantId, 'file-id': id },
    });
    const record = newFileRecord({
      id,
      tenantId,
      filename: upload.filename,
      bytes: upload.data.length,
      nowMs,
      bucket: this.deps.bucket,
      key,
      expiresAfterSeconds: upload.expiresAfterSeconds,
    });
    await this.deps.files.put(record);
    return toFileObject(record);
  }

  /**
   * `POST /v1/files/presigned` (our route, not OpenAI's): creates the File pending, at the
   * key uploads use, and a URL any HTTP client can PUT its bytes to for an hour. The file
   * becomes usable once the object exists: whoever reads it next (retrieve, list, content,
   * a batch) finds the object and records its real size. Without bytes, it goes when the
   * URL has expired (plus a grace for a PUT still arriving), by the sweep.
   */
  async createPresigned(tenantId: string, request: CreatePresignedFileRequest): Promise<PresignedUpload> {
    if (!this.deps.signer) throw new Error('FileService was built without an UploadUrlSigner');
    const nowMs = this.now();
    const id = newFileId(nowMs);
    const key = fileKeys.upload(tenantId, id);
    const record = newFileRecord({
      id,
      tenantId,
      filename: request.filename,
      bytes: request.bytes ?? 0,
      nowMs,
      bucket: this.deps.bucket,
      key,
    });
    const urlExpiresAt = record.createdAt + PRESIGNED_UPLOAD_SECONDS;
    await this.deps.files.put({
      ...record,
      expiresAt: urlExpiresAt + PRESIGNED_UPLOAD_GRACE_SECONDS,
      pendingUpload: request.expires_after ? { expiresAfterSeconds: request.expires_after.seconds } : {},
    });
    const url = await this.deps.signer.signPut(this.deps.bucket, key, PRESIGNED_UPLOAD_SECONDS);
    return {
      file: toFileObject((await this.deps.files.get(id)) ?? record),
      upload_url: url,
      method: 'PUT',
      expires_at: urlExpiresAt,
      max_bytes: MAX_PRESIGNED_UPLOAD_BYTES,
    };
  }

  /** `GET /v1/files`: the tenant's live files, newest first unless `order: 'asc'`. */
  async list(tenantId: string, query: ListFilesQuery): Promise<ListPage<FileObject>> {
    if (query.after !== undefined && !(await this.find(tenantId, query.after))) {
      throw new InvalidRequestError(`Invalid value for 'after': no file '${query.after}' to list after.`, {
        param: 'after',
        code: 'invalid_value',
      });
    }
    // Only `batch` and `batch_output` files are stored here; other OpenAI purposes list nothing.
    if (query.purpose !== undefined && query.purpose !== 'batch' && query.purpose !== 'batch_output') return toListPage([], false);
    const { files, hasMore } = await this.deps.files.list(tenantId, {
      after: query.after,
      limit: query.limit,
      purpose: query.purpose,
      order: query.order,
    });
    const settled = await Promise.all(files.map((file) => settlePendingFile(this.deps, file)));
    // Expired files not swept yet are already gone for the caller (the page may come out short).
    return toListPage(settled.filter((file) => !this.expired(file)).map(toFileObject), hasMore);
  }

  /** `GET /v1/files/{fileId}`. */
  async retrieve(tenantId: string, fileId: string): Promise<FileObject> {
    return toFileObject(await this.owned(tenantId, fileId));
  }

  /**
   * `GET /v1/files/{fileId}/content`: the file's bytes as a stream, for a response that
   * streams them (any size up to `maxContentBytes`, Lambda's streamed-response limit);
   * a bigger file is refused (413) with its location in the bucket. With a `Range` header
   * (one `bytes=` range) only that part is read, and returned with `range`.
   */
  async content(tenantId: string, fileId: string, rangeHeader?: string): Promise<FileContent> {
    const file = await this.owned(tenantId, fileId);
    if (file.pendingUpload) throw new FileNotReadyError(file.id);
    const range = parseByteRange(rangeHeader, file.bytes, this.maxContentBytes);
    if (range)
      return {
        file: toFileObject(file),
        stream: await this.deps.objects.read(file.bucket, file.key, { start: range.start, end: range.end }),
        range,
      };
    if (file.bytes > this.maxContentBytes) throw new FileContentTooLargeError(file.id, file.bytes, this.maxContentBytes, file);
    return { file: toFileObject(file), stream: await this.deps.objects.read(file.bucket, file.key) };
  }

  /**
   * `DELETE /v1/files/{fileId}`: removes the object, then the record (so a failure midway
   * leaves a record to delete again, never bytes nobody can reach). A batch still reading
   * the file fails with `file_not_found`, as one whose dropped file is removed.
   */
  async delete(tenantId: string, fileId: string): Promise<DeletedFile> {
    const file = await this.owned(tenantId, fileId);
    await removeFile(this.deps, file);
    return toDeletedFile(file.id);
  }

  private expired(file: FileRecord): boolean {
    return file.expiresAt !== undefined && file.expiresAt * 1000 <= this.now();
  }

  private async owned(tenantId: string, fileId: string): Promise<FileRecord> {
    const file = await this.find(tenantId, fileId);
    if (!file) throw new FileNotFoundError(fileId);
    return file;
  }

  private async find(tenantId: string, fileId: string): Promise<FileRecord | undefined> {
    if (!isFileId(fileId)) return undefined;
    const stored = await this.deps.files.get(fileId);
    if (stored?.tenantId !== tenantId) return undefined;
    const file = await settlePendingFile(this.deps, stored);
    return this.expired(file) ? undefined : file;
  }
}

/** A new file record of purpose `batch`; `expiresAfterSeconds` counts from its creation (OpenAI's anchor `created_at`). */
export function newFileRecord(input: {
  id: string;
  tenantId: string;
  filename: string;
  bytes: number;
  nowMs: number;
  bucket: string;
  key: string;
  expiresAfterSeconds?: number;
}): FileRecord {
  const createdAt = Math.floor(input.nowMs / 1000);
  return {
    id: input.id,
    tenantId: input.tenantId,
    purpose: 'batch',
    filename: input.filename,
    bytes: input.bytes,
    createdAt,
    bucket: input.bucket,
    key: input.key,
    ...(input.expiresAfterSeconds !== undefined ? { expiresAt: createdAt + input.expiresAfterSeconds } : {}),
  };
}

/**
 * A pending file (presigned upload) whose object now exists becomes an ordinary file: its
 * real size, and the `expires_after` asked for, are recorded (conditionally, so two
 * readers agree). Returns the file as it now is; a file not pending is returned as it is.
 */
export async function settlePendingFile(deps: { files: FileStore; objects: ObjectStore }, file: FileRecord): Promise<FileRecord> {
  if (!file.pendingUpload) return file;
  const object = await deps.objects.head(file.bucket, file.key);
  if (!object) return file;
  const seconds = file.pendingUpload.expiresAfterSeconds;
  const confirmed = await deps.files.confirmUpload(file.id, object.size, seconds !== undefined ? file.createdAt + seconds : undefined);
  return confirmed ?? (await deps.files.get(file.id)) ?? file;
}

/** Removes a file's object, then its record. */
export async function removeFile(deps: { files: FileStore; objects: DeletableObjectStore }, file: FileRecord): Promise<void> {
  await deps.objects.delete(file.bucket, file.key);
  await deps.files.delete(file.id);
}

/**
 * The sweep's part of `expires_after`: removes files whose `expires_at` has passed (the
 * API already answers them 404), up to `limit` per run. Returns the ids removed.
 */
export async function expireFiles(deps: {
  files: FileStore;
  objects: DeletableObjectStore;
  now: () => number;
  limit?: number;
}): Promise<string[]> {
  const nowSeconds = Math.floor(deps.now() / 1000);
  const removed: string[] = [];
  for (const listed of await deps.files.listExpired(nowSeconds, deps.limit ?? 100)) {
    // A pending file's expiry is its upload URL's: if the bytes came, it lives on as an ordinary file.
    const file = await settlePendingFile(deps, listed);
    if (file.pendingUpload || (file.expiresAt !== undefined && file.expiresAt <= nowSeconds)) {
      await removeFile(deps, file);
      removed.push(file.id);
    }
  }
  return removed;
}
