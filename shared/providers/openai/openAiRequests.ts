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
  const fields: Record<string, unknown> = {
    model: call.model,
    messages: call.messages,
    max_tokens: call.maxTokens,
    temperature: call.temperature,
    top_p: call.topP,
    stop: call.stop === undefined || call.stop.length === 0 ? undefined : call.stop,
    seed: call.seed,
    presence_penalty: call.presencePenalty,
    frequency_penalty: call.frequencyPenalty,
    logit_bias: call.logitBias,
    logprobs: call.logprobs,
    top_logprobs: call.topLogprobs,
    tools: call.tools,
    tool_choice: call.toolChoice,
    parallel_tool_calls: call.parallelToolCalls,
    response_format: call.responseFormat,
    reasoning_effort: call.reasoningEffort,
    user: call.user,
    metadata: call.metadata,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/** The embeddings body for inputs of one kind (all texts, or all token-id arrays). */
export function toEmbeddingsRequestBody(
  model: string,
  inputs: readonly EmbeddingInput[],
  dimensions: number | undefined,
): Record<string, unknown> {
  return { model, input: inputs, encoding_format: 'float', ...(dimensions === undefined ? {} : { dimensions }) };
}
