import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import { CliError } from './CliError';
import { EXIT } from './exitCodes';

/** A batch input file ready to upload. */
export interface BatchInput {
  /** The file to upload: the user's, or a rewritten copy (with `--model`). */
  path: string;
  bytes: number;
  /** Request lines (blank lines not counted). */
  lines: number;
  /** The first line's `url`: the batch's endpoint. */
  endpoint: string;
  /** Removes the rewritten copy, if one was made. */
  cleanup: () => Promise<void>;
}

/** The endpoint when the first line names none. */
const DEFAULT_ENDPOINT = '/v1/chat/completions';

/**
 * Reads a JSONL batch file once: counts its request lines and takes the endpoint from
 * the first. With `model`, writes a copy whose every line's `body.model` is `model` (the
 * lines are otherwise unchanged); a line that is not JSON is copied as it is, for the
 * server to refuse with its line number.
 */
export async function prepareBatchInput(path: string, options: { model?: string } = {}): Promise<BatchInput> {
  try {
    await stat(path);
  } catch (error) {
    throw new CliError(`Cannot read ${path}: ${(error as Error).message}`, EXIT.error, { cause: error });
  }
  const dir = options.model ? await mkdtemp(join(tmpdir(), 'infer-')) : undefined;
  const copyPath = dir ? join(dir, basenameOf(path)) : undefined;
  const copy = copyPath ? createWriteStream(copyPath) : undefined;
  let lines = 0;
  let endpoint: string | undefined;
  const reader = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of reader) {
    let out = line;
    if (line.trim() !== '') {
      lines += 1;
      const parsed = parseLine(line);
      endpoint ??= typeof parsed?.url === 'string' ? parsed.url : DEFAULT_ENDPOINT;
      if (options.model && parsed && typeof parsed.body === 'object' && parsed.body !== null) {
        out = JSON.stringify({ ...parsed, body: { ...(parsed.body as object), model: options.model } });
      }
    }
    if (copy && !copy.write(`${out}\n`)) await new Promise<void>((resolve) => copy.once('drain', () => resolve()));
  }
  if (copy) {
    copy.end();
    await finished(copy);
  }
  const uploaded = copyPath ?? path;
  return {
    path: uploaded,
    bytes: (await stat(uploaded)).size,
    lines,
    endpoint: endpoint ?? DEFAULT_ENDPOINT,
    cleanup: async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function basenameOf(path: string): string {
  return path.split(/[\\/]/).pop() || 'batch.jsonl';
}
