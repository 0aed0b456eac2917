import { JsonlLineReader } from '../lines/JsonlLineReader';
import { parseReadLine } from '../lines/lineFormats';
import type { LineContext, LineError, ParsedLine, ReadLine } from '../lines/types';
import type { ChunkMessage, Job } from '../job/Job';
import type { ObjectStore } from '../../domain/ports';
import type { LineParser, ModelCatalogueLookup } from './types';

/**
 * The request lines of a chunk, in order: a ranged read of the input pinned to the ETag
 * ingest read (so a replaced object fails loudly instead of mixing two files), without
 * blank lines and without the lines ingest already refused (those are in its error part).
 * Streams: the chunk is never held whole by the reader.
 */
export async function* chunkRequestLines(objects: ObjectStore, message: ChunkMessage, maxLineBytes: number): AsyncGenerator<ReadLine> {
  const { chunk, source } = message;
  const stream = await objects.read(source.bucket, source.key, { start: chunk.startByte, end: chunk.endByte, ifMatch: source.etag });
  const skip = new Set(chunk.skipLines);
  const reader = new JsonlLineReader(stream, { maxLineBytes, startOffset: chunk.startByte, firstLineNumber: chunk.firstLine });
  for await (const line of reader) {
    if ((!line.tooLong && line.blank) || skip.has(line.lineNumber)) continue;
    yield line;
  }
}

/**
 * What a chunk's lines are parsed against: the catalogue, the input's format, a Bedrock
 * file's model and the endpoint the batch was created for, as ingest had them.
 */
export function lineContextOf(message: ChunkMessage, job: Job, router: ModelCatalogueLookup): LineContext {
  return {
    resolveModel: (id, kind) => router.model(id, kind),
    listModels: () => router.listModels(),
    format: message.source.format,
    bedrockModel: message.source.model,
    endpoint: job.endpoint,
  };
}

/**
 * Parses a request line with the same parser ingest validated it with, refusing one the
 * reader cut short or could not decode. Ingest refused such lines already, so meeting one
 * here means the input changed under the job; it is still answered, never dropped.
 */
export function parseChunkLine(parseLine: LineParser, maxLineBytes: number, line: ReadLine, context: LineContext): ParsedLine | LineError {
  // Blank lines were filtered out by chunkRequestLines, so parseReadLine always answers.
  if (line.tooLong || line.invalidUtf8) return parseReadLine(line, maxLineBytes, context)!;
  return parseLine(line.text, line.lineNumber, context);
}
