import type { IncomingHttpHeaders } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Whether a request body is in `aws-chunked` encoding: the SDK sends streamed uploads
 * that way, with their checksum as a trailer (`x-amz-trailer`), or SigV4-signed chunks.
 */
export function isAwsChunked(headers: IncomingHttpHeaders): boolean {
  const encoding = String(headers['content-encoding'] ?? '');
  const sha = String(headers['x-amz-content-sha256'] ?? '');
  return encoding.split(',').some((token) => token.trim() === 'aws-chunked') || sha.startsWith('STREAMING-');
}

/**
 * The headers S3 sees once it has decoded an aws-chunked body: `aws-chunked` dropped from
 * Content-Encoding (so it is not stored as the object's encoding) and Content-Length the
 * decoded length.
 */
export function decodedHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const result: IncomingHttpHeaders = { ...headers };
  const encoding = String(headers['content-encoding'] ?? '')
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token && token !== 'aws-chunked')
    .join(', ');
  if (encoding) result['content-encoding'] = encoding;
  else delete result['content-encoding'];
  const decodedLength = headers['x-amz-decoded-content-length'];
  if (decodedLength !== undefined) result['content-length'] = String(decodedLength);
  else delete result['content-length'];
  delete result['x-amz-decoded-content-length'];
  return result;
}

/**
 * Turns an aws-chunked body (`<hex size>[;chunk-signature=…]\r\n<bytes>\r\n` … `0\r\n`
 * then trailer lines) back into the object's bytes. Signatures and trailers are not
 * checked: the local stand-ins accept any credentials.
 */
export class AwsChunkedDecoder extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  private state: 'size' | 'data' | 'dataEnd' | 'trailer' = 'size';
  private remaining = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    try {
      this.consume();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    callback(this.state === 'trailer' ? null : new Error('aws-chunked body ended before its last chunk'));
  }

  private consume(): void {
    for (;;) {
      if (this.state === 'trailer') {
        this.pending = Buffer.alloc(0);
        return;
      }
      if (this.state === 'data') {
        if (!this.pending.length) return;
        const take = Math.min(this.remaining, this.pending.length);
        this.push(this.pending.subarray(0, take));
        this.pending = this.pending.subarray(take);
        this.remaining -= take;
        if (this.remaining === 0) this.state = 'dataEnd';
        continue;
      }
      if (this.state === 'dataEnd') {
        if (this.pending.length < 2) return;
        this.pending = this.pending.subarray(2);
        this.state = 'size';
        continue;
      }
      const lineEnd = this.pending.indexOf('\r\n');
      if (lineEnd < 0) {
        if (this.pending.length > 4096) throw new Error('aws-chunked chunk header is too long');
        return;
      }
      const size = Number.parseInt(this.pending.subarray(0, lineEnd).toString('latin1').split(';')[0]!.trim(), 16);
      if (!Number.isInteger(size) || size < 0) throw new Error('aws-chunked chunk header is not a hexadecimal size');
      this.pending = this.pending.subarray(lineEnd + 2);
      if (size === 0) this.state = 'trailer';
      else {
        this.state = 'data';
        this.remaining = size;
      }
    }
  }
}
