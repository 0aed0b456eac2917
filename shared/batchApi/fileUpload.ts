import { InvalidRequestError } from '../errors';
import { parseMultipartForm } from '../http/multipartForm';
import { MULTIPART_OVERHEAD_BYTES } from './constants';
import { UploadTooLargeError } from './errors';

/** A checked `POST /v1/files` upload. */
export interface FileUpload {
  purpose: 'batch';
  filename: string;
  data: Buffer;
}

/**
 * Reads the multipart form of `POST /v1/files` (fields `purpose` and `file`, as the
 * `openai` client sends them) and checks it: a 413 pointing at the file drop for a file
 * over `maxBytes`, a 400 naming the field for anything else. Other fields (the client's
 * `expires_after[...]`) are accepted and ignored: files live as long as the bucket keeps them.
 */
export async function readFileUpload(
  request: { contentType: string | undefined; body: Buffer },
  options: { maxBytes: number; tenantId: string },
): Promise<FileUpload> {
  if (request.body.length > options.maxBytes + MULTIPART_OVERHEAD_BYTES) throw new UploadTooLargeError(options.maxBytes, options.tenantId);
  const form = await parseMultipartForm(request.contentType, request.body, { maxFileBytes: options.maxBytes, maxFiles: 1 });

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
  return { purpose, filename: file.filename, data: file.data };
}
