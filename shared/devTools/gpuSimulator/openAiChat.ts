import * as z from 'zod';
import { planChat, reasoningTokensFor, type ChatPiece, type ChatPlan, type PlanFinish, type ToolChoice } from './chatPlan';
import { SimulatorError, parseBody } from './errors';
import { countTokens, promptTokensOf, responseId, type PlainMessage } from './outputs';
import type { Face } from './SimulatorConfig';
import type { HttpReply, RouteContext, StreamReply } from './types';

/**
 * OpenAI chat completions as vLLM serves them: plain answers, tools, structured output,
 * reasoning (`reasoning_content`, gpt-oss models), logprobs, and `stream: true` as
 * server-sent `chat.completion.chunk` events. Sampling knobs are accepted and ignored:
 * outputs are deterministic whatever they say.
 */

const TextPart = z.object({ type: z.string(), text: z.string().optional() });
const ToolCall = z.object({
  id: z.string(),
  type: z.literal('function').optional(),
  function: z.object({ name: z.string(), arguments: z.string() }),
});
const ChatMessage = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(TextPart), z.null()]).optional(),
  name: z.string().optional(),
  tool_calls: z.array(ToolCall).nullish(),
  tool_call_id: z.string().optional(),
});
const Stop = z.union([z.string(), z.array(z.string()).max(4)]).nullish();
const JsonObject = z.record(z.string(), z.unknown());
const Tool = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().min(1).max(64),
    description: z.string().optional(),
    parameters: JsonObject.optional(),
    strict: z.boolean().nullish(),
  }),
});
const ToolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) }),
]);
const ResponseFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string(),
      description: z.string().optional(),
      schema: JsonObject.optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

/** An OpenAI chat completion request (unknown fields are ignored, as vLLM does). */
export const ChatRequestSchema = z.object({
  model: z.string().min(1),
  messages: z.array(ChatMessage).min(1),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  stop: Stop,
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish(), continuous_usage_stats: z.boolean().nullish() }).nullish(),
  tools: z.array(Tool).nullish(),
  tool_choice: ToolChoiceSchema.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  response_format: ResponseFormat.nullish(),
  reasoning_effort: z.enum(['low', 'medium', 'high']).nullish(),
  // Accepted and ignored: the simulator's outputs never depend on sampling.
  seed: z.number().int().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  logit_bias: z.record(z.string(), z.number()).nullish(),
  user: z.string().nullish(),
  n: z.literal(1, { message: 'the GPU simulator answers n: 1 only' }).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
});
/** An OpenAI chat completion request. */
export type ChatRequest = z.infer<typeof ChatRequestSchema>;

/** The face-neutral request body {@link completeChat} takes (the Bedrock face drops `model`). */
export const ChatBodySchema = ChatRequestSchema.omit({ model: true });

const FINISH_REASON: Record<PlanFinish, string> = { natural: 'stop', stop_sequence: 'stop', length: 'length', tool_calls: 'tool_calls' };

function textOf(content: ChatRequest['messages'][number]['content']): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => part.text ?? '').join('');
}

function plainOf(message: ChatRequest['messages'][number]): PlainMessage {
  const text = textOf(message.content);
  if (message.tool_calls?.length)
    return { role: message.role, text: text + JSON.stringify(message.tool_calls.map((call) => call.function)) };
  return { role: message.role, text };
}

function stopList(stop: string | string[] | null | undefined): string[] {
  if (stop === null || stop === undefined) return [];
  return typeof stop === 'string' ? [stop] : stop;
}

/** Whether a model reasons before it answers (gpt-oss does). */
export function reasons(model: string): boolean {
  return model.includes('gpt-oss');
}

function toolChoiceOf(request: Omit<ChatRequest, 'model'>): ToolChoice {
  const choice = request.tool_choice;
  if (choice && choice !== 'none' && !request.tools?.length) {
    throw new SimulatorError('validation', 'tool_choice needs tools', { param: 'tool_choice', code: 'invalid_value' });
  }
  if (!choice) return (request.tools?.length ?? 0) > 0 ? 'auto' : 'none';
  return typeof choice === 'string' ? choice : { name: choice.function.name };
}

/** A plausible `logprobs.content` entry for one token. */
function logprobOf(token: string, position: number, top: number): unknown {
  const bytes = (text: string): number[] => [...Buffer.from(text, 'utf8')];
  const logprob = -((position * 7919) % 97) / 100 - 0.01;
  const alternatives = [token, ' the', ' a', ' and', ' of'].slice(0, top);
  return {
    token,
    logprob,
    bytes: bytes(token),
    top_logprobs: alternatives.map((alternative, rank) => ({
      token: alternative,
      logprob: rank === 0 ? logprob : logprob - rank,
      bytes: bytes(alternative),
    })),
  };
}

function usageOf(promptTokens: number, plan: ChatPlan, model: string): Record<string, unknown> {
  const usage: Record<string, unknown> = {
    prompt_tokens: promptTokens,
    completion_tokens: plan.completionTokens,
    total_tokens: promptTokens + plan.completionTokens,
  };
  if (reasons(model)) usage.completion_tokens_details = { reasoning_tokens: plan.reasoningTokens };
  return usage;
}

function toolCallsOf(plan: ChatPlan): unknown[] {
  return plan.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
}

/** The delta of one streamed token. */
function deltaOf(piece: ChatPiece, plan: ChatPlan): Record<string, unknown> {
  if (piece.kind === 'reasoning') return { reasoning_content: piece.text };
  if (piece.kind === 'content') return { content: piece.text };
  const call = plan.toolCalls[piece.index];
  if (piece.start && call) {
    return { tool_calls: [{ index: piece.index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] };
  }
  return { tool_calls: [{ index: piece.index, function: { arguments: piece.arguments } }] };
}

/** The `data: {"error": ...}` payload that breaks a stream, as `midStreamErrorKind` says. */
export function midStreamError(context: RouteContext): unknown {
  const throttled = context.sim.config.openai.midStreamErrorKind === 'throttled';
  return {
    error: {
      message: `injected mid-stream error (midStreamErrorRate)${throttled ? ': too many requests' : ''}`,
      type: throttled ? 'rate_limit_error' : 'server_error',
      param: null,
      code: throttled ? 'rate_limit_exceeded' : 'mid_stream_error',
    },
  };
}

function sse(data: unknown): string {
  return `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}

/**
 * Answers a chat request with an OpenAI `chat.completion` body, or a stream of
 * `chat.completion.chunk` events. Shared with the Bedrock face, whose InvokeModel takes
 * the same body for gpt-oss models.
 */
export async function completeChat(
  context: RouteContext,
  request: Omit<ChatRequest, 'model'>,
  model: string,
  where: { face: Face; route: string },
): Promise<HttpReply | StreamReply> {
  const messages = request.messages.map(plainOf);
  const lastUser = [...request.messages].reverse().find((message) => message.role === 'user');
  const tools = (request.tools ?? []).map((tool) => ({
    name: tool.function.name,
    description: tool.function.description,
    parameters: tool.function.parameters ?? { type: 'object', properties: {} },
  }));
  const format = request.response_format;
  const effort = reasons(model) ? (request.reasoning_effort ?? 'medium') : null;
  const plan = planChat({
    model,
    prompt: JSON.stringify(messages.map((message) => [message.role, message.text])),
    lastUserText: lastUser ? textOf(lastUser.content) : '',
    afterToolResult: request.messages[request.messages.length - 1]?.role === 'tool',
    tools,
    toolChoice: toolChoiceOf(request),
    parallelToolCalls: request.parallel_tool_calls ?? true,
    responseFormat:
      format?.type === 'json_object'
        ? { kind: 'json_object' }
        : format?.type === 'json_schema'
          ? { kind: 'json_schema', schema: format.json_schema.schema ?? { type: 'object' } }
          : { kind: 'text' },
    reasoningEffort: effort,
    // An explicit cap covers reasoning and answer together, as on vLLM; the simulator's
    // default cap (a stand-in for "the rest of the context") covers the answer alone.
    maxTokens: request.max_completion_tokens ?? request.max_tokens ?? context.sim.config.defaultMaxTokens + reasoningTokensFor(effort),
    stopSequences: stopList(request.stop),
  });
  const promptTokens = promptTokensOf(messages) + (request.tools?.length ? countTokens(JSON.stringify(request.tools)) : 0);
  const stream = request.stream === true;
  const generation = await context.sim.begin(
    { ...where, items: 1, promptTokens, completionTokens: plan.completionTokens, texts: messages.map((message) => message.text) },
    { signal: context.signal, stream },
  );
  const id = responseId('chatcmpl', model, plan.content ?? plan.reasoning);
  const created = Math.floor(Date.now() / 1000);
  const top = request.logprobs ? (request.top_logprobs ?? 0) : 0;

  if (!stream) {
    const outcome = await generation.run();
    if (outcome === 'cancelled') throw new SimulatorError('cancelled', 'the client went away');
    const message: Record<string, unknown> = { role: 'assistant', content: plan.content };
    if (reasons(model)) message.reasoning_content = plan.reasoning;
    if (plan.toolCalls.length > 0) message.tool_calls = toolCallsOf(plan);
    const contentPieces = plan.pieces.filter((piece) => piece.kind === 'content');
    const logprobs = request.logprobs ? { content: contentPieces.map((piece, position) => logprobOf(piece.text, position, top)) } : null;
    return {
      status: 200,
      body: {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message, logprobs, finish_reason: FINISH_REASON[plan.finish] }],
        usage: usageOf(promptTokens, plan, model),
      },
    };
  }

  const includeUsage = request.stream_options?.include_usage === true;
  const chunk = (choices: unknown[], usage?: unknown): unknown => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices,
    ...(includeUsage ? { usage: usage ?? null } : {}),
  });
  return {
    status: 200,
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' },
    async stream(write) {
      write(sse(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }])));
      let contentPosition = 0;
      const outcome = await generation.run((from, to) => {
        let text = '';
        for (const piece of plan.pieces.slice(from, to)) {
          const logprobs =
            request.logprobs && piece.kind === 'content' ? { content: [logprobOf(piece.text, contentPosition++, top)] } : null;
          text += sse(chunk([{ index: 0, delta: deltaOf(piece, plan), logprobs, finish_reason: null }]));
        }
        write(text);
      });
      if (outcome === 'cancelled') return;
      if (outcome === 'broken') {
        write(sse(midStreamError(context)));
        return;
      }
      write(sse(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: FINISH_REASON[plan.finish] }])));
      if (includeUsage) write(sse(chunk([], usageOf(promptTokens, plan, model))));
      write(sse('[DONE]'));
    },
  };
}

/** `POST /v1/chat/completions`. */
export async function chatCompletions(context: RouteContext, checkModel: (model: string) => void): Promise<HttpReply | StreamReply> {
  const request = parseBody(ChatRequestSchema, context.body);
  checkModel(request.model);
  return completeChat(context, request, request.model, { face: 'openai', route: 'chat.completions' });
}
