import { JsonlLineReader } from '../../../../shared/batchJobs/lines/JsonlLineReader';
import type { IngestDeps } from '../../../../shared/batchJobs/ingest/ingestObject';
import type { ObjectDrop } from '../../../../shared/batchJobs/ingest/createJobForObject';
import type { BatchLimits } from '../../../../shared/config/config';
import { ChunkMessage, jobKeys } from '../../../../shared/batchJobs/job/Job';
import type { BatchOutputLine } from '../../../../shared/domain/outputLines';
import type { ObjectStore } from '../../../../shared/domain/ports';
import { MemoryJobStore, MemoryObjectStore, MemorySender } from '../../../helpers/memoryPorts';
import { limits as defaultLimits, router } from '../lines/batchFixtures';

export const BUCKET = 'platform-bucket';
export const NOW = new Date('2025-03-01T12:00:00Z');

/** Ingest over in-memory ports. */
export function ingestWorld(limits: Partial<BatchLimits> = {}) {
  const jobs = new MemoryJobStore();
  const objects = new MemoryObjectStore();
  const chunks = new MemorySender<ChunkMessage>();
  const deps: IngestDeps = {
    jobs,
    objects,
    chunks,
    resolveModel: (id, kind) => router.model(id, kind),
    listModels: () => router.listModels(),
    limits: { ...defaultLimits, ...limits },
    now: () => NOW,
  };
  /** Puts an object in the bucket and returns its drop event. */
  async function drop(key: string, body: string | Buffer, metadata: Record<string, string> = {}): Promise<ObjectDrop> {
    await objects.write(BUCKET, key, body, { metadata });
    const info = await objects.head(BUCKET, key);
    return { tenantId: 'tenant-1', bucket: BUCKET, key, etag: info!.etag.replaceAll('"', '') };
  }
  /** The lines of the job's ingest error part. */
  function errorLines(jobId: string): BatchOutputLine[] {
    const text = objects.text(BUCKET, jobKeys.ingestErrors(jobId));
    if (text === undefined) throw new Error('no ingest error part');
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as BatchOutputLine);
  }
  return { jobs, objects, chunks, deps, drop, errorLines };
}

/** What a worker would read of a chunk: the line numbers and texts of its request lines, by range GET. */
export async function rereadChunk(objects: ObjectStore, message: ChunkMessage): Promise<{ lineNumber: number; text: string }[]> {
  const parsed = ChunkMessage.parse(message);
  const { chunk, source } = parsed;
  const stream = await objects.read(source.bucket, source.key, { start: chunk.startByte, end: chunk.endByte, ifMatch: source.etag });
  const lines: { lineNumber: number; text: string }[] = [];
  for await (const line of new JsonlLineReader(stream, {
    maxLineBytes: 1 << 20,
    startOffset: chunk.startByte,
    firstLineNumber: chunk.firstLine,
  })) {
    if (line.tooLong || line.blank || chunk.skipLines.includes(line.lineNumber)) continue;
    lines.push({ lineNumber: line.lineNumber, text: line.text });
  }
  return lines;
}
