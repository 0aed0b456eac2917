import type { ModelEntry } from '../../domain/catalogue';
import { ModelNotFoundError } from '../../errors/requestErrors';
import type { BatchEndpoint } from '../job/Job';
import { resolveBedrockModel } from './bedrockLine';
import { assignedRecordId } from './bedrockOutput';
import { CHAT_URL, CUSTOM_ID_MAX_LENGTH, EMBEDDINGS_URL } from './constants';
import { isJsonObject } from './lineErrors';
import { parseLineRecord, readLineRecord, readLineRefusal } from './lineFormats';
import type { LineContext, LineError, ModelKind, ReadLine, ScreenedLine } from './types';

const OPENAI_FIELDS: readonly string[] = ['custom_id', 'method', 'url', 'body'];
const BEDROCK_FIELDS: readonly string[] = ['recordId', 'modelInput'];

/**
 * What ingest checks of a line: what a whole file is judged on (the OpenAI Batch API
 * validates these before it runs anything) and what planning needs. The line must be
 * a JSON object in the file's one format, with a usable id (`custom_id`, or a Bedrock
 * `recordId`), no unknown top-level field, `"method": "POST"`, a supported `url` (the
 * batch's endpoint, if it has one), a `body` object whose `model` is a catalogue model
 * of the url's kind (Bedrock: a `modelInput` object and the file's `x-amz-meta-model`).
 *
 * The request inside the body is not read: the worker parses every line in full anyway
 * ({@link parseBatchLine}) and turns a request it refuses into that line's error line,
 * with the code and message ingest would have given. A line refused here gets exactly
 * what {@link parseBatchLine} says of it, so a refusal reads the same wherever it is made.
 */
export function screenBatchLine(text: string, lineNumber: number, context: LineContext): ScreenedLine | LineError {
  const read = readLineRecord(text, lineNumber, context);
  if ('ok' in read) return read;
  const format = read.format ?? context.format;
  const screened =
    format === 'openai'
      ? screenOpenAi(read.record, lineNumber, context)
      : format === 'bedrock'
        ? screenBedrock(read.record, lineNumber, context)
        : undefined;
  if (screened) return screened;
  const parsed = parseLineRecord(read.record, read.format, lineNumber, context);
  // Unreachable while the screen is a subset of the parse; a line the parse accepts is screened as it says.
  if (parsed.ok) {
    const { customId, format: parsedFormat, url, model } = parsed;
    return { ok: true, lineNumber, customId, format: parsedFormat, url, model, request: parsed.body };
  }
  return parsed;
}

/** `parseReadLine` with {@link screenBatchLine} for a line of text: undefined for a blank line. */
export function screenReadLine(line: ReadLine, maxLineBytes: number, context: LineContext): ScreenedLine | LineError | undefined {
  if (line.tooLong || line.invalidUtf8) return readLineRefusal(line, maxLineBytes);
  if (line.blank) return undefined;
  return screenBatchLine(line.text, line.lineNumber, context);
}

function screenOpenAi(record: Record<string, unknown>, lineNumber: number, context: LineContext): ScreenedLine | undefined {
  const customId = record.custom_id;
  if (!isLineId(customId) || !onlyFields(record, OPENAI_FIELDS) || record.method !== 'POST') return undefined;
  const url = record.url;
  if (url !== CHAT_URL && url !== EMBEDDINGS_URL) return undefined;
  if (context.endpoint !== undefined && url !== context.endpoint) return undefined;
  const body = record.body;
  if (!isJsonObject(body) || typeof body.model !== 'string') return undefined;
  const model = cachedModel(context, body.model, url === CHAT_URL ? 'chat' : 'embeddings');
  if (!model) return undefined;
  return { ok: true, lineNumber, customId, format: 'openai', url, model: model.id, request: body };
}

function screenBedrock(record: Record<string, unknown>, lineNumber: number, context: LineContext): ScreenedLine | undefined {
  const customId = record.recordId === undefined ? assignedRecordId(lineNumber) : record.recordId;
  if (!isLineId(customId) || !onlyFields(record, BEDROCK_FIELDS) || !context.bedrockModel) return undefined;
  const model = cachedModel(context, context.bedrockModel);
  const input = record.modelInput;
  if (!model || !isJsonObject(input)) return undefined;
  const url: BatchEndpoint = model.kind === 'chat' ? CHAT_URL : EMBEDDINGS_URL;
  if (context.endpoint !== undefined && url !== context.endpoint) return undefined;
  return { ok: true, lineNumber, customId, format: 'bedrock', url, model: model.id, request: input };
}

function isLineId(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && value.length <= CUSTOM_ID_MAX_LENGTH;
}

function onlyFields(record: Record<string, unknown>, allowed: readonly string[]): boolean {
  // for...in, not Object.keys: no array per line (a parsed line's prototype is Object's, with nothing enumerable).
  for (const key in record) if (!allowed.includes(key)) return false;
  return true;
}

// The lines of a file name a handful of models: each is looked up once per scan (per context), by kind then id.
const models = new WeakMap<LineContext, Map<ModelKind | 'bedrock', Map<string, ModelEntry | undefined>>>();

/** The catalogue model `id` names (of `kind`; without one, as a Bedrock file's metadata names it), or undefined. */
function cachedModel(context: LineContext, id: string, kind?: ModelKind): ModelEntry | undefined {
  let byKind = models.get(context);
  if (!byKind) {
    byKind = new Map();
    models.set(context, byKind);
  }
  let known = byKind.get(kind ?? 'bedrock');
  if (!known) {
    known = new Map();
    byKind.set(kind ?? 'bedrock', known);
  }
  if (known.has(id)) return known.get(id);
  let model: ModelEntry | undefined;
  try {
    model = kind === undefined ? resolveBedrockModel(id, context) : context.resolveModel(id, kind);
  } catch (error) {
    if (!(error instanceof ModelNotFoundError)) throw error;
  }
  known.set(id, model);
  return model;
}
