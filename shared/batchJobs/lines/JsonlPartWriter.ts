import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { ObjectStore } from '../../domain/ports';
import { JSONL_CONTENT_TYPE } from './constants';

/** Bytes buffered between the writer and the upload before `writeLine` waits. */
const HIGH_WATER_MARK = 256 * 1024;

/**
 * Writes a JSONL object line by line while it uploads (the S3 adapter sends a stream
 * as a multipart upload), in constant memory however many lines: when the upload falls
 * behind, `writeLine` waits for it to drain instead of buffering.
 */
export class JsonlPartWriter {
  readonly #stream = new PassThrough({ highWaterMark: HIGH_WATER_MARK });
  readonly #upload: Promise<void>;
  /** Rejects when the upload ends, for or against us: what a wait for 'drain' must not outlive. */
  readonly #uploadEnded: Promise<never>;
  #failure: { error: unknown } | undefined;
  #lines = 0;

  constructor(objects: ObjectStore, bucket: string, key: string) {
    this.#upload = objects.write(bucket, key, this.#stream, { contentType: JSONL_CONTENT_TYPE });
    // Kept, not thrown here: the next write or close reports it (and nothing is left unhandled).
    this.#upload.catch((error: unknown) => {
      this.#failure = { error };
    });
    this.#uploadEnded = this.#upload.then(() => {
      throw new Error('the upload ended before its stream did');
    });
    this.#uploadEnded.catch(() => undefined);
    // The upload reports a destroyed stream itself; an 'error' with no listener would crash the process.
    this.#stream.on('error', () => undefined);
  }

  /** Lines written so far. */
  get lines(): number {
    return this.#lines;
  }

  /** Appends one JSON value as a line; resolves once the stream can take more. */
  async writeLine(value: unknown): Promise<void> {
    if (this.#failure) throw this.#failure.error;
    this.#lines += 1;
    if (this.#stream.write(`${JSON.stringify(value)}\n`)) return;
    // If the upload dies it stops reading and 'drain' never comes: wait for either.
    await Promise.race([once(this.#stream, 'drain'), this.#uploadEnded]);
  }

  /** Ends the object and waits until it is stored. */
  async close(): Promise<void> {
    this.#stream.end();
    await this.#upload;
  }

  /** Gives up: the upload fails (a multipart upload is aborted) and nothing is stored. */
  async abort(reason: Error): Promise<void> {
    this.#stream.destroy(reason);
    await this.#upload.catch(() => undefined);
  }
}
