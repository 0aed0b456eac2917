import type { ModelCatalogue } from '../../../shared/domain/catalogue';
import type { InferenceInput } from '../../../shared/domain/inference';
import type { BatchItem } from '../../../shared/batchingCore/types';
import { LimitMemory } from '../../../shared/batchingCore/LimitMemory';
import { createInferenceRuntime } from '../../../shared/wiring/realtime';
import { chatItems } from '../../../shared/realtime/chatRequests';
import { embeddingItems } from '../../../shared/realtime/embeddingsRequests';
import { OpenAiCompatibleProvider } from '../../../shared/providers/openai/OpenAiCompatibleProvider';
import { benchConfig, firstBackend, simulatorCatalogue } from '../benchCatalogue';
import { loadDataLoader } from '../dataloaderContender';
import type { SimulatorConfig } from '../../../shared/devTools/gpuSimulator/SimulatorConfig';
import type { GenerationStats } from '../../../shared/devTools/gpuSimulator/SimulatorStats';
import type { SimulatorProcess } from '../simulatorProcess';
import { median, nowMs, percentile, round } from '../stats';

/**
 * Item 1, backend utilisation: the GPU simulator configured like a GPU server, and the
 * same demand pushed through three clients side by side, each at its best: the batching
 * core; one request per call with the same budget of items in flight as the core
 * (`maxConcurrency` calls of up to `maxBatchItems` items each); and `dataloader` with
 * `maxBatchSize` set to the backend's batch. Embeddings go as lists batched into one call,
 * chat as one call per request. Each client's throughput is reported as a fraction of the
 * best the simulator's settings allow: for embeddings the passes' ceiling
 * (`maxItemsPerSecond`), for chat the generation engine's ceiling for the requests sent
 * (`maxSequencesPerSecond`, at the prompt and completion tokens the simulator counted).
 *
 * The demand is a closed loop: `callers` concurrent callers each send a request and, when
 * it is answered, the next, until `requests` have been answered. Every client sees the
 * same callers, inputs and simulator, one after the other within a round.
 */

export type Kind = 'embeddings' | 'chat';
export type ContenderName = 'core' | 'core-warm' | 'per-request' | 'dataloader';

/** How item 1 runs. */
export interface UtilisationOptions {
  requests: number;
  callers: number;
  rounds: number;
}

/** One contender's run of one round. */
export interface RoundFigures {
  seconds: number;
  itemsPerSecond: number;
  /** Of the best possible throughput. */
  fractionOfBest: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
  /** What the simulator saw: calls; mean items per forward pass (embeddings) or sequences decoding per step (chat). */
  calls: number;
  meanBatch: number;
  /** Delivered items over the simulator's active span, against its ceiling (not slot time, which a small pass fills too). */
  simulatorBusy: number | null;
  /** The ceiling this round was judged against, items per second. */
  bestPerSecond: number;
  /** The core's adaptive concurrency limit for the backend when the round ended (core contenders only). */
  finalLimit?: number;
}

/** One contender over every round. */
export interface ContenderResult {
  name: ContenderName;
  setup: string;
  rounds: RoundFigures[];
  median: RoundFigures | null;
  skipped?: string;
}

/** Item 1's result. */
export interface UtilisationResult {
  simulator: { passMs: number; itemMs: number; slots: number; maxItemsPerPass: number; maxItemsPerSecond: number; formula: string };
  /** The chat ceiling: the generation engine's knobs, the requests' shape, and the formula with them. */
  chatSimulator: {
    maxNumSeqs: number;
    maxNumBatchedTokens: number;
    stepMs: number;
    decodeMsPerSeq: number;
    prefillMsPerToken: number;
    promptTokens: number;
    completionTokens: number;
    maxRequestsPerSecond: number;
    formula: string;
  } | null;
  workload: UtilisationOptions;
  kinds: Record<Kind, { contenders: ContenderResult[]; coreVsPerRequest: number; coreVsDataloader: number | null }>;
}

type Send = (index: number) => Promise<boolean>;

/** dataloader's `maxBatchSize`: the inputs one embeddings call of the core carries. */
const DATALOADER_BATCH = 64;

/** A client ready for a round; a core also tells its adaptive limit. */
interface Prepared {
  send: Send;
  limit?: () => number | undefined;
}

interface Contender {
  name: ContenderName;
  setup: string;
  skipped?: string;
  /** Builds a fresh client for one round (no state carries from the previous round). */
  prepare(): Prepared;
  /** Runs once before the first round, unmeasured (a warm process). */
  warmUp?: (drive: (send: Send) => Promise<void>) => Promise<void>;
}

/** A counting semaphore: at most `limit` callers hold it at once, served in FIFO order. */
function semaphore(limit: number): <T>(work: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (work) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else active += 1;
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active -= 1;
    }
  };
}

function textOf(index: number): string {
  return `Passage ${index}: the quick brown fox jumps over the lazy dog while the GPU keeps every batch slot busy.`;
}

function questionOf(index: number): string {
  return `Question ${index}: in one short sentence, why do GPUs like large batches?`;
}

/** The contenders of one kind, sized alike from the bench catalogue. */
function contenders(kind: Kind, simulatorUrl: string, catalogue: ModelCatalogue): Contender[] {
  const modelId = kind === 'embeddings' ? 'bge-m3' : 'gpt-oss-20b';
  const backend = firstBackend(catalogue, modelId);
  const model = catalogue.models.find((entry) => entry.id === modelId)!;
  const config = benchConfig(simulatorUrl, catalogue);
  const provider = () => new OpenAiCompatibleProvider({ baseUrls: [simulatorUrl], backendId: backend.id });
  const itemOf = (index: number): BatchItem<InferenceInput> => {
    const [item] =
      kind === 'embeddings'
        ? embeddingItems({ model: modelId, input: textOf(index) }, model, { idPrefix: `${index}#` })
        : chatItems({ model: modelId, messages: [{ role: 'user', content: questionOf(index) }], max_tokens: 16 }, model, {
            idPrefix: `${index}#`,
          });
    return item!;
  };
  const callOnce = (client: OpenAiCompatibleProvider, index: number): Promise<unknown> =>
    kind === 'embeddings'
      ? client.embed(backend.model, [textOf(index)]).then((results) => {
          if (!results[0]?.ok) throw new Error('embedding failed');
        })
      : client.chat({ model: backend.model, messages: [{ role: 'user', content: questionOf(index) }], maxTokens: 16 });

  const perCall = kind === 'embeddings' ? Math.min(backend.maxBatchItems, 64) : 1;
  const batchItems = `${perCall} item${perCall === 1 ? '' : 's'} a call`;
  // The core may have maxConcurrency calls of perCall items out at once: the per-request
  // client gets as many one-item calls.
  const inFlight = backend.maxConcurrency * perCall;
  const list: Contender[] = [
    {
      name: 'core',
      setup: `createInferenceRuntime (built-in catalogue): maxConcurrency ${backend.maxConcurrency}, starting at ${backend.expectedConcurrency}, ${batchItems}, submit() per request`,
      prepare() {
        // A cold container: nothing learned of the backend yet.
        const { core } = createInferenceRuntime(config, 'realtime', { limitMemory: new LimitMemory() });
        return {
          send: async (index) => (await core.submit(itemOf(index))).status === 'succeeded',
          limit: () => core.stats().limits[backend.id],
        };
      },
    },
    (() => {
      // One runtime for every round, warmed by one unmeasured run: a Lambda container that
      // has already served work, its adaptive limit grown.
      const { core } = createInferenceRuntime(config);
      const send: Send = async (index) => (await core.submit(itemOf(index))).status === 'succeeded';
      return {
        name: 'core-warm' as const,
        setup: 'the same, one runtime kept across rounds after one unmeasured warm-up run (a warm container)',
        prepare: () => ({ send, limit: () => core.stats().limits[backend.id] }),
        warmUp: (drive: (send: Send) => Promise<void>) => drive(send),
      };
    })(),
    {
      name: 'per-request',
      setup: `one request per call, at most ${inFlight} calls in flight (the core's budget: ${backend.maxConcurrency} calls × ${perCall} items)`,
      prepare() {
        const client = provider();
        const limit = semaphore(inFlight);
        return {
          send: (index) =>
            limit(() => callOnce(client, index)).then(
              () => true,
              () => false,
            ),
        };
      },
    },
  ];
  const loaded = loadDataLoader();
  if ('missing' in loaded) {
    list.push({
      name: 'dataloader',
      setup: 'not installed',
      skipped: loaded.missing,
      prepare: () => {
        throw new Error(loaded.missing);
      },
    });
  } else {
    list.push({
      name: 'dataloader',
      setup:
        kind === 'embeddings'
          ? `dataloader ${loaded.version}, batch per tick, maxBatchSize ${DATALOADER_BATCH}; batch function: one embeddings call with the list`
          : `dataloader ${loaded.version}, batch per tick, maxBatchSize ${DATALOADER_BATCH}; batch function: one chat call per key, all at once`,
      prepare() {
        const client = provider();
        const loader = new loaded.DataLoader<number, unknown>(
          async (keys) => {
            if (kind === 'embeddings') {
              const results = await client.embed(backend.model, keys.map(textOf)).catch((error: Error) => keys.map(() => error));
              return results.map((result) =>
                result instanceof Error ? result : result.ok ? result.value : new Error(result.error.message),
              );
            }
            return Promise.all(
              keys.map((index) =>
                callOnce(client, index).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
              ),
            );
          },
          { maxBatchSize: DATALOADER_BATCH },
        );
        return {
          send: (index) =>
            loader.load(index).then(
              () => true,
              () => false,
            ),
        };
      },
    });
  }
  return list;
}

/** Runs the closed loop: `callers` callers, `requests` requests in all. */
async function drive(send: Send, requests: number, callers: number): Promise<{ seconds: number; latencies: Float64Array; failed: number }> {
  const latencies = new Float64Array(requests);
  let next = 0;
  let failed = 0;
  const caller = async (): Promise<void> => {
    for (;;) {
      const index = next;
      next += 1;
      if (index >= requests) return;
      const started = nowMs();
      const ok = await send(index);
      latencies[index] = nowMs() - started;
      if (!ok) failed += 1;
    }
  };
  const started = nowMs();
  await Promise.all(Array.from({ length: Math.min(callers, requests) }, caller));
  return { seconds: (nowMs() - started) / 1000, latencies, failed };
}

function medianFigures(rounds: RoundFigures[]): RoundFigures | null {
  if (rounds.length === 0) return null;
  const pick = (key: keyof RoundFigures) =>
    round(median(rounds.map((r) => r[key] ?? Number.NaN)), key === 'fractionOfBest' || key === 'simulatorBusy' ? 4 : 2);
  return {
    seconds: pick('seconds'),
    itemsPerSecond: pick('itemsPerSecond'),
    fractionOfBest: pick('fractionOfBest'),
    p50Ms: pick('p50Ms'),
    p99Ms: pick('p99Ms'),
    failed: pick('failed'),
    calls: pick('calls'),
    meanBatch: pick('meanBatch'),
    simulatorBusy: pick('simulatorBusy'),
    bestPerSecond: pick('bestPerSecond'),
  };
}

function nullableRound(value: number | null, digits: number): number | null {
  return value === null ? null : round(value, digits);
}

/** The chat ceiling of a round, with its formula written out. */
function chatCeiling(settings: SimulatorConfig, generation: GenerationStats): UtilisationResult['chatSimulator'] {
  const p = round(generation.meanPromptTokens, 1);
  const c = round(generation.meanCompletionTokens, 1);
  const { maxNumSeqs: s, maxNumBatchedTokens: b, stepMs, decodeMsPerSeq, prefillMsPerToken } = settings;
  return {
    maxNumSeqs: s,
    maxNumBatchedTokens: b,
    stepMs,
    decodeMsPerSeq,
    prefillMsPerToken,
    promptTokens: p,
    completionTokens: c,
    maxRequestsPerSecond: round(generation.maxSequencesPerSecond ?? Number.NaN, 1),
    formula: `1000 / (stepMs × max(C/S, (P+C−1)/B) + (C−1) × decodeMsPerSeq + P × prefillMsPerToken) = 1000 / (${stepMs} × max(${c}/${s}, (${p}+${c}−1)/${b}) + (${c}−1) × ${decodeMsPerSeq} + ${p} × ${prefillMsPerToken}) requests/s`,
  };
}

/** Runs item 1 against a running simulator (configured like a GPU server by the caller). */
export async function runUtilisation(
  simulator: SimulatorProcess,
  options: UtilisationOptions,
  log: (line: string) => void,
): Promise<UtilisationResult> {
  const settings = await simulator.config();
  const best = settings.maxItemsPerSecond;
  const catalogue = simulatorCatalogue(simulator.url);
  const result: UtilisationResult = {
    simulator: {
      passMs: settings.passMs,
      itemMs: settings.itemMs,
      slots: settings.slots,
      maxItemsPerPass: settings.maxItemsPerPass,
      maxItemsPerSecond: round(best, 1),
      formula: `slots × maxItemsPerPass / (passMs + maxItemsPerPass × itemMs) = ${settings.slots} × ${settings.maxItemsPerPass} / (${settings.passMs} + ${settings.maxItemsPerPass} × ${settings.itemMs}) ms`,
    },
    chatSimulator: null,
    workload: options,
    kinds: {} as UtilisationResult['kinds'],
  };
  for (const kind of ['embeddings', 'chat'] as const) {
    const list = contenders(kind, simulator.url, catalogue);
    const rounds = new Map<ContenderName, RoundFigures[]>(list.map((c) => [c.name, []]));
    for (const contender of list) {
      if (!contender.warmUp || contender.skipped) continue;
      await contender.warmUp(async (send) => void (await drive(send, options.requests, options.callers)));
      log(`  item 1 ${kind} ${contender.name}: warmed up with ${options.requests} requests`);
    }
    for (let r = 0; r < options.rounds; r++) {
      // Alternate the order each round, so no contender always runs first on a fresh simulator.
      const order = r % 2 === 0 ? list : [...list].reverse();
      for (const contender of order) {
        if (contender.skipped) continue;
        await simulator.reset();
        const prepared = contender.prepare();
        const run = await drive(prepared.send, options.requests, options.callers);
        const finalLimit = prepared.limit?.();
        const stats = await simulator.stats();
        const itemsPerSecond = options.requests / run.seconds;
        const generation = stats.generation;
        const bestPerSecond = kind === 'embeddings' ? best : (generation.maxSequencesPerSecond ?? Number.NaN);
        if (kind === 'chat') result.chatSimulator = chatCeiling(settings, generation);
        const figures: RoundFigures = {
          seconds: round(run.seconds, 3),
          itemsPerSecond: round(itemsPerSecond, 1),
          fractionOfBest: round(itemsPerSecond / bestPerSecond, 4),
          p50Ms: round(percentile(run.latencies, 50), 1),
          p99Ms: round(percentile(run.latencies, 99), 1),
          failed: run.failed,
          calls: stats.faces.openai.requests,
          meanBatch: round(kind === 'embeddings' ? stats.passes.meanItems : generation.meanDecodeBatch, 1),
          simulatorBusy: nullableRound(kind === 'embeddings' ? stats.delivered : generation.delivered, 4),
          bestPerSecond: round(bestPerSecond, 1),
          ...(finalLimit === undefined ? {} : { finalLimit }),
        };
        rounds.get(contender.name)!.push(figures);
        log(
          `  item 1 ${kind} round ${r + 1}/${options.rounds} ${contender.name}: ${figures.itemsPerSecond} items/s (${(figures.fractionOfBest * 100).toFixed(1)}% of best), p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, ${figures.failed} failed, ${figures.calls} calls, ${figures.meanBatch} ${kind === 'embeddings' ? 'items/pass' : 'sequences/step'}, simulator busy ${(100 * (figures.simulatorBusy ?? 0)).toFixed(1)}% of ${figures.bestPerSecond}/s${finalLimit === undefined ? '' : `, core limit at the end ${finalLimit}`}`,
        );
      }
    }
    const results: ContenderResult[] = list.map((c) => ({
      name: c.name,
      setup: c.setup,
      rounds: rounds.get(c.name)!,
      median: medianFigures(rounds.get(c.name)!),
      ...(c.skipped ? { skipped: c.skipped } : {}),
    }));
    // Ratios are taken round by round (contenders of one round ran side by side), then the median.
    const ratio = (other: ContenderName): number | null => {
      const core = rounds.get('core')!;
      const them = rounds.get(other)!;
      if (them.length === 0) return null;
      return round(median(core.map((figures, i) => figures.itemsPerSecond / them[i]!.itemsPerSecond)), 2);
    };
    result.kinds[kind] = { contenders: results, coreVsPerRequest: ratio('per-request')!, coreVsDataloader: ratio('dataloader') };
  }
  return result;
}
