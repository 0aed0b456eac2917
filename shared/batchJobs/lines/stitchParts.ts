import { createInterface } from 'node:readline';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectAssembly, ObjectStore } from '../../domain/ports';
import { PART_LINES_METADATA } from './constants';

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
 * Parts stitched at once: HEADs asked together, uploaded parts sent while the next is
 * gathered (each holds its bytes in memory), and copies, which hold nothing here and take
 * S3 about as long as a read of the part would, so a job of many large parts is copied
 * side by side rather than a few at a time.
 */
const HEADS_AT_ONCE = 16;
const UPLOADS_IN_FLIGHT = 4;
const COPIES_IN_FLIGHT = 16;
/** Bytes gathered from small parts before they go as one uploaded part (at least the store's minimum). */
const UPLOAD_PART_BYTES = 8 * 1024 * 1024;

/**
 * Writes the concatenation of `parts` (in order) to `target`. Lines are counted on the
 * way, and a part that does not end in a newline gets one, so the last line of a part
 * never runs into the first line of the next.
 *
 * Where the store can assemble an object from parts and at least one part is large
 * enough (the store's minimum part size, S3's 5 MiB) and vouched for by its writer
 * (`PART_LINES_METADATA`), those parts are copied inside the store (UploadPartCopy)
 * without being read, and only the small ones are read and gathered into uploaded parts
 * of at least the minimum. Small bytes waiting before a large part are topped up to the
 * minimum with the head of that part (a ranged read), and the rest of it is copied by
 * range. Otherwise everything is streamed: each part is read only when the one before it
 * is done, and flows into the store's streaming (multipart) write. Either way memory
 * stays bounded however large the job, and the bytes written are the same. Where the
 * store was asked about the parts, a part it reports empty is not read at all (a job's
 * error parts mostly are).
 */
export async function stitchParts(
  objects: ObjectStore,
  bucket: string,
  parts: readonly StitchPart[],
  target: string,
): Promise<StitchedObject> {
  const tally = { bytes: 0, lines: 0 };
  const assembler = objects.assembler;
  let toRead: readonly StitchPart[] = parts;
  if (assembler) {
    const pieces = await piecesOf(objects, bucket, parts, assembler.minPartBytes);
    toRead = pieces.flatMap((piece) => (piece.kind === 'read' ? [piece.part] : []));
    if (pieces.some((piece) => piece.kind === 'copy')) {
      const assembly = await assembler.start(bucket, target, { contentType: 'application/jsonl' });
      try {
        await assemble(objects, bucket, assembly, assembler.minPartBytes, pieces, tally);
      } catch (error) {
        await assembly.abort().catch(() => undefined);
        throw error;
      }
      return { bucket, key: target, ...tally };
    }
  }
  const body = new PassThrough();
  const [piped, written] = await Promise.allSettled([
    pipeline(concatenate(objects, bucket, toRead, tally), body),
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

/** A part as the assembly takes it: copied inside the store (size and lines known), read, or left out (empty). */
type Piece = { kind: 'copy'; key: string; size: number; lines: number } | { kind: 'read'; part: StitchPart } | { kind: 'empty' };

/** Which parts can be copied (large enough, with their lines vouched for by their writer), and which are empty. */
async function piecesOf(objects: ObjectStore, bucket: string, parts: readonly StitchPart[], minPartBytes: number): Promise<Piece[]> {
  const pieces: Piece[] = [];
  for (let at = 0; at < parts.length; at += HEADS_AT_ONCE) {
    const batch = parts.slice(at, at + HEADS_AT_ONCE);
    const heads = await Promise.all(batch.map((part) => (typeof part === 'string' ? objects.head(bucket, part) : undefined)));
    batch.forEach((part, index) => {
      const head = heads[index];
      const lines = Number(head?.metadata[PART_LINES_METADATA] ?? Number.NaN);
      // Nothing to read: an empty part adds no byte and no line (and gets no newline).
      if (typeof part === 'string' && head?.size === 0) pieces.push({ kind: 'empty' });
      else if (typeof part === 'string' && head && head.size >= minPartBytes && Number.isSafeInteger(lines) && lines >= 0)
        pieces.push({ kind: 'copy', key: part, size: head.size, lines });
      else pieces.push({ kind: 'read', part });
    });
  }
  return pieces;
}

/**
 * Appends the pieces to the assembly in order: copies as they come, read bytes gathered
 * and uploaded once there are {@link UPLOAD_PART_BYTES} (or before a copy, if they reach
 * the minimum), every part but the last at least the store's minimum.
 */
async function assemble(
  objects: ObjectStore,
  bucket: string,
  assembly: ObjectAssembly,
  minimum: number,
  pieces: readonly Piece[],
  tally: { bytes: number; lines: number },
): Promise<void> {
  const uploads: Array<Promise<void>> = [];
  const copies: Array<Promise<void>> = [];
  const send = async (part: Promise<void>, inFlight: Array<Promise<void>>, most: number): Promise<void> => {
    // Awaited below, in order; a failure found before then must not go unhandled.
    part.catch(() => undefined);
    inFlight.push(part);
    if (inFlight.length >= most) await inFlight.shift();
  };
  let gathered: Buffer[] = [];
  let gatheredBytes = 0;
  const upload = async (): Promise<void> => {
    if (gatheredBytes === 0) return;
    const body = Buffer.concat(gathered, gatheredBytes);
    gathered = [];
    gatheredBytes = 0;
    await send(assembly.upload(body), uploads, UPLOADS_IN_FLIGHT);
  };
  const gather = async (bytes: AsyncIterable<Buffer>): Promise<void> => {
    for await (const piece of bytes) {
      gathered.push(piece);
      gatheredBytes += piece.length;
      if (gatheredBytes >= Math.max(minimum, UPLOAD_PART_BYTES)) await upload();
    }
  };
  for (const piece of pieces) {
    if (piece.kind === 'empty') continue;
    if (piece.kind === 'read') {
      await gather(partBytes(objects, bucket, piece.part, tally));
      continue;
    }
    tally.bytes += piece.size;
    tally.lines += piece.lines;
    let start = 0;
    if (gatheredBytes > 0 && gatheredBytes < minimum) {
      const topUp = minimum - gatheredBytes;
      if (piece.size - topUp < minimum) {
        // Too small to split into a top-up and a copy of its own: read it all.
        await gather(buffers(await objects.read(bucket, piece.key)));
        continue;
      }
      await gather(buffers(await objects.read(bucket, piece.key, { start: 0, end: topUp - 1 })));
      start = topUp;
    }
    await upload();
    await send(assembly.copy(piece.key, start === 0 ? undefined : { start, end: piece.size - 1 }), copies, COPIES_IN_FLIGHT);
  }
  await upload();
  await Promise.all([...uploads, ...copies]);
  await assembly.complete();
}

async function* concatenate(
  objects: ObjectStore,
  bucket: string,
  parts: readonly StitchPart[],
  tally: { bytes: number; lines: number },
): AsyncGenerator<Buffer> {
  for (const part of parts) yield* partBytes(objects, bucket, part, tally);
}

/** One part's bytes, counted, rewritten if it asks, and ending in a newline. */
async function* partBytes(
  objects: ObjectStore,
  bucket: string,
  part: StitchPart,
  tally: { bytes: number; lines: number },
): AsyncGenerator<Buffer> {
  if (typeof part !== 'string') {
    yield* rewritten(objects, bucket, part, tally);
    return;
  }
  let last: number | undefined;
  for await (const bytes of buffers(await objects.read(bucket, part))) {
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

async function* buffers(stream: Readable): AsyncGenerator<Buffer> {
  for await (const piece of stream) yield Buffer.isBuffer(piece) ? piece : Buffer.from(piece as string);
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
