import type { ChatCompletionRequest } from '../../domain/chat';
import type { ModelEntry } from '../../domain/catalogue';
import type { EmbeddingsRequest } from '../../domain/embeddings';
import { PlatformError } from '../../errors/PlatformError';
import { chatItems } from '../../realtime/chatRequests';
import { embeddingItems } from '../../realtime/embeddingsRequests';
import type { LineErrorCode } from './constants';

/** Names a request field as the line spells it: `max_tokens` → `body.max_tokens` or `modelInput.inferenceConfig.maxTokens`. */
export type FieldNamer = (field: string) => string;

/** A request that fits its model, with what it may cost, or why it does not. */
export type RequestCheck = { ok: true; estimatedTokens: number } | { ok: false; code: LineErrorCode; message: string };

/**
 * Checks a chat line's request with the very rules the real-time route applies
 * (`chatItems`), so that a line that would be refused there is refused by the worker's
 * parse, before a call is spent on it; the field is named as the line spells it.
 */
export function checkChat(request: ChatCompletionRequest, model: ModelEntry, field: FieldNamer): RequestCheck {
  return check(() => chatItems(request, model), field);
}

/** Checks an embeddings line's request with the real-time route's rules (`embeddingItems`). */
export function checkEmbeddings(request: EmbeddingsRequest, model: ModelEntry, field: FieldNamer): RequestCheck {
  return check(() => embeddingItems(request, model), field);
}

function check(plan: () => { estimatedTokens: number }[], field: FieldNamer): RequestCheck {
  try {
    return { ok: true, estimatedTokens: plan().reduce((sum, item) => sum + item.estimatedTokens, 0) };
  } catch (error) {
    if (!(error instanceof PlatformError)) throw error;
    const code: LineErrorCode = error.code === 'unsupported_parameter' ? 'unsupported_parameter' : 'invalid_body';
    return { ok: false, code, message: error.param ? renameField(error.message, error.param, field) : error.message };
  }
}

/** The message with the field named as the line spells it (`'max_tokens'` → `'body.max_tokens'`). */
function renameField(message: string, param: string, field: FieldNamer): string {
  const index = /\[\d+\]$/.exec(param)?.[0] ?? '';
  const named = `'${field(param.slice(0, param.length - index.length))}${index}'`;
  return message.includes(`'${param}'`) ? message.replaceAll(`'${param}'`, named) : `Invalid value for ${named}: ${message}`;
}
