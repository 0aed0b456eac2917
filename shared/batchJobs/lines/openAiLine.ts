import type * as z from 'zod';
import { ChatCompletionRequest } from '../../domain/chat';
import type { ModelEntry } from '../../domain/catalogue';
import { EmbeddingsRequest } from '../../domain/embeddings';
import { ModelNotFoundError } from '../../errors/requestErrors';
import { CHAT_URL, EMBEDDINGS_URL } from './constants';
import { describeJson, isJsonObject, issueError, lineError, quoteJson, readLineId, unknownField } from './lineErrors';
import { checkChat, checkEmbeddings, type FieldNamer, type RequestCheck } from './requestChecks';
import type { LineContext, LineError, ModelKind, ParsedLine } from './types';

const FIELDS = ['custom_id', 'method', 'url', 'body'] as const;
const URLS: readonly string[] = [CHAT_URL, EMBEDDINGS_URL];

/**
 * Parses a line of the OpenAI batch format:
 * `{"custom_id", "method": "POST", "url": "/v1/chat/completions" | "/v1/embeddings", "body"}`.
 * Strict like the HTTP routes: an unknown field anywhere is refused by name. The body's
 * model may differ from line to line, but must be of the url's kind.
 */
export function parseOpenAiLine(record: Record<string, unknown>, lineNumber: number, context: LineContext): ParsedLine | LineError {
  const id = readLineId(lineNumber, record, 'custom_id');
  if ('ok' in id) return id;
  const customId = id.id;

  const unknown = unknownField(lineNumber, record, FIELDS, customId);
  if (unknown) return unknown;

  if (record.method !== 'POST') {
    const message =
      record.method === undefined
        ? `Missing required parameter: 'method'; it must be "POST".`
        : `Invalid value for 'method': ${quoteJson(record.method)}; only "POST" is supported.`;
    return lineError(lineNumber, 'invalid_method', message, customId);
  }

  const url = record.url;
  if (typeof url !== 'string' || !URLS.includes(url)) {
    const message =
      url === undefined
        ? `Missing required parameter: 'url'; expected "${CHAT_URL}" or "${EMBEDDINGS_URL}".`
        : `Invalid value for 'url': ${quoteJson(url)}; expected "${CHAT_URL}" or "${EMBEDDINGS_URL}".`;
    return lineError(lineNumber, 'invalid_url', message, customId);
  }
  if (context.endpoint !== undefined && url !== context.endpoint) {
    return lineError(
      lineNumber,
      'invalid_url',
      `Invalid value for 'url': "${url}", but this batch was created for "${context.endpoint}".`,
      customId,
    );
  }

  const body = record.body;
  if (!isJsonObject(body)) {
    const message =
      body === undefined
        ? `Missing required parameter: 'body'.`
        : `Invalid value for 'body': expected a JSON object, got ${describeJson(body)}.`;
    return lineError(lineNumber, 'invalid_body', message, customId);
  }
  const read =
    url === CHAT_URL ? readBody(body, CHAT, lineNumber, context, customId) : readBody(body, EMBEDDINGS, lineNumber, context, customId);
  if (!read.ok) return read;
  return { ...read, lineNumber, customId, format: 'openai', echo: { modelInput: body, shape: 'openai' } };
}

/** How the body of each url is read: its schema, the kind of model it names, its request rules. */
interface BodyRules<Url extends string, T extends { model: string }> {
  url: Url;
  schema: z.ZodType<T>;
  kind: ModelKind;
  check: (request: T, model: ModelEntry, field: FieldNamer) => RequestCheck;
}
const CHAT: BodyRules<typeof CHAT_URL, ChatCompletionRequest> = {
  url: CHAT_URL,
  schema: ChatCompletionRequest,
  kind: 'chat',
  check: checkChat,
};
const EMBEDDINGS: BodyRules<typeof EMBEDDINGS_URL, EmbeddingsRequest> = {
  url: EMBEDDINGS_URL,
  schema: EmbeddingsRequest,
  kind: 'embeddings',
  check: checkEmbeddings,
};

/** A line's body read by its url's rules: the request with the model's public id, and its token estimate. */
function readBody<Url extends string, T extends { model: string }>(
  body: Record<string, unknown>,
  rules: BodyRules<Url, T>,
  lineNumber: number,
  context: LineContext,
  customId: string,
): { ok: true; url: Url; model: string; estimatedTokens: number; body: T } | LineError {
  const parsed = rules.schema.safeParse(body);
  if (!parsed.success) return issueError(lineNumber, body, parsed.error, ['body'], customId);
  const model = resolve(parsed.data.model, rules.kind, lineNumber, context, customId);
  if ('ok' in model) return model;
  const check = rules.check(parsed.data, model, (name) => `body.${name}`);
  if (!check.ok) return lineError(lineNumber, check.code, check.message, customId);
  return { ok: true, url: rules.url, model: model.id, estimatedTokens: check.estimatedTokens, body: { ...parsed.data, model: model.id } };
}

/** The body's model, of the url's kind, or a `model_not_found` naming `body.model`. */
function resolve(id: string, kind: ModelEntry['kind'], lineNumber: number, context: LineContext, customId: string): ModelEntry | LineError {
  try {
    return context.resolveModel(id, kind);
  } catch (error) {
    if (!(error instanceof ModelNotFoundError)) throw error;
    return lineError(lineNumber, 'model_not_found', `Invalid value for 'body.model': ${error.message}`, customId);
  }
}
