import { InvalidRequestError } from '../../errors/requestErrors';
import { parseMultipartForm } from '../../http/multipartForm';
import { EXPIRES_AFTER_SECONDS, MULTIPART_OVERHEAD_BYTES } from './constants';
import { UploadPartTooLargeError, UploadTooLargeError } from './errors';

/** A checked `POST /v1/files` upload. */
export interface FileUpload {
  purpose: 'batch';
  filename: string;
  data: Buffer;
  /** `expires_after[seconds]` (anchor `created_at`), when given. */
  expiresAfterSeconds?: number;
}

/**
 * The text fields `POST /v1/files` knows besides `file`: `purpose`, and OpenAI's
 * `expires_after` as the `openai` client sends it (`expires_after[anchor]`,
 * `expires_after[seconds]`), checked as `POST /v1/batches` checks `output_expires_after`.
 */
const KNOWN_FIELDS = ['purpose', 'expires_after[anchor]', 'expires_after[seconds]'] as const;

/**
 * Reads the multipart form of `POST /v1/files` (fields `purpose` and `file`, as the
 * `openai` client sends them) and checks it: a 413 pointing at the file drop for a file
 * over `maxBytes`, a 400 naming the field for anything else. A field the route does not
 * know is refused by name (`unknown_parameter`), as the JSON routes refuse theirs: a typo
 * never passes silently. `expires_after` sets when the file expires.
 */
export async function readFileUpload(
  request: { contentType: string | undefined; body: Buffer },
  options: { maxBytes: number; tenantId: string },
): Promise<FileUpload> {
  if (request.body.length > options.maxBytes + MULTIPART_OVERHEAD_BYTES) throw new UploadTooLargeError(options.maxBytes, options.tenantId);
  const form = await parseMultipartForm(request.contentType, request.body, { maxFileBytes: options.maxBytes, maxFiles: 1 });

  const unknown = Object.keys(form.fields).find((name) => name !== 'file' && !(KNOWN_FIELDS as readonly string[]).includes(name));
  if (unknown !== undefined)
    throw new InvalidRequestError(`Unrecognized request argument supplied: ${unknown}`, { param: unknown, code: 'unknown_parameter' });
  const expiresAfterSeconds = readExpiresAfter(form.fields);

  const file = form.files.find((part) => part.field === 'file');
  if (!file) {
    const detail =
      form.fields.file !== undefined
        ? "'file' arrived as a text field; send it as a file part (with a filename)."
        : form.files[0]
          ? `the file arrived in '${form.files[0].field}'.`
          : 'the form has no file.';
    throw new InvalidRequestError(`Missing required parameter: 'file': ${detail}`, { param: 'file', code: 'missing_required_parameter' });
  }
  if (file.truncated) throw new UploadTooLargeError(options.maxBytes, options.tenantId);

  const purpose = form.fields.purpose;
  if (purpose === undefined)
    throw new InvalidRequestError("Missing required parameter: 'purpose'.", { param: 'purpose', code: 'missing_required_parameter' });
  if (purpose !== 'batch') {
    throw new InvalidRequestError(
      `Invalid value for 'purpose': '${purpose}'; this platform stores files for the Batch API, so only 'batch' is supported.`,
      { param: 'purpose', code: 'invalid_value' },
    );
  }
  if (file.data.length === 0) throw new InvalidRequestError(`The file '${file.filename}' is empty.`, { param: 'file', code: 'empty_file' });
  if (!/\.jsonl$/i.test(file.filename)) {
    throw new InvalidRequestError(`Invalid file format for Batch API: '${file.filename}'. Must be .jsonl.`, {
      param: 'file',
      code: 'invalid_file_format',
    });
  }
  return { purpose, filename: file.filename, data: file.data, ...(expiresAfterSeconds !== undefined ? { expiresAfterSeconds } : {}) };
}

/** `expires_after[anchor]` must be `created_at` and `expires_after[seconds]` a whole number from 3,600 to 2,592,000, together. */
function readExpiresAfter(fields: Record<string, string>): number | undefined {
  const anchor = fields['expires_after[anchor]'];
  const seconds = fields['expires_after[seconds]'];
  if (anchor === undefined && seconds === undefined) return undefined;
  if (anchor !== 'created_at') {
    throw new InvalidRequestError(
      `Invalid value for 'expires_after.anchor': ${anchor === undefined ? 'missing' : `'${anchor}'`}; it must be 'created_at'.`,
      { param: 'expires_after.anchor', code: 'invalid_value' },
    );
  }
  const value = Number(seconds);
  if (seconds === undefined || !/^\d+$/.test(seconds) || value < EXPIRES_AFTER_SECONDS.min || value > EXPIRES_AFTER_SECONDS.max) {
    throw new InvalidRequestError("Invalid value for 'expires_after.seconds': it must be a whole number of seconds from 3600 to 2592000.", {
      param: 'expires_after.seconds',
      code: 'invalid_value',
    });
  }
  return value;
}

/**
 * Reads the multipart form of `POST /v1/uploads/{id}/parts`: one file part named `data`
 * (as the `openai` client sends it), at most `maxBytes` (413 past it), nothing else.
 */
export async function readUploadPart(
  request: { contentType: string | undefined; body: Buffer },
  options: { maxBytes: number },
): Promise<Buffer> {
  if (request.body.length > options.maxBytes + MULTIPART_OVERHEAD_BYTES) throw new UploadPartTooLargeError(options.maxBytes);
  const form = await parseMultipartForm(request.contentType, request.body, { maxFileBytes: options.maxBytes, maxFiles: 1 });
  const unknown = Object.keys(form.fields).find((name) => name !== 'data');
  if (unknown !== undefined)
    throw new InvalidRequestError(`Unrecognized request argument supplied: ${unknown}`, { param: unknown, code: 'unknown_parameter' });
  const part = form.files.find((file) => file.field === 'data');
  if (!part)
    throw new InvalidRequestError("Missing required parameter: 'data': send the part's bytes as a file part named 'data'.", {
      param: 'data',
      code: 'missing_required_parameter',
    });
  if (part.truncated) throw new UploadPartTooLargeError(options.maxBytes);
  if (part.data.length === 0) throw new InvalidRequestError('The part is empty.', { param: 'data', code: 'empty_file' });
  return part.data;
}
