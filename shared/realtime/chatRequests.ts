import type { BatchItem } from '../batchingCore/types';
import { compileResponseSchema } from '../domain/structuredOutput';
import { estimateTokens, TOKENS_PER_MESSAGE } from '../domain/tokens';
import { messageText, type ChatCompletionRequest } from '../domain/chat';
import { servesRequirement, type BackendRequirement, type ModelEntry } from '../domain/catalogue';
import type { ChatCall, InferenceInput } from '../domain/inference';
import { ContextLengthExceededError, InvalidRequestError } from '../errors/requestErrors';
import { routeOf } from '../routing/ModelRouter';

/** How the items of one request are named in a core run. */
export interface ItemNaming {
  /**
   * Prepended to the item's index. Ids must be unique within one `core.run`, so a caller
   * running several requests together gives each its own prefix (the worker uses the
   * line number); a lone real-time request needs none.
   */
  idPrefix?: string;
}

/** A chat request checked against its model: what the provider gets, where it may go, what it may cost. */
export interface ChatPlan {
  call: Omit<ChatCall, 'model'>;
  /** The core route: the model, plus what the serving backend must support. */
  route: string;
  /** Prompt plus output budget, for the batching core's token budgets. */
  estimatedTokens: number;
}

/** Request fields that only some backends serve, with the requirement each makes. */
const FEATURE_FIELDS: {
  field: keyof ChatCompletionRequest;
  requirement: BackendRequirement;
  uses: (r: ChatCompletionRequest) => boolean;
}[] = [
  { field: 'seed', requirement: 'seed', uses: (r) => r.seed != null },
  // 0 is the neutral value: leaving it out changes nothing, so it needs no special backend.
  { field: 'presence_penalty', requirement: 'penalties', uses: (r) => r.presence_penalty != null && r.presence_penalty !== 0 },
  { field: 'frequency_penalty', requirement: 'penalties', uses: (r) => r.frequency_penalty != null && r.frequency_penalty !== 0 },
  { field: 'logprobs', requirement: 'logprobs', uses: (r) => r.logprobs === true },
  { field: 'logit_bias', requirement: 'logit_bias', uses: (r) => r.logit_bias != null && Object.keys(r.logit_bias).length > 0 },
];

/**
 * The one home of the rules a chat request must meet against its model, shared by the
 * real-time route (streamed or not), batch lines and queue messages: output tokens
 * within the model's ceiling (the default budget is the ceiling, or what the context
 * window leaves), prompt plus output within the context window, `reasoning_effort`
 * only on reasoning models, a schema that compiles, and fields only some backends
 * serve routed to those (refused up front if none of the model's backends can).
 * Throws the 400 naming the field otherwise.
 */
export function planChat(request: ChatCompletionRequest, model: ModelEntry): ChatPlan {
  checkToolCallArguments(request);
  const promptTokens = promptTokensOf(request);
  const maxTokens = outputBudget(request, model, promptTokens);
  if (request.reasoning_effort != null && !model.reasoning) {
    throw new InvalidRequestError(`'reasoning_effort' is not supported by '${model.id}', which does not reason.`, {
      param: 'reasoning_effort',
      code: 'unsupported_parameter',
    });
  }
  const format = request.response_format;
  if (format?.type === 'json_schema' && format.json_schema.schema !== undefined) {
    try {
      compileResponseSchema(format.json_schema.schema);
    } catch (cause) {
      throw new InvalidRequestError(`Invalid value for 'response_format.json_schema.schema': ${(cause as Error).message}`, {
        param: 'response_format.json_schema.schema',
        code: 'invalid_value',
        cause,
      });
    }
  }
  const requirements = new Set<BackendRequirement>();
  for (const { field, requirement, uses } of FEATURE_FIELDS) {
    if (!uses(request)) continue;
    requirements.add(requirement);
    if (!model.backends.some((ref) => [...requirements].every((r) => servesRequirement(ref, r)))) {
      throw new InvalidRequestError(
        `'${field}' is not supported for '${model.id}' together with the rest of this request: none of its backends serves it.`,
        { param: field, code: 'unsupported_parameter' },
      );
    }
  }
  return {
    route: routeOf('chat', model.id, [...requirements]),
    estimatedTokens: promptTokens + maxTokens,
    call: {
      messages: request.messages,
      maxTokens,
      temperature: request.temperature ?? undefined,
      topP: request.top_p ?? undefined,
      stop: request.stop == null ? undefined : Array.isArray(request.stop) ? request.stop : [request.stop],
      seed: request.seed ?? undefined,
      presencePenalty: request.presence_penalty ?? undefined,
      frequencyPenalty: request.frequency_penalty ?? undefined,
      logitBias: request.logit_bias ?? undefined,
      logprobs: request.logprobs ?? undefined,
      topLogprobs: request.top_logprobs ?? undefined,
      tools: request.tools,
      toolChoice: request.tool_choice,
      parallelToolCalls: request.parallel_tool_calls,
      responseFormat: request.response_format?.type === 'text' ? undefined : request.response_format,
      reasoningEffort: request.reasoning_effort ?? undefined,
      user: request.safety_identifier ?? request.user,
      metadata: request.metadata ?? undefined,
    },
  };
}

/**
 * The one batching-core item a non-streamed chat request is, for the real-time route,
 * batch lines and queue messages. Streaming exists only on the real-time route.
 */
export function chatItems(request: ChatCompletionRequest, model: ModelEntry, naming: ItemNaming = {}): BatchItem<InferenceInput>[] {
  if (request.stream) {
    throw new InvalidRequestError("Streaming is only available on the real-time route: leave out 'stream' or set it to false.", {
      param: 'stream',
      code: 'unsupported_parameter',
    });
  }
  const plan = planChat(request, model);
  return [
    { id: `${naming.idPrefix ?? ''}0`, route: plan.route, estimatedTokens: plan.estimatedTokens, input: { kind: 'chat', call: plan.call } },
  ];
}

/** The estimated prompt: messages, tool calls and tool definitions. */
export function promptTokensOf(request: Pick<ChatCompletionRequest, 'messages' | 'tools'>): number {
  let tokens = request.tools === undefined ? 0 : estimateTokens(JSON.stringify(request.tools));
  for (const message of request.messages) {
    tokens += estimateTokens(messageText(message)) + TOKENS_PER_MESSAGE;
    if (message.role === 'assistant' && message.tool_calls) tokens += estimateTokens(JSON.stringify(message.tool_calls));
  }
  return tokens;
}

/**
 * Output tokens a request may generate, reasoning included: what it asks (within the
 * model's ceiling), or else the ceiling, shortened to what the context window leaves.
 */
export function outputBudget(
  request: Pick<ChatCompletionRequest, 'max_tokens' | 'max_completion_tokens'>,
  model: ModelEntry,
  promptTokens: number,
): number {
  const asked = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  const param = request.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens';
  if (asked !== undefined && asked > model.maxOutputTokens) {
    throw new InvalidRequestError(`'${param}' is ${asked}, above the limit of ${model.maxOutputTokens} for '${model.id}'.`, {
      param,
      code: 'invalid_value',
    });
  }
  const room = model.contextTokens - promptTokens;
  if (asked !== undefined ? promptTokens + asked > model.contextTokens : room < 1) {
    throw new ContextLengthExceededError(model.id, model.contextTokens, promptTokens + (asked ?? 1), 'messages');
  }
  return asked ?? Math.min(model.maxOutputTokens, room);
}

/**
 * Earlier tool calls in the history carry their arguments as JSON text; every backend
 * needs them as a JSON object (Bedrock's `toolUse.input` is one). One that is not is the
 * caller's mistake, refused here with a 400 naming it, before any backend is called.
 */
function checkToolCallArguments(request: Pick<ChatCompletionRequest, 'messages'>): void {
  for (const [m, message] of request.messages.entries()) {
    if (message.role !== 'assistant' || !message.tool_calls) continue;
    for (const [t, call] of message.tool_calls.entries()) {
      const text = call.function.arguments.trim();
      if (text === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        value = undefined;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        const param = `messages[${m}].tool_calls[${t}].function.arguments`;
        throw new InvalidRequestError(`Invalid value for '${param}': the arguments of a tool call must be a JSON object.`, {
          param,
          code: 'invalid_value',
        });
      }
    }
  }
}
