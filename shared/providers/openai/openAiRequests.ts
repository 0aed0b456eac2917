import type { ChatCall, EmbeddingInput } from '../../domain/inference';

/**
 * The chat-completions body for a call, in OpenAI's wire names. Every field the call
 * carries goes out, so vLLM applies it or rejects it (a 400 the caller sees); fields the
 * call leaves out are left out, so the server's defaults apply. `metadata` goes out as
 * OpenAI's field: vLLM accepts it and ignores it (a warning in its log), as it does any
 * field it has no use for, so the caller's tags reach the server that served them.
 * Messages are already in OpenAI's shape and go out as they are.
 */
export function toChatRequestBody(call: ChatCall): Record<string, unknown> {
  // Written field by field, not filtered from a full object: this runs once per call.
  const body: Record<string, unknown> = { model: call.model, messages: call.messages };
  if (call.maxTokens !== undefined) body.max_tokens = call.maxTokens;
  if (call.temperature !== undefined) body.temperature = call.temperature;
  if (call.topP !== undefined) body.top_p = call.topP;
  if (call.stop !== undefined && call.stop.length > 0) body.stop = call.stop;
  if (call.seed !== undefined) body.seed = call.seed;
  if (call.presencePenalty !== undefined) body.presence_penalty = call.presencePenalty;
  if (call.frequencyPenalty !== undefined) body.frequency_penalty = call.frequencyPenalty;
  if (call.logitBias !== undefined) body.logit_bias = call.logitBias;
  if (call.logprobs !== undefined) body.logprobs = call.logprobs;
  if (call.topLogprobs !== undefined) body.top_logprobs = call.topLogprobs;
  if (call.tools !== undefined) body.tools = call.tools;
  if (call.toolChoice !== undefined) body.tool_choice = call.toolChoice;
  if (call.parallelToolCalls !== undefined) body.parallel_tool_calls = call.parallelToolCalls;
  if (call.responseFormat !== undefined) body.response_format = call.responseFormat;
  if (call.reasoningEffort !== undefined) body.reasoning_effort = call.reasoningEffort;
  if (call.user !== undefined) body.user = call.user;
  if (call.metadata !== undefined) body.metadata = call.metadata;
  return body;
}

/** The embeddings body for inputs of one kind (all texts, or all token-id arrays). */
export function toEmbeddingsRequestBody(
  model: string,
  inputs: readonly EmbeddingInput[],
  dimensions: number | undefined,
): Record<string, unknown> {
  return { model, input: inputs, encoding_format: 'float', ...(dimensions === undefined ? {} : { dimensions }) };
}
