import { PlatformError } from '../../errors/PlatformError';

/**
 * Errors raised on the chat path (the chat schema, the use case, the backends) name
 * chat-completions fields: `max_completion_tokens`, `messages[2].content`,
 * `response_format.json_schema.schema`. A Responses caller sent other names, so a handler
 * passes such errors through {@link asResponsesError} to name the field it sent.
 */

/** Chat field names (whole words in messages) and the Responses field each came from. */
const RENAMED: ReadonlyArray<[RegExp, string]> = [
  [/\bmax_completion_tokens\b/g, 'max_output_tokens'],
  [/\bmax_tokens\b/g, 'max_output_tokens'],
  [/\breasoning_effort\b/g, 'reasoning.effort'],
];

/**
 * The Responses field a chat-completions field was translated from. Messages map to
 * `input` as a whole (instructions and merged function calls shift positions, so an
 * index would mislead); fields with no Responses counterpart keep their name.
 */
export function responsesParam(chatParam: string): string {
  if (chatParam === 'messages' || chatParam.startsWith('messages[') || chatParam.startsWith('messages.')) return 'input';
  if (chatParam === 'max_completion_tokens' || chatParam === 'max_tokens') return 'max_output_tokens';
  if (chatParam === 'reasoning_effort') return 'reasoning.effort';
  if (chatParam.startsWith('stream_options')) return 'stream';
  const format = /^response_format(?:\.json_schema)?(.*)$/.exec(chatParam);
  if (format) return `text.format${format[1]}`;
  const tool = /^(tools\[\d+\])\.function(.*)$/.exec(chatParam);
  if (tool) return `${tool[1]}${tool[2]}`;
  if (chatParam === 'tool_choice.function.name') return 'tool_choice.name';
  return chatParam;
}

/**
 * `error` with its `param` (and the field names in its message) renamed to the
 * Responses fields, when it is a PlatformError about a chat field; anything else is
 * returned as it is. The status, type and code are kept, so the caller gets the same
 * HTTP answer as on the chat route, in the Responses vocabulary.
 */
export function asResponsesError(error: unknown): unknown {
  if (!(error instanceof PlatformError) || error.param === null) return error;
  const param = responsesParam(error.param);
  if (param === error.param && !RENAMED.some(([pattern]) => new RegExp(pattern).test(error.message))) return error;
  let message = error.message.split(`'${error.param}'`).join(`'${param}'`);
  for (const [pattern, name] of RENAMED) message = message.replace(pattern, name);
  const renamed = new PlatformError(message, {
    code: error.code,
    status: error.status,
    type: error.type,
    retryable: error.retryable,
    param,
    cause: error,
  });
  renamed.name = error.name;
  return renamed;
}
