import type { ModelCatalogue } from '../../../shared/domain/catalogue';
import { createInferenceRuntime } from '../../../shared/wiring/realtime';
import { InferenceService } from '../../../shared/realtime/InferenceService';
import { benchConfig, simulatorCatalogue } from '../benchCatalogue';
import type { SimulatorProcess } from '../simulatorProcess';
import { median, round } from '../stats';

/**
 * Item 7, streamed chat: time to the first token against the whole answer, through the
 * platform's real-time use case (`chatCompletionStream`: the batching core, the router
 * and the real providers) on each face of the simulator: the OpenAI face as a GPU
 * server, with SSE, and the Bedrock face through ConverseStream and the real SDK client.
 * The simulator generates by continuous batching: the step that reads the prompt yields
 * the first token, each later step one more, no faster than `tokensPerSecond` (set for the
 * item); the item shows the first token arriving after one step, not after the whole
 * generation. Requests run one at a time, so each is timed alone.
 */

/** How item 7 runs. */
export interface StreamingOptions {
  requests: number;
  maxTokens: number;
  tokensPerSecond: number;
}

/** One face's medians. */
export interface StreamingFace {
  face: 'gpu (OpenAI face, SSE)' | 'bedrock (ConverseStream)';
  firstTokenMs: number;
  totalMs: number;
  /** First token over total: how early an app can start showing the answer. */
  firstTokenShare: number;
  completionTokens: number;
  failed: number;
}

/** Item 7's result. */
export interface StreamingResult {
  options: StreamingOptions;
  simulator: { stepMs: number; tokensPerSecond: number };
  faces: StreamingFace[];
}

async function measureFace(
  face: StreamingFace['face'],
  catalogue: ModelCatalogue,
  simulatorUrl: string,
  options: StreamingOptions,
): Promise<StreamingFace> {
  const { router, core } = createInferenceRuntime(benchConfig(simulatorUrl, catalogue));
  const service = new InferenceService(router, core);
  const firsts: number[] = [];
  const totals: number[] = [];
  const tokens: number[] = [];
  let failed = 0;
  for (let i = 0; i < options.requests; i += 1) {
    const started = performance.now();
    let first: number | undefined;
    try {
      const chunks = await service.chatCompletionStream({
        model: 'gpt-oss-20b',
        messages: [{ role: 'user', content: `Streamed request ${i}: tell me about batching.` }],
        max_tokens: options.maxTokens,
        // Both faces reason alike (the GPU face reasons by default, Bedrock when asked).
        reasoning_effort: 'medium',
        stream: true,
        stream_options: { include_usage: true },
      });
      for await (const chunk of chunks) {
        const delta = chunk.choices[0]?.delta;
        if (first === undefined && (delta?.content || delta?.reasoning_content)) first = performance.now() - started;
        if (chunk.usage) tokens.push(chunk.usage.completion_tokens);
      }
      totals.push(performance.now() - started);
      if (first !== undefined) firsts.push(first);
    } catch {
      failed += 1;
    }
  }
  const firstTokenMs = round(median(firsts), 1);
  const totalMs = round(median(totals), 1);
  return { face, firstTokenMs, totalMs, firstTokenShare: round(firstTokenMs / totalMs, 3), completionTokens: median(tokens), failed };
}

/** Runs item 7 against `simulator`, setting its token rate for the item and restoring it after. */
export async function runStreaming(
  simulator: SimulatorProcess,
  options: StreamingOptions,
  log: (line: string) => void,
): Promise<StreamingResult> {
  const before = await simulator.config();
  await simulator.updateConfig({ tokensPerSecond: options.tokensPerSecond });
  try {
    const faces: StreamingFace[] = [];
    faces.push(await measureFace('gpu (OpenAI face, SSE)', simulatorCatalogue(simulator.url), simulator.url, options));
    log(`  gpu face: first token ${faces[0]!.firstTokenMs} ms of ${faces[0]!.totalMs} ms`);
    faces.push(
      await measureFace('bedrock (ConverseStream)', simulatorCatalogue(simulator.url, { bedrockOnly: true }), simulator.url, options),
    );
    log(`  bedrock face: first token ${faces[1]!.firstTokenMs} ms of ${faces[1]!.totalMs} ms`);
    return { options, simulator: { stepMs: before.stepMs, tokensPerSecond: options.tokensPerSecond }, faces };
  } finally {
    await simulator.updateConfig({ tokensPerSecond: before.tokensPerSecond });
  }
}
