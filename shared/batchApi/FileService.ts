import type { Readable } from 'node:stream';
import { InvalidRequestError } from '../errors';
import type { FileRecord, FileStore, ObjectStore } from '../jobs/ports';
import { fileKeys, MAX_CONTENT_BYTES } from './constants';
import { FileContentTooLargeError, FileNotFoundError } from './errors';
import type { FileUpload } from './fileUpload';
import { isFileId, newFileId } from './ids';
import { toFileObject, toListPage, type FileObject, type ListPage } from './openAiObjects';
import type { ListFilesQuery } from './requests';
import { parseByteRange, type ByteRange } from './byteRange';

/** What the Files API works with. */
export interface FileServiceDeps {
  files: FileStore;
  objects: ObjectStore;
  /** The platform bucket, where uploads are stored. */
  bucket: string;
  /** Largest file `content` returns (default {@link MAX_CONTENT_BYTES}). */
  maxContentBytes?: number;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

/**
 * The Files API use cases. A tenant sees only its own files: another tenant's id is
 * answered exactly as an unknown one (404), so ids cannot be probed.
 */
export class FileService {
  private readonly now: () => number;
  private readonly maxContentBytes: number;

  constructor(private readonly deps: FileServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.maxContentBytes = deps.maxContentBytes ?? MAX_CONTENT_BYTES;
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
    const record: FileRecord = {
      id,
      tenantId,
      purpose: upload.purpose,
      filename: upload.filename,
      bytes: upload.data.length,
      createdAt: Math.floor(nowMs / 1000),
      bucket: this.deps.bucket,
      key,
    };
    await this.deps.files.put(record);
    return toFileObject(record);
  }

  /** `GET /v1/files`: the tenant's files, newest first. */
  async list(tenantId: string, query: ListFilesQuery): Promise<ListPage<FileObject>> {
    if (query.after !== undefined && !(await this.find(tenantId, query.after))) {
      throw new InvalidRequestError(`Invalid value for 'after': no file '${query.after}' to list after.`, {
        param: 'after',
        code: 'invalid_value',
      });
    }
    // Only `batch` and `batch_output` files are stored here; other OpenAI purposes list nothing.
    if (query.purpose !== undefined && query.purpose !== 'batch' && query.purpose !== 'batch_output') return toListPage([], false);
    const { files, hasMore } = await this.deps.files.list(tenantId, { after: query.after, limit: query.limit, purpose: query.purpose });
    return toListPage(files.map(toFileObject), hasMore);
  }

  /** `GET /v1/files/{fileId}`. */
  async retrieve(tenantId: string, fileId: string): Promise<FileObject> {
    return toFileObject(await this.owned(tenantId, fileId));
  }

  /**
   * `GET /v1/files/{fileId}/content`: the file's bytes, up to what a Lambda response can
   * carry; a bigger file is refused (413) with its location in the bucket. With a `Range`
   * header (one `bytes=` range, at most that many bytes) only that part is read and
   * returned with `range`, so a large file can be read in parts (the CLI does).
   */
  async content(tenantId: string, fileId: string, rangeHeader?: string): Promise<{ file: FileObject; data: Buffer; range?: ByteRange }> {
    const file = await this.owned(tenantId, fileId);
    const tooLarge = (bytes: number) => new FileContentTooLargeError(file.id, bytes, this.maxContentBytes, file);
    const range = parseByteRange(rangeHeader, file.bytes, this.maxContentBytes);
    if (range) {
      const stream = await this.deps.objects.read(file.bucket, file.key, { start: range.start, end: range.end });
      return { file: toFileObject(file), data: await readAtMost(stream, this.maxContentBytes, tooLarge), range };
    }
    if (file.bytes > this.maxContentBytes) throw tooLarge(file.bytes);
    const data = await readAtMost(await this.deps.objects.read(file.bucket, file.key), this.maxContentBytes, tooLarge);
    return { file: toFileObject(file), data };
  }

  private async owned(tenantId: string, fileId: string): Promise<FileRecord> {
    const file = await this.find(tenantId, fileId);
    if (!file) throw new FileNotFoundError(fileId);
    return file;
  }

  private async find(tenantId: string, fileId: string): Promise<FileRecord | undefined> {
    if (!isFileId(fileId)) return undefined;
    const file = await this.deps.files.get(fileId);
    return file?.tenantId === tenantId ? file : undefined;
  }
}

/** The whole stream, or `tooLarge` once it passes `maxBytes` (the record's size is only a hint). */
async function readAtMost(stream: Readable, maxBytes: number, tooLarge: (bytes: number) => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += bytes.length;
    if (size > maxBytes) {
      stream.destroy();
      throw tooLarge(size);
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}
