/**
 * A cheap token estimate used for batching budgets and context checks before a request
 * reaches a backend: about four characters a token for English text, rounded up, plus
 * a few tokens of framing per message. It errs high, which is the safe side for budgets.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Framing tokens a chat template adds per message. */
export const TOKENS_PER_MESSAGE = 4;

/**
 * Reasoning tokens when the backend returned reasoning text but no count (Bedrock never
 * counts them apart; some vLLM versions do not): the estimate of that text, never more
 * than the tokens generated.
 */
export function estimateReasoningTokens(reasoning: string, completionTokens: number): number {
  return Math.min(completionTokens, estimateTokens(reasoning));
}
