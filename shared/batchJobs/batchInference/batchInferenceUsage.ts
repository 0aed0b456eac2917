import type { BatchInferenceStore } from './ports';

/** Tokens Bedrock batch inference answered a job's lines with, for one Bedrock model. */
export interface BatchInferenceTokens {
  inputTokens: number;
  outputTokens: number;
}

/**
 * A job's `bedrock-batch` route usage, by Bedrock model id (the keys of the price table's
 * `bedrock`): the sum over its Bedrock batch chunks recorded done of the tokens of the
 * lines Bedrock answered. Lines retried on demand are not in it (they count on their own
 * route). What `bedrockTokenCost(table, model, 'bedrock-batch', tokens)` prices.
 */
export async function batchInferenceUsage(
  store: Pick<BatchInferenceStore, 'listForJob'>,
  jobId: string,
): Promise<Record<string, BatchInferenceTokens>> {
  const usage: Record<string, BatchInferenceTokens> = {};
  for (const record of await store.listForJob(jobId)) {
    if (record.state !== 'done' || !record.usage) continue;
    const sum = usage[record.bedrockModel] ?? { inputTokens: 0, outputTokens: 0 };
    sum.inputTokens += record.usage.inputTokens;
    sum.outputTokens += record.usage.outputTokens;
    usage[record.bedrockModel] = sum;
  }
  return usage;
}
