import { createInterface } from 'node:readline';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectStore } from '../../domain/ports';

const NEWLINE = 0x0a;

/** What was written: its size and its number of lines. */
export interface StitchedObject {
  bucket: string;
  key: string;
  bytes: number;
  lines: number;
}

/** A part to stitch: its key, and optionally a rewrite of each of its lines (JSON text in, JSON text out). */
export type StitchPart = string | { key: string; rewrite: (line: string) => string };

/**
 * Writes the concatenation of `parts` (in order) to `target`, streaming: each part is
 * read only when the one before it is done, and flows through a PassThrough into the
 * store's streaming (multipart) write, so memory stays flat however large the job.
 * Lines are counted on the way, and a part that does not end in a newline gets one, so
 * the last line of a part never runs into the first line of the next.
 */
export async function stitchParts(
  objects: ObjectStore,
  bucket: string,
  parts: readonly StitchPart[],
  target: string,
): Promise<StitchedObject> {
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
  parts: readonly StitchPart[],
  tally: { bytes: number; lines: number },
): AsyncGenerator<Buffer> {
  for (const part of parts) {
    if (typeof part !== 'string') {
      yield* rewritten(objects, bucket, part, tally);
      continue;
    }
    const stream = await objects.read(bucket, part);
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

/** A part whose every non-blank line is rewritten, line by line (a part line is at most one input line's worth). */
async function* rewritten(
  objects: ObjectStore,
  bucket: string,
  part: { key: string; rewrite: (line: string) => string },
  tally: { bytes: number; lines: number },
): AsyncGenerator<Buffer> {
  const stream = await objects.read(bucket, part.key);
  const lines = createInterface({ input: Readable.from(stream), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const bytes = Buffer.from(`${part.rewrite(line)}\n`);
    tally.bytes += bytes.length;
    tally.lines += 1;
    yield bytes;
  }
}

function countNewlines(bytes: Buffer): number {
  let count = 0;
  for (let at = bytes.indexOf(NEWLINE); at !== -1; at = bytes.indexOf(NEWLINE, at + 1)) count += 1;
  return count;
}
