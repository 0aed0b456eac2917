import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectStore } from '../ports';

const NEWLINE = 0x0a;

/** What was written: its size and its number of lines. */
export interface StitchedObject {
  bucket: string;
  key: string;
  bytes: number;
  lines: number;
}

/**
 * Writes the concatenation of `parts` (in order) to `target`, streaming: each part is
 * read only when the one before it is done, and flows through a PassThrough into the
 * store's streaming (multipart) write, so memory stays flat however large the job.
 * Lines are counted on the way, and a part that does not end in a newline gets one, so
 * the last line of a part never runs into the first line of the next.
 */
export async function stitchParts(objects: ObjectStore, bucket: string, parts: readonly string[], target: string): Promise<StitchedObject> {
  const tally = { bytes: 0, lines: 0 };
  const body = new PassThrough();
  const [piped, written] = await Promise.allSettled([
    pipeline(concatenate(objects, bucket, parts, tally), body),
    objects.write(bucket, target, body, { contentType: 'application/jsonl' }).catch((error: unknown) => {
      // A write that gives up stops reading: without this the pipeline would wait forever.
      body.destroy(error as Error);
      throw error;
    }),
  ]);
  if (piped.status === 'rejected') throw piped.reason;
  if (written.status === 'rejected') throw written.reason;
  return { bucket, key: target, ...tally };
}

async function* concatenate(
  objects: ObjectStore,
  bucket: string,
  parts: readonly string[],
  tally: { bytes: number; lines: number },
): AsyncGenerator<Buffer> {
  for (const key of parts) {
    const stream = await objects.read(bucket, key);
    let last: number | undefined;
    for await (const piece of stream) {
      const bytes = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as string);
      if (bytes.length === 0) continue;
      tally.bytes += bytes.length;
      tally.lines += countNewlines(bytes);
      last = bytes[bytes.length - 1];
      yield bytes;
    }
    if (last !== undefined && last !== NEWLINE) {
      tally.bytes += 1;
      tally.lines += 1;
      yield Buffer.from('\n');
    }
  }
}

function countNewlines(bytes: Buffer): number {
  let count = 0;
  for (let at = bytes.indexOf(NEWLINE); at !== -1; at = bytes.indexOf(NEWLINE, at + 1)) count += 1;
  return count;
}
