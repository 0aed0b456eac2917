import { Readable } from 'node:stream';
import type { ObjectInfo, ObjectStore } from '../../shared/domain/ports';

/**
 * An in-memory bucket for the CPU measurements: reads stream in 64 KiB pieces, as an S3
 * body arrives, so the reader's work is the work it does in a Lambda, without a network.
 */
export class BenchObjectStore implements ObjectStore {
  readonly objects = new Map<string, { body: Buffer; metadata: Record<string, string>; contentType?: string; etag: string }>();
  #version = 0;

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    const object = this.objects.get(`${bucket}/${key}`);
    return object && { size: object.body.length, etag: object.etag, metadata: { ...object.metadata }, contentType: object.contentType };
  }

  async read(bucket: string, key: string, options: { start?: number; end?: number } = {}): Promise<Readable> {
    const object = this.objects.get(`${bucket}/${key}`);
    if (!object) throw Object.assign(new Error(`NoSuchKey: ${bucket}/${key}`), { name: 'NoSuchKey' });
    const body = object.body.subarray(options.start ?? 0, options.end === undefined ? undefined : options.end + 1);
    const pieces: Buffer[] = [];
    for (let at = 0; at < body.length; at += 64 * 1024) pieces.push(body.subarray(at, at + 64 * 1024));
    return Readable.from(pieces);
  }

  async write(
    bucket: string,
    key: string,
    body: string | Buffer | Readable,
    options: { contentType?: string; metadata?: Record<string, string> } = {},
  ): Promise<void> {
    let bytes: Buffer;
    if (typeof body === 'string') bytes = Buffer.from(body);
    else if (Buffer.isBuffer(body)) bytes = body;
    else {
      const parts: Buffer[] = [];
      for await (const part of body) parts.push(Buffer.from(part as Buffer));
      bytes = Buffer.concat(parts);
    }
    this.#version += 1;
    this.objects.set(`${bucket}/${key}`, {
      body: bytes,
      metadata: options.metadata ?? {},
      ...(options.contentType ? { contentType: options.contentType } : {}),
      etag: `"v${this.#version}"`,
    });
  }
}
