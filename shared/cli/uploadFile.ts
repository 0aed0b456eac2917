import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import OpenAI, { APIError, toFile } from 'openai';
import { CliError } from './CliError';
import { EXIT } from './exitCodes';

/**
 * Files up to this size go in one `POST /v1/files` (the platform's limit for one
 * request: 4.5 MB, since API Gateway hands the function at most 6 MB, base64-encoded).
 */
export const SINGLE_UPLOAD_MAX_BYTES = 4_500_000;
/** Part size for the Uploads API: under the platform's per-request limit (OpenAI allows 64 MB). */
export const DEFAULT_PART_BYTES = 4_000_000;

/**
 * Uploads a batch input file and resolves with its file id: one `files.create` when it
 * fits one request, else OpenAI's Uploads API (`POST /v1/uploads`, its parts in order,
 * then `complete`). A server without the Uploads API (404) is a clear error.
 */
export async function uploadBatchFile(
  client: OpenAI,
  file: { path: string; bytes: number; filename?: string },
  options: { partBytes?: number; singleMaxBytes?: number; onPart?: (done: number, total: number) => void } = {},
): Promise<string> {
  const filename = file.filename ?? basename(file.path);
  if (file.bytes <= (options.singleMaxBytes ?? SINGLE_UPLOAD_MAX_BYTES)) {
    const uploaded = await client.files.create({ file: await toFile(createReadStream(file.path), filename), purpose: 'batch' });
    return uploaded.id;
  }
  const partBytes = options.partBytes ?? DEFAULT_PART_BYTES;
  let upload: OpenAI.Uploads.Upload;
  try {
    upload = await client.uploads.create({ bytes: file.bytes, filename, mime_type: 'application/jsonl', purpose: 'batch' });
  } catch (error) {
    if (error instanceof APIError && error.status === 404)
      throw new CliError(
        `The file is ${file.bytes} bytes, over the ${options.singleMaxBytes ?? SINGLE_UPLOAD_MAX_BYTES} bytes one upload takes, and this server has no Uploads API (POST /v1/uploads answered 404). Split the file, or drop it into the bucket's inbox/<tenant>/ folder.`,
        EXIT.notFound,
        { cause: error },
      );
    throw error;
  }
  const parts = Math.ceil(file.bytes / partBytes);
  const partIds: string[] = [];
  const handle = await open(file.path, 'r');
  try {
    for (let index = 0; index < parts; index++) {
      const length = Math.min(partBytes, file.bytes - index * partBytes);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, index * partBytes);
      const part = await client.uploads.parts.create(upload.id, {
        data: await toFile(buffer.subarray(0, bytesRead), `${filename}.part${index}`),
      });
      partIds.push(part.id);
      options.onPart?.(index + 1, parts);
    }
  } finally {
    await handle.close();
  }
  const completed = await client.uploads.complete(upload.id, { part_ids: partIds });
  if (!completed.file?.id) throw new CliError(`The upload ${upload.id} completed without a file.`, EXIT.unavailable);
  return completed.file.id;
}
