import type { Outcome } from '../../../shared/batchingCore/types';
import type { InferenceOutput } from '../../../shared/domain/inference';
import { createInferenceRuntime } from '../../../shared/wiring/realtime';
import { chatItems } from '../../../shared/realtime/chatRequests';
import { benchConfig, simulatorCatalogue } from '../benchCatalogue';
import type { SimulatorProcess } from '../simulatorProcess';
import { nowMs, round, sleep } from '../stats';

/**
 * Item 2, throttling: the simulator's Bedrock face with a tokens-per-minute limit, which
 * answers ThrottlingException (with Retry-After) above it, and a batch of chat requests
 * worth several minutes of that limit run through the core at once, as a worker runs a
 * chunk. Reported: the share of the limit used and the throttles that reached a caller
 * (outcomes that failed with `rate_limit_exceeded`: the core retries throttles itself).
 *
 * The limit is a sliding 60 s window, so the steady state is only seen once a first
 * minute has passed: the full run measures [30 s, 150 s), two minutes that hold the
 * limit's two refills, in which at most 2 × `tokensPerMinute` tokens can be served. The
 * quick run only sees the first 10 s, where the bound is one window's budget and the
 * first burst alone can use it: a check that the overflow waits, not a steady state.
 */

/** How item 2 runs. */
export interface ThrottlingOptions {
  tokensPerMinute: number;
  /** Work offered at once, in minutes of the limit. */
  offeredMinutes: number;
  /** Measured window [fromS, toS) after the start; its budget is `tokensPerMinute`. */
  windowFromS: number;
  windowToS: number;
  /** The run is cut here (items left are cancelled, not counted as throttles). */
  stopAfterS: number;
}

/** Item 2's result. */
export interface ThrottlingResult {
  options: ThrottlingOptions;
  steadyState: boolean;
  requests: number;
  tokensPerRequest: number;
  /** The most the limit lets through in the window: `tokensPerMinute` × ceil(window / 60 s). */
  budgetTokens: number;
  /** Tokens served in the window / `budgetTokens`. */
  fractionOfLimitUsed: number;
  tokensInWindow: number;
  /** Throttles the simulator answered, and how many reached a caller as a failed outcome. */
  throttlesAnswered: number;
  throttlesReachingCaller: number;
  outcomes: { succeeded: number; failed: number; notAttempted: number; failedCodes: Record<string, number> };
  secondsToSettle: number | null;
  /** When the benchmark cut the run (items then waiting end failed or not attempted; not counted as reaching a caller). */
  cutAtS: number | null;
  /** Items still waiting (for a slot or a Retry-After) when the run was cut. */
  waitingAtCut: number;
  coreStats: { calls: number; retries: number; throttles: number; finalLimit: number | undefined };
  /** Cumulative served tokens, sampled every second: [seconds, tokens]. */
  timeline: Array<[number, number]>;
}

function servedTokens(stats: Awaited<ReturnType<SimulatorProcess['stats']>>): number {
  return stats.faces.bedrock.promptTokens + stats.faces.bedrock.completionTokens;
}

/** Runs item 2 against a running simulator; the Bedrock limit is set here and lifted after. */
export async function runThrottling(
  simulator: SimulatorProcess,
  options: ThrottlingOptions,
  log: (line: string) => void,
): Promise<ThrottlingResult> {
  const catalogue = simulatorCatalogue(simulator.url, { bedrockOnly: true });
  const config = benchConfig(simulator.url, catalogue);
  const model = catalogue.models.find((entry) => entry.id === 'gpt-oss-20b')!;
  const prompt = (n: number) => `Request ${n}: ${'summarise the quarterly figures for the board in plain words. '.repeat(12)}`;
  const itemsOf = (count: number, offset: number) =>
    Array.from(
      { length: count },
      (_, i) =>
        chatItems({ model: 'gpt-oss-20b', messages: [{ role: 'user', content: prompt(offset + i) }], max_tokens: 32 }, model, {
          idPrefix: `${offset + i}#`,
        })[0]!,
    );

  // Measure what one request costs against the limit, with the limit off.
  await simulator.updateConfig({ bedrock: { tokensPerMinute: 0 } });
  await simulator.reset();
  const probe = createInferenceRuntime(config);
  await probe.core.run(itemsOf(20, 1_000_000));
  const tokensPerRequest = servedTokens(await simulator.stats()) / 20;
  const requests = Math.ceil((options.offeredMinutes * options.tokensPerMinute) / tokensPerRequest);

  await simulator.updateConfig({ bedrock: { tokensPerMinute: options.tokensPerMinute } });
  await simulator.reset();
  const { core } = createInferenceRuntime(config);
  const stop = new AbortController();
  const started = nowMs();
  // A worker's deadline (its 300 s timeout less the write reserve); the run is cut earlier when it must be.
  const deadline = Date.now() + 295_000;
  let settledAt: number | null = null;
  let cutAt: number | null = null;
  // submit() + flush() is what run() does; per item, so each outcome's time is known.
  const settled: Array<{ outcome: Outcome<InferenceOutput>; beforeCut: boolean }> = [];
  const pending = itemsOf(requests, 0).map((item) =>
    core.submit(item, { deadline, signal: stop.signal }).then((outcome) => {
      settled.push({ outcome, beforeCut: cutAt === null });
    }),
  );
  core.flush();
  const run = Promise.all(pending).then(() => {
    settledAt = (nowMs() - started) / 1000;
  });
  const timeline: Array<[number, number]> = [];
  let atFrom = 0;
  let atTo: number | undefined;
  for (let second = 1; ; second++) {
    await sleep(Math.max(0, started + second * 1000 - nowMs()));
    const tokens = servedTokens(await simulator.stats());
    timeline.push([second, tokens]);
    if (second === options.windowFromS) atFrom = tokens;
    if (second === options.windowToS) atTo = tokens;
    if (second % 10 === 0)
      log(`  item 2 t=${second}s: ${tokens} tokens served (${round(tokens / options.tokensPerMinute, 2)} minutes of the limit)`);
    if (settledAt !== null && atTo !== undefined) break;
    if (second >= options.stopAfterS) {
      cutAt = second;
      stop.abort();
      break;
    }
  }
  await run;
  const outcomes = settled.map((entry) => entry.outcome);
  const stats = await simulator.stats();
  await simulator.updateConfig({ bedrock: { tokensPerMinute: 0 } });
  const failedCodes: Record<string, number> = {};
  for (const outcome of outcomes)
    if (outcome.status === 'failed') failedCodes[outcome.error.code] = (failedCodes[outcome.error.code] ?? 0) + 1;
  const tokensInWindow = (atTo ?? servedTokens(stats)) - atFrom;
  // Any 60 s of a sliding window hold at most the limit, so a window of W seconds holds at
  // most ceil(W / 60) limits (one limit for a window shorter than a minute).
  const budgetTokens = options.tokensPerMinute * Math.max(1, Math.ceil((options.windowToS - options.windowFromS) / 60));
  const coreStats = core.stats();
  return {
    options,
    steadyState: options.windowToS > 60 && options.windowToS - options.windowFromS >= 60,
    requests,
    tokensPerRequest: round(tokensPerRequest, 1),
    budgetTokens,
    fractionOfLimitUsed: round(tokensInWindow / budgetTokens, 4),
    tokensInWindow,
    throttlesAnswered: stats.faces.bedrock.tokenThrottles + stats.faces.bedrock.injectedThrottles,
    throttlesReachingCaller: settled.filter(
      (entry) => entry.beforeCut && entry.outcome.status === 'failed' && entry.outcome.error.code === 'rate_limit_exceeded',
    ).length,
    cutAtS: cutAt,
    waitingAtCut: settled.filter((entry) => !entry.beforeCut).length,
    outcomes: {
      succeeded: outcomes.filter((o) => o.status === 'succeeded').length,
      failed: outcomes.filter((o) => o.status === 'failed').length,
      notAttempted: outcomes.filter((o) => o.status === 'not_attempted').length,
      failedCodes,
    },
    secondsToSettle: settledAt === null ? null : round(settledAt, 1),
    coreStats: {
      calls: coreStats.calls,
      retries: coreStats.retries,
      throttles: coreStats.throttles,
      finalLimit: Object.values(coreStats.limits)[0],
    },
    timeline,
  };
}
