import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type OpenAI from 'openai';
import type { CliIo } from './output';
import { ProgressMeter, renderProgress } from './ProgressMeter';

/** Statuses a batch does not leave. */
export const FINAL_STATUSES = ['completed', 'failed', 'expired', 'cancelled'] as const;

/** The platform's extension of the Batch object: lines processed, within chunks too (advisory). */
type BatchWithProgress = OpenAI.Batches.Batch & { progress?: { processed: number; total: number } };

/**
 * Polls a batch until it ends, drawing a progress line on stderr: redrawn in place on a
 * terminal, one line per change otherwise (a log, a test). Resolves with the final batch.
 */
export async function followBatch(
  client: OpenAI,
  batchId: string,
  io: CliIo,
  options: { intervalMs: number; quiet?: boolean },
): Promise<OpenAI.Batches.Batch> {
  const meter = new ProgressMeter();
  const tty = io.stderr.isTTY === true;
  let shown = '';
  for (;;) {
    const batch = (await client.batches.retrieve(batchId)) as BatchWithProgress;
    const counts = batch.request_counts ?? { total: 0, completed: 0, failed: 0 };
    const view = meter.add({
      done: batch.progress?.processed ?? counts.completed + counts.failed,
      total: batch.progress?.total ?? counts.total,
      errors: counts.failed,
      status: batch.status,
      at: io.now(),
    });
    const final = (FINAL_STATUSES as readonly string[]).includes(batch.status);
    if (!options.quiet) {
      const line = renderProgress(view);
      const key = `${view.done}/${view.total} ${view.errors} ${view.status}`;
      if (tty) io.stderr.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
      else if (key !== shown) io.stderr.write(`${line}\n`);
      shown = key;
    }
    if (final) return batch;
    await io.sleep(options.intervalMs);
  }
}

/** Bytes asked for per request when a file is read in parts (under the platform's 4.5 MB per response). */
export const DOWNLOAD_PART_BYTES = 4_000_000;

/**
 * Writes a stored file's content to `path`: in one request when it fits one response,
 * else in `Range` requests of {@link DOWNLOAD_PART_BYTES}, in order, into the same file.
 */
export async function downloadFile(client: OpenAI, fileId: string, path: string, partBytes = DOWNLOAD_PART_BYTES): Promise<void> {
  const { bytes } = await client.files.retrieve(fileId);
  const parts = async function* () {
    if (bytes <= partBytes) {
      yield* bodyOf(await client.files.content(fileId), fileId);
      return;
    }
    for (let start = 0; start < bytes; start += partBytes) {
      const end = Math.min(bytes, start + partBytes) - 1;
      const response = await client.files.content(fileId, { headers: { Range: `bytes=${start}-${end}` } });
      if (response.status !== 206) throw new Error(`The server ignored the Range header for ${fileId} (status ${response.status}).`);
      yield* bodyOf(response, fileId);
    }
  };
  await pipeline(Readable.from(parts()), createWriteStream(path));
}

function bodyOf(response: Response, fileId: string): AsyncIterable<Uint8Array> {
  if (!response.body) throw new Error(`File ${fileId} has no content.`);
  return Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
}

/** Downloads a batch's results and errors files (those it has) to `<base>.results.jsonl` and `<base>.errors.jsonl`. */
export async function downloadOutputs(
  client: OpenAI,
  batch: OpenAI.Batches.Batch,
  base: string,
): Promise<{ results?: string; errors?: string }> {
  const written: { results?: string; errors?: string } = {};
  if (batch.output_file_id) {
    written.results = `${base}.results.jsonl`;
    await downloadFile(client, batch.output_file_id, written.results);
  }
  if (batch.error_file_id) {
    written.errors = `${base}.errors.jsonl`;
    await downloadFile(client, batch.error_file_id, written.errors);
  }
  return written;
}
