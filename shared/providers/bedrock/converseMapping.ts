import type {
  ConverseCommandInput,
  ConverseCommandOutput,
  InferenceConfiguration,
  OutputConfig,
  ServiceTierType,
  ToolChoice as ConverseToolChoice,
  ToolConfiguration,
  ToolInputSchema,
} from '@aws-sdk/client-bedrock-runtime';
import type { FinishReason, ToolCall, ToolChoice, ToolDefinition } from '../../domain/chat';
import type { ChatCall, ChatResult, Usage } from '../../domain/inference';
import { estimateReasoningTokens } from '../../domain/tokens';
import { toConverseConversation } from './converseMessages';
import type { ServiceTier } from '../../domain/pricing';

/** Bedrock's wire value of a tier: Standard is `default`. */
export function toWireTier(tier: ServiceTier): ServiceTierType {
  return tier === 'standard' ? 'default' : tier;
}

/**
 * The tier a call was served in: what Bedrock's answer says (`serviceTier.type`), or the
 * one asked for when it says nothing. `reserved` capacity is priced by contract, not per
 * token; it is counted as Standard, the tier Bedrock overflows it to.
 */
export function servedTierOf(answered: string | undefined, asked: ServiceTier): ServiceTier {
  if (answered === 'flex' || answered === 'priority') return answered;
  if (answered === 'default' || answered === 'reserved') return 'standard';
  return asked;
}

/** The instruction that stands in for `response_format: json_object`, which Converse has no switch for. */
export const JSON_OBJECT_INSTRUCTION = 'Answer with a single JSON object and nothing else: no text, no code fence before or after it.';

/**
 * Builds a Converse (or ConverseStream) request from an OpenAI-style chat call, in the
 * on-demand service `tier` asked for (Standard sends no `serviceTier`).
 *
 * - messages: see {@link toConverseConversation}.
 * - `tools` become `toolConfig.tools[].toolSpec` (a tool without `parameters` takes an
 *   empty object schema; `strict: true` is carried, Bedrock enforces or refuses it).
 *   `tool_choice` auto → `{auto}`, required → `{any}`, a named function → `{tool}`.
 * - `tool_choice: none` has no Converse equivalent (a toolConfig without toolChoice
 *   means auto, so the model could still call). The request goes out without
 *   `toolConfig`, which is the only way to be sure no tool is called; since Converse
 *   rejects toolUse and toolResult blocks without a toolConfig, earlier tool calls and
 *   results in the history are written out as text. The same holds when the history
 *   has tool calls but the request no tools.
 * - `response_format`: `json_schema` → `outputConfig.textFormat` (Bedrock's native
 *   structured output, which constrains the text answer to the schema and combines with
 *   tools); `json_object` has no native switch and becomes a system instruction;
 *   `text` is the default and sends nothing.
 * - `reasoning_effort` → `additionalModelRequestFields.reasoning_effort`, where gpt-oss on
 *   Bedrock takes it.
 * - `user` and `metadata` → `requestMetadata` (the user under key `user`), Bedrock's
 *   tags for invocation logs; Bedrock's own limits on those apply.
 * - `parallel_tool_calls`, `seed`, penalties, `logit_bias` and `logprobs` have no
 *   Converse equivalent and are left out; routing sends calls that need the last four
 *   only to backends that serve them.
 */
export function toConverseInput(call: ChatCall, tier: ServiceTier = 'standard'): ConverseCommandInput {
  const tools = call.tools ?? [];
  const sendTools = tools.length > 0 && call.toolChoice !== 'none';
  const { system, messages } = toConverseConversation(call.messages, sendTools);
  if (call.responseFormat?.type === 'json_object') system.push({ text: JSON_OBJECT_INSTRUCTION });

  const inferenceConfig: InferenceConfiguration = {};
  if (call.maxTokens !== undefined) inferenceConfig.maxTokens = call.maxTokens;
  if (call.temperature !== undefined) inferenceConfig.temperature = call.temperature;
  if (call.topP !== undefined) inferenceConfig.topP = call.topP;
  if (call.stop !== undefined && call.stop.length > 0) inferenceConfig.stopSequences = call.stop;

  const requestMetadata: Record<string, string> = { ...call.metadata, ...(call.user === undefined ? {} : { user: call.user }) };
  const outputConfig = toOutputConfig(call);

  return {
    modelId: call.model,
    messages,
    ...(system.length > 0 ? { system } : {}),
    ...(Object.keys(inferenceConfig).length > 0 ? { inferenceConfig } : {}),
    ...(sendTools ? { toolConfig: toToolConfig(tools, call.toolChoice) } : {}),
    ...(outputConfig === undefined ? {} : { outputConfig }),
    ...(call.reasoningEffort === undefined ? {} : { additionalModelRequestFields: { reasoning_effort: call.reasoningEffort } }),
    ...(Object.keys(requestMetadata).length > 0 ? { requestMetadata } : {}),
    // Standard is Bedrock's default: asking for it would only add a field.
    ...(tier === 'standard' ? {} : { serviceTier: { type: toWireTier(tier) } }),
  };
}

/** Tools and the choice among them, in Converse's shape. */
function toToolConfig(tools: readonly ToolDefinition[], choice: ToolChoice | undefined): ToolConfiguration {
  const config: ToolConfiguration = {
    tools: tools.map(({ function: fn }) => ({
      toolSpec: {
        name: fn.name,
        ...(fn.description === undefined ? {} : { description: fn.description }),
        inputSchema: { json: (fn.parameters ?? { type: 'object', properties: {} }) as ToolInputSchema.JsonMember['json'] },
        ...(fn.strict === true ? { strict: true } : {}),
      },
    })),
  };
  const toolChoice: ConverseToolChoice | undefined =
    choice === 'auto'
      ? { auto: {} }
      : choice === 'required'
        ? { any: {} }
        : typeof choice === 'object'
          ? { tool: { name: choice.function.name } }
          : undefined;
  return toolChoice === undefined ? config : { ...config, toolChoice };
}

/**
 * `json_schema` as Bedrock's native structured output. The schema travels as JSON text;
 * a format without a schema asks for any JSON object.
 */
function toOutputConfig(call: ChatCall): OutputConfig | undefined {
  if (call.responseFormat?.type !== 'json_schema') return undefined;
  const { name, description, schema } = call.responseFormat.json_schema;
  return {
    textFormat: {
      type: 'json_schema',
      structure: {
        jsonSchema: {
          schema: JSON.stringify(schema ?? { type: 'object' }),
          name,
          ...(description === undefined ? {} : { description }),
        },
      },
    },
  };
}

/**
 * Bedrock's stop reasons in OpenAI's words. A context window running out is a length
 * stop; a tool call is `tool_calls`; anything unlisted is a plain stop.
 */
const FINISH_REASONS: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  tool_use: 'tool_calls',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  guardrail_intervened: 'content_filter',
  content_filtered: 'content_filter',
};

/** OpenAI's finish reason for a Converse stop reason. */
export function toFinishReason(stopReason: string | undefined): FinishReason {
  return FINISH_REASONS[stopReason ?? ''] ?? 'stop';
}

/**
 * Token usage in our words. Bedrock counts reasoning inside `outputTokens` and does not
 * say how many it took, so `reasoningTokens` is the domain's estimate of the reasoning
 * text ({@link estimateReasoningTokens}). Absent when the model returned no reasoning text.
 */
export function toUsage(
  inputTokens: number | undefined,
  outputTokens: number | undefined,
  reasoning: string,
  cacheReadTokens?: number,
): Usage {
  const completionTokens = outputTokens ?? 0;
  return {
    promptTokens: inputTokens ?? 0,
    completionTokens,
    ...(reasoning === '' ? {} : { reasoningTokens: estimateReasoningTokens(reasoning, completionTokens) }),
    ...(cacheReadTokens !== undefined && cacheReadTokens > 0 ? { cachedTokens: cacheReadTokens } : {}),
  };
}

/**
 * Maps a Converse response back to a chat result: text blocks are the content,
 * `reasoningContent` blocks (gpt-oss puts one before the answer) the reasoning, and
 * `toolUse` blocks the tool calls (their input as JSON text, their toolUseId as id).
 * Content is null only when the model called tools without writing any text.
 */
export function fromConverseOutput(output: ConverseCommandOutput): ChatResult {
  const blocks = output.output?.message?.content ?? [];
  let content = '';
  let reasoning = '';
  const toolCalls: ToolCall[] = [];
  for (const block of blocks) {
    if (typeof block.text === 'string') content += block.text;
    const reasoningText = block.reasoningContent?.reasoningText?.text;
    if (typeof reasoningText === 'string') reasoning += reasoningText;
    if (block.toolUse !== undefined) {
      toolCalls.push({
        id: block.toolUse.toolUseId ?? `call_${toolCalls.length}`,
        type: 'function',
        function: { name: block.toolUse.name ?? '', arguments: JSON.stringify(block.toolUse.input ?? {}) },
      });
    }
  }
  return {
    content: content === '' && toolCalls.length > 0 ? null : content,
    ...(reasoning === '' ? {} : { reasoning }),
    ...(toolCalls.length === 0 ? {} : { toolCalls }),
    finishReason: toFinishReason(output.stopReason),
    usage: toUsage(output.usage?.inputTokens, output.usage?.outputTokens, reasoning, output.usage?.cacheReadInputTokens),
  };
}
