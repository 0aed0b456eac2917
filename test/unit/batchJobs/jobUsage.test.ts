import { toBatchObject } from '../../../shared/batchJobs/api/openAiObjects';
import type { ModelEntry } from '../../../shared/domain/catalogue';
import { newJob } from '../../../shared/batchJobs/job/Job';
import { lineOutput, type RunnableLine } from '../../../shared/batchJobs/run/lineRequests';
import { toUsage as converseUsage } from '../../../shared/providers/bedrock/converseMapping';
import { toUsage as openAiUsage } from '../../../shared/providers/openai/openAiResponses';

const model = { id: 'bge-m3', kind: 'embeddings', backends: [] } as unknown as ModelEntry;
const plan: RunnableLine = {
  kind: 'runnable',
  lineNumber: 1,
  customId: 'r1',
  model,
  request: { url: '/v1/embeddings', body: { model: 'bge-m3', input: ['a', 'b'] } },
  items: [],
};

describe('reasoning and cached tokens, from the backends to the batch object', () => {
  it('the providers read them: vLLM prompt_tokens_details.cached_tokens, Bedrock cacheReadInputTokens', () => {
    // Act
    const vllm = openAiUsage({
      prompt_tokens: 100,
      completion_tokens: 40,
      prompt_tokens_details: { cached_tokens: 64 },
      completion_tokens_details: { reasoning_tokens: 12 },
    });
    const bedrock = converseUsage(100, 40, 'thinking about it', 80);

    // Assess
    expect(vllm).toEqual({ promptTokens: 100, completionTokens: 40, reasoningTokens: 12, cachedTokens: 64 });
    expect(bedrock).toMatchObject({ promptTokens: 100, cachedTokens: 80 });
    expect(bedrock.reasoningTokens).toBeGreaterThan(0);
  });

  it("a line sums its items' reasoning and cached tokens, and the batch object shows the job's", () => {
    // Act
    const output = lineOutput(
      plan,
      [0, 1].map((i) => ({
        status: 'succeeded' as const,
        id: `1#${i}`,
        value: { kind: 'embedding' as const, result: { vector: [0.1], usage: { promptTokens: 10, completionTokens: 0 } } },
        usage: { promptTokens: 10, completionTokens: 0, cachedTokens: 4 + i, reasoningTokens: 0 },
        attempts: 1,
        backendId: 'gpu',
      })),
      { jobId: 'batch_1', newId: () => 'x', created: 1 },
    );
    const job = newJob({ id: 'batch_1', tenantId: 't', source: { bucket: 'b', key: 'k' }, metadata: {}, createdAt: 1 });
    const batch = toBatchObject({
      ...job,
      model: 'gpt-oss-20b',
      usage: { promptTokens: 100, completionTokens: 50, reasoningTokens: 20, cachedTokens: output.cachedTokens },
    });

    // Assess
    expect(output).toMatchObject({ promptTokens: 20, cachedTokens: 9 });
    expect(output.reasoningTokens).toBeUndefined();
    expect(batch).toMatchObject({
      model: 'gpt-oss-20b',
      usage: {
        input_tokens: 100,
        input_tokens_details: { cached_tokens: 9 },
        output_tokens: 50,
        output_tokens_details: { reasoning_tokens: 20 },
      },
    });
  });
});
