import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * The bad-input corpus: one file per case, each with the outcome it must get. Big and
 * binary inputs are described by a generator spec rather than committed (see README.md).
 */

export const CORPUS_DIR = __dirname;

/** What an HTTP answer must be. */
export interface HttpExpectation {
  status: number;
  /** `error.code`; `null` for a response that is not an error. */
  code?: string | null;
  /** `error.param`: the field the error names (`null`: it names none). */
  param?: string | null;
  /** Substrings `error.message` must hold (the line, field or limit it names). */
  messageIncludes?: string | string[];
}

/**
 * Builds a body from a template: `@@` in `template` (default `@@`) is replaced by
 * `repeat` written `times` times, or by `depth` levels of `nest` (an opening and a
 * closing piece, e.g. `["[", "]"]` or `["{\"a\":", "}"]`) around `inner`.
 */
export interface BodyGenerator {
  template?: string;
  repeat?: string;
  times?: number;
  nest?: [string, string];
  depth?: number;
  /** What sits at the bottom of the nesting (e.g. `1` inside `{"a":` … `}`). */
  inner?: string;
}

/** A body as a fixture gives it: raw text, bytes in base64 (sent base64-encoded), JSON to serialise, or generated. */
export type BodySpec = string | { base64: string } | { json: unknown } | { generate: BodyGenerator };

/** One HTTP case: `test/corpus/http/<name>.json`. */
export interface HttpCase {
  name: string;
  description: string;
  route: string;
  path?: Record<string, string>;
  query?: Record<string, string>;
  /** Lower-case names; `$KEY` is replaced by the world's valid key; `null` removes the header. */
  headers?: Record<string, string | null>;
  body?: BodySpec;
  expect: HttpExpectation;
  /** Also sent with raw `fetch` to the running local platform. */
  local?: boolean;
  /** What the local platform answers instead, where API Gateway itself refuses first. */
  expectLocal?: HttpExpectation & { gatewayMessage?: string };
}

/** The bytes of a body spec, and whether API Gateway would pass them base64-encoded. */
export function bodyBytes(spec: BodySpec | undefined): { bytes: Buffer | undefined; base64: boolean } {
  if (spec === undefined) return { bytes: undefined, base64: false };
  if (typeof spec === 'string') return { bytes: Buffer.from(spec, 'utf8'), base64: false };
  if ('base64' in spec) return { bytes: Buffer.from(spec.base64, 'base64'), base64: true };
  if ('json' in spec) return { bytes: Buffer.from(JSON.stringify(spec.json), 'utf8'), base64: false };
  return { bytes: Buffer.from(generateText(spec.generate), 'utf8'), base64: false };
}

/** The text a generator spec describes. */
export function generateText(spec: BodyGenerator): string {
  let fill = '';
  if (spec.repeat !== undefined) fill = spec.repeat.repeat(spec.times ?? 1);
  else if (spec.nest !== undefined) fill = spec.nest[0].repeat(spec.depth ?? 1) + (spec.inner ?? '') + spec.nest[1].repeat(spec.depth ?? 1);
  const template = spec.template ?? '@@';
  const at = template.indexOf('@@');
  return at < 0 ? template : template.slice(0, at) + fill + template.slice(at + 2);
}

/** Every HTTP case, sorted by name. */
export function loadHttpCases(): HttpCase[] {
  const dir = join(CORPUS_DIR, 'http');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const fixture = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Omit<HttpCase, 'name'>;
      return { name: basename(file, '.json'), ...fixture };
    });
}

/** How a generated input file is built (a 10 MB line, gzip, binary garbage are never committed). */
export type FileGenerator =
  /** `lines` joined by `\n` (each a JSON value serialised, or a string taken as it is), a final newline unless `finalNewline: false`. */
  | { kind: 'lines'; lines: unknown[]; finalNewline?: boolean; lineEnd?: string; bom?: boolean }
  /** The good lines of `lines`, with a chat line of exactly `bytes` bytes (its prompt all `x`) at `at` (1-based). */
  | { kind: 'long_line'; lines: unknown[]; at: number; bytes: number; customId?: string }
  /** `bytes` pseudo-random bytes (seeded, so every run is the same) at `at`, between the good `lines`. */
  | { kind: 'binary_garbage'; lines: unknown[]; at: number; bytes: number; seed: number }
  /** `lines` as a file, gzip-compressed. */
  | { kind: 'gzip'; lines: unknown[] };

/** What a JSONL case must end in. */
export interface JsonlExpectation {
  /** The job's final status. */
  status: 'completed' | 'failed';
  /** `request_counts` of the job. */
  counts?: { total: number; completed: number; failed: number };
  /** The job's failure, when it fails as a whole. */
  failure?: { code: string; line?: number; messageIncludes?: string | string[] };
  /** `custom_id`s of the results file, in order. */
  results?: string[];
  /** The errors file, in order: the line each names, its code, the custom_id, and what its message says. */
  errors?: Array<{ line: number; code: string; customId?: string; messageIncludes?: string | string[] }>;
}

/** One JSONL case: `test/corpus/jsonl/<name>.expect.json`, with `<name>.jsonl` beside it or a generator. */
export interface JsonlCase {
  name: string;
  description: string;
  /** Where the file is dropped (its name decides gzip refusal by extension); default `inbox/<tenant>/<name>.jsonl`. */
  key?: string;
  /** Object metadata (`model` for the Bedrock format). */
  metadata?: Record<string, string>;
  contentType?: string;
  generate?: FileGenerator;
  /** Limits over the defaults, to cross them cheaply (the 10 MB line case keeps the real 1 MiB line limit). */
  limits?: Partial<{ maxLinesPerJob: number; maxLineBytes: number; maxFileBytes: number; chunkMaxLines: number; chunkMaxBytes: number }>;
  expect: JsonlExpectation;
  /** Also dropped into the running local platform's bucket. */
  local?: boolean;
}

/** Every JSONL case, sorted by name. */
export function loadJsonlCases(): JsonlCase[] {
  const dir = join(CORPUS_DIR, 'jsonl');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.expect.json'))
    .sort()
    .map((file) => {
      const fixture = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Omit<JsonlCase, 'name'>;
      return { name: basename(file, '.expect.json'), ...fixture };
    });
}

/** The bytes of a JSONL case's input: its committed `.jsonl` file, or what its generator builds. */
export function jsonlInput(testCase: JsonlCase): Buffer {
  const committed = join(CORPUS_DIR, 'jsonl', `${testCase.name}.jsonl`);
  if (existsSync(committed)) {
    if (testCase.generate) throw new Error(`${testCase.name}: both a .jsonl file and a generator`);
    return readFileSync(committed);
  }
  if (!testCase.generate) throw new Error(`${testCase.name}: no ${testCase.name}.jsonl and no generator`);
  return generateFile(testCase.generate);
}

const lineText = (line: unknown) => (typeof line === 'string' ? line : JSON.stringify(line));

/** Builds a generated input file. */
export function generateFile(spec: FileGenerator): Buffer {
  switch (spec.kind) {
    case 'lines': {
      const end = spec.lineEnd ?? '\n';
      const text = spec.lines.map(lineText).join(end) + (spec.finalNewline === false ? '' : end);
      return Buffer.concat([spec.bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text, 'utf8')]);
    }
    case 'long_line': {
      const frame = JSON.stringify({
        custom_id: spec.customId ?? 'long',
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'gpt-oss-20b', messages: [{ role: 'user', content: '@@' }] },
      });
      const long = frame.replace('@@', 'x'.repeat(spec.bytes - Buffer.byteLength(frame) + 2));
      return linesWith(spec.lines, spec.at, Buffer.from(long, 'utf8'));
    }
    case 'binary_garbage':
      return linesWith(spec.lines, spec.at, seededBytes(spec.bytes, spec.seed));
    case 'gzip':
      return gzipSync(Buffer.from(spec.lines.map(lineText).join('\n') + '\n', 'utf8'));
  }
}

/** `lines` with `inserted` as line `at` (1-based), newline-terminated. */
function linesWith(lines: unknown[], at: number, inserted: Buffer): Buffer {
  const parts = lines.map((line) => Buffer.from(`${lineText(line)}\n`, 'utf8'));
  parts.splice(at - 1, 0, Buffer.concat([inserted, Buffer.from('\n')]));
  return Buffer.concat(parts);
}

/** Deterministic garbage without a newline in it (so it is exactly one line) that is not UTF-8. */
function seededBytes(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i += 1) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    const byte = state >>> 24;
    bytes[i] = byte === 0x0a ? 0xff : byte;
  }
  // A lone continuation byte first, so the line is never valid UTF-8 whatever the seed.
  bytes[0] = 0x80;
  return bytes;
}

/** What happens to a queue message. */
export interface QueueExpectation {
  /** `false`: it names nowhere an answer may go, so it is never answered and goes back to the queue (and on to the DLQ). */
  answered: boolean;
  /** The answer's `error.code` (`null`: answered with a result), or why it cannot be answered. */
  code: string | null;
  /** Where the answer goes: the `reply_to` queue, or the results queue. */
  to?: 'reply' | 'results';
  customId?: string;
  messageIncludes?: string | string[];
}

/** One queue-message case: `test/corpus/queue/<name>.json`. `$REPLY` in the message is an allowed reply queue's URL. */
export interface QueueCase {
  name: string;
  description: string;
  message: BodySpec;
  /** How many message attributes it carries. */
  attributes?: number;
  expect: QueueExpectation;
}

/** Every queue-message case, sorted by name. */
export function loadQueueCases(): QueueCase[] {
  const dir = join(CORPUS_DIR, 'queue');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const fixture = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Omit<QueueCase, 'name'>;
      return { name: basename(file, '.json'), ...fixture };
    });
}

/** The "Errors" section of the README, where every code a user can get must be listed. */
export function readmeErrorsSection(): string {
  const readme = readFileSync(join(CORPUS_DIR, '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf('\n### Errors\n');
  if (start < 0) throw new Error('README.md has no "### Errors" section');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** A string list of what a message must include. */
export function includes(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
