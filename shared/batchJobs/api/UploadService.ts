import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { InvalidRequestError } from '../../errors/requestErrors';
import type { FileStore } from '../job/ports';
import type { DeletableObjectStore } from '../../domain/ports';
import { fileKeys, UPLOAD_LIFETIME_SECONDS } from './constants';
import { UploadNotFoundError, UploadStateError } from './errors';
import { newFileRecord, removeFile } from './FileService';
import { newFileId, newPartId, newUploadId, isUploadId } from './ids';
import { toUploadObject, toUploadPartObject, type UploadObject, type UploadPartObject } from './openAiObjects';
import type { CompleteUploadRequest, CreateUploadRequest } from './requests';
import type { UploadRecord, UploadStore } from './UploadStore';

/** What the Uploads API works with. */
export interface UploadServiceDeps {
  uploads: UploadStore;
  files: FileStore;
  objects: DeletableObjectStore;
  /** The platform bucket: parts under `uploads/<tenant>/<upload>/`, the file under `files/<tenant>/`. */
  bucket: string;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

/**
 * OpenAI's Uploads API: a file of any size (up to 8 GB) sent in parts, each small enough
 * for one Lambda request, ending in an ordinary File.
 *
 * Each part is stored as an object of its own as it arrives (in any order, in parallel),
 * and recorded on the upload with a write conditional on it still being pending. S3's
 * multipart parts must be at least 5 MiB, and a part through the API is at most 4.5 MB,
 * so parts cannot be copied server-side into a multipart object: `complete` streams them,
 * in the order `part_ids` gives, into one multipart upload (constant memory, about
 * 16 MiB), on a streaming integration that may run 15 minutes. The File's record is
 * written before the upload is marked completed, and a complete that loses the race to
 * a cancel (or another complete) removes what it made.
 */
export class UploadService {
  private readonly now: () => number;

  constructor(private readonly deps: UploadServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** `POST /v1/uploads`: a pending upload, open for an hour. */
  async create(tenantId: string, request: CreateUploadRequest): Promise<UploadObject> {
    if (!/\.jsonl$/i.test(request.filename)) {
      throw new InvalidRequestError(`Invalid file format for Batch API: '${request.filename}'. Must be .jsonl.`, {
        param: 'filename',
        code: 'invalid_file_format',
      });
    }
    const nowMs = this.now();
    const createdAt = Math.floor(nowMs / 1000);
    const upload: UploadRecord = {
      id: newUploadId(nowMs),
      tenantId,
      filename: request.filename,
      bytes: request.bytes,
      mimeType: request.mime_type,
      purpose: request.purpose,
      createdAt,
      expiresAt: createdAt + UPLOAD_LIFETIME_SECONDS,
      status: 'pending',
      ...(request.expires_after ? { fileExpiresAfterSeconds: request.expires_after.seconds } : {}),
      parts: {},
    };
    await this.deps.uploads.create(upload);
    return toUploadObject(upload, createdAt);
  }

  /** `POST /v1/uploads/{uploadId}/parts`: stores the part's bytes, then records it (only while pending). */
  async addPart(tenantId: string, uploadId: string, data: Buffer): Promise<UploadPartObject> {
    const upload = await this.pending(tenantId, uploadId, 'add parts');
    if (data.length > upload.bytes) {
      throw new InvalidRequestError(`The part has ${data.length} bytes, more than the ${upload.bytes} bytes of the whole upload.`, {
        param: 'data',
        code: 'invalid_value',
      });
    }
    const nowMs = this.now();
    const part = { id: newPartId(nowMs), bytes: data.length, createdAt: Math.floor(nowMs / 1000) };
    const key = fileKeys.uploadPart(tenantId, upload.id, part.id);
    await this.deps.objects.write(this.deps.bucket, key, data, { contentType: 'application/octet-stream' });
    if (!(await this.deps.uploads.addPart(upload.id, part, Math.floor(this.now() / 1000)))) {
      await this.deps.objects.delete(this.deps.bucket, key);
      throw await this.stateError(upload.id, 'add parts');
    }
    return toUploadPartObject(upload.id, part);
  }

  /**
   * `POST /v1/uploads/{uploadId}/complete`: the parts, in `part_ids` order, become one
   * File. Every id must be a part of this upload, once; their bytes must add up to the
   * upload's `bytes`; `md5`, when given, must be the file's.
   */
  async complete(tenantId: string, uploadId: string, request: CompleteUploadRequest): Promise<UploadObject> {
    const upload = await this.pending(tenantId, uploadId, 'complete');
    const parts = request.part_ids.map((id, index) => {
      const part = upload.parts[id];
      if (!part) {
        throw new InvalidRequestError(`Invalid value for 'part_ids[${index}]': '${id}' is not a part of upload ${upload.id}.`, {
          param: `part_ids[${index}]`,
          code: 'invalid_value',
        });
      }
      return part;
    });
    const duplicate = request.part_ids.findIndex((id, index) => request.part_ids.indexOf(id) !== index);
    if (duplicate >= 0) {
      throw new InvalidRequestError(`Invalid value for 'part_ids[${duplicate}]': '${request.part_ids[duplicate]}' is listed twice.`, {
        param: `part_ids[${duplicate}]`,
        code: 'invalid_value',
      });
    }
    const total = parts.reduce((sum, part) => sum + part.bytes, 0);
    if (total !== upload.bytes) {
      throw new InvalidRequestError(`The parts have ${total} bytes, but the upload was created for ${upload.bytes} bytes.`, {
        param: 'part_ids',
        code: 'invalid_value',
      });
    }

    const nowMs = this.now();
    const fileId = newFileId(nowMs);
    const key = fileKeys.upload(tenantId, fileId);
    const partKeys = parts.map((part) => fileKeys.uploadPart(tenantId, upload.id, part.id));
    const md5 = createHash('md5');
    await this.deps.objects.write(this.deps.bucket, key, Readable.from(this.concatenated(partKeys, md5), { objectMode: false }), {
      contentType: 'application/jsonl',
      metadata: { 'tenant-id': tenantId, 'file-id': fileId, 'upload-id': upload.id },
    });
    const file = newFileRecord({
      id: fileId,
      tenantId,
      filename: upload.filename,
      bytes: total,
      nowMs,
      bucket: this.deps.bucket,
      key,
      expiresAfterSeconds: upload.fileExpiresAfterSeconds,
    });
    if (request.md5 !== undefined && md5.digest('hex') !== request.md5.toLowerCase()) {
      await this.deps.objects.delete(this.deps.bucket, key);
      throw new InvalidRequestError("The file's MD5 checksum does not match 'md5'.", { param: 'md5', code: 'invalid_value' });
    }
    await this.deps.files.put(file);
    const completed = await this.deps.uploads.finish(upload.id, 'completed', fileId);
    if (!completed) {
      // A cancel or another complete won meanwhile: what this one made goes.
      await removeFile(this.deps, file);
      throw await this.stateError(upload.id, 'complete');
    }
    await this.removeParts(tenantId, completed);
    return toUploadObject(completed, Math.floor(this.now() / 1000), file);
  }

  /** `POST /v1/uploads/{uploadId}/cancel`: no more parts; the stored parts are removed. Cancelling twice answers the cancelled upload. */
  async cancel(tenantId: string, uploadId: string): Promise<UploadObject> {
    const upload = await this.owned(tenantId, uploadId);
    if (upload.status === 'cancelled') return toUploadObject(upload, Math.floor(this.now() / 1000));
    const cancelled = await this.deps.uploads.finish(upload.id, 'cancelled');
    if (!cancelled) throw await this.stateError(upload.id, 'cancel');
    await this.removeParts(tenantId, cancelled);
    return toUploadObject(cancelled, Math.floor(this.now() / 1000));
  }

  /** Each part's bytes in turn, hashed on the way. */
  private async *concatenated(keys: string[], md5: ReturnType<typeof createHash>): AsyncGenerator<Buffer> {
    for (const key of keys) {
      for await (const chunk of await this.deps.objects.read(this.deps.bucket, key)) {
        const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        md5.update(bytes);
        yield bytes;
      }
    }
  }

  /** Parts are only needed until the upload ends; a lifecycle rule on `uploads/` removes any left behind. */
  private async removeParts(tenantId: string, upload: UploadRecord): Promise<void> {
    await Promise.all(
      Object.keys(upload.parts).map((id) => this.deps.objects.delete(this.deps.bucket, fileKeys.uploadPart(tenantId, upload.id, id))),
    );
  }

  private async pending(tenantId: string, uploadId: string, action: string): Promise<UploadRecord> {
    const upload = await this.owned(tenantId, uploadId);
    const status = toUploadObject(upload, Math.floor(this.now() / 1000)).status;
    if (status !== 'pending') throw new UploadStateError(upload.id, action, status);
    return upload;
  }

  private async stateError(uploadId: string, action: string): Promise<UploadStateError> {
    const current = await this.deps.uploads.get(uploadId);
    return new UploadStateError(uploadId, action, current ? toUploadObject(current, Math.floor(this.now() / 1000)).status : 'gone');
  }

  private async owned(tenantId: string, uploadId: string): Promise<UploadRecord> {
    const upload = isUploadId(uploadId) ? await this.deps.uploads.get(uploadId) : undefined;
    if (!upload || upload.tenantId !== tenantId) throw new UploadNotFoundError(uploadId);
    return upload;
  }
}
