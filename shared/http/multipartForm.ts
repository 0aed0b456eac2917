import busboy from 'busboy';
import { MalformedMultipartError, UnsupportedMediaTypeError } from './httpErrors';
import { isMultipartFormData } from './mediaType';
import type { RouteEvent } from './routeEvent';

/** A file part of a multipart form, held in memory (the body already is: Lambda gets it whole). */
export interface MultipartFile {
  field: string;
  /** The client's file name, without any path. */
  filename: string;
  contentType: string;
  data: Buffer;
  /** The part was longer than `maxFileBytes`; `data` then holds only its start. */
  truncated: boolean;
}

/** A parsed multipart/form-data body. */
export interface MultipartForm {
  /** Text fields; a repeated field keeps its last value. */
  fields: Record<string, string>;
  files: MultipartFile[];
}

/** How much of a form is read. */
export interface MultipartLimits {
  maxFileBytes: number;
  maxFiles?: number;
  maxFields?: number;
  maxFieldBytes?: number;
}

/** The request body as bytes: API Gateway sends binary bodies (with binaryMediaTypes `*\/*`, every body) base64-encoded. */
export function requestBodyBytes(event: Pick<RouteEvent, 'body' | 'isBase64Encoded'>): Buffer {
  return Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
}

/**
 * Parses a multipart/form-data body (what the `openai` client and browsers send for
 * uploads). Refuses another content type with 415 and a malformed body with 400; a file
 * over `maxFileBytes` comes back `truncated` so the caller can answer with its own 413.
 */
export async function parseMultipartForm(contentType: string | undefined, body: Buffer, limits: MultipartLimits): Promise<MultipartForm> {
  if (!isMultipartFormData(contentType)) throw new UnsupportedMediaTypeError(contentType, 'multipart/form-data');
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      // Clients send file names as raw UTF-8, not latin1 (busboy's default).
      defParamCharset: 'utf8',
      // One byte past ours: busboy flags a file that merely reaches its limit, as one of exactly maxFileBytes would.
      limits: {
        fileSize: limits.maxFileBytes + 1,
        files: limits.maxFiles ?? 1,
        fields: limits.maxFields ?? 20,
        fieldSize: limits.maxFieldBytes ?? 64 * 1024,
      },
    });
  } catch (error) {
    throw new MalformedMultipartError((error as Error).message, error);
  }
  return new Promise<MultipartForm>((resolve, reject) => {
    const form: MultipartForm = { fields: {}, files: [] };
    const fail = (detail: string, cause?: unknown) => reject(new MalformedMultipartError(detail, cause));
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) return fail(`the field '${name}' is longer than ${limits.maxFieldBytes ?? 64 * 1024} bytes.`);
      form.fields[name] = value;
    });
    parser.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      const file: MultipartFile = {
        field,
        filename: decodeFilename(info.filename ?? ''),
        contentType: info.mimeType,
        data: Buffer.alloc(0),
        truncated: false,
      };
      form.files.push(file);
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        file.data = Buffer.concat(chunks);
        file.truncated = file.data.length > limits.maxFileBytes;
      });
    });
    parser.on('filesLimit', () => fail(`send at most ${limits.maxFiles ?? 1} file(s).`));
    parser.on('fieldsLimit', () => fail(`send at most ${limits.maxFields ?? 20} fields.`));
    parser.on('error', (error: Error) => fail(error.message, error));
    parser.on('close', () => resolve(form));
    parser.end(body);
  });
}

/**
 * Clients percent-encode the characters a quoted header value cannot hold (`"` as %22,
 * control characters, and in the `openai` client `\` too); only those are decoded, so a
 * name with a literal `%41` stays as it is.
 */
function decodeFilename(name: string): string {
  return name.replace(/%(?:[01][0-9A-F]|22|5C|7F)/gi, (sequence) => decodeURIComponent(sequence));
}
