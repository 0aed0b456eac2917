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
import type { SimulatorProcess } from '../simulatorProcess';
import { median, nowMs, percentile, round } from '../stats';

/**
 * Item 1, backend utilisation: the GPU simulator configured like a GPU server, and the
 * same demand pushed through three clients side by side — the batching core, one request
 * per call with the core's concurrency, and `dataloader` with its defaults — for
 * embeddings (lists batched into one call) and chat (one call per request). Each client's
 * throughput is reported as a fraction of the best the simulator's settings allow.
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
  /** What the simulator saw: calls, mean items per forward pass, busy-slot utilisation. */
  calls: number;
  meanItemsPerPass: number;
  simulatorUtilisation: number | null;
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
  workload: UtilisationOptions;
  kinds: Record<Kind, { contenders: ContenderResult[]; coreVsPerRequest: number; coreVsDataloader: number | null }>;
}

type Send = (index: number) => Promise<boolean>;

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

  const batchItems = kind === 'embeddings' ? `${Math.min(backend.maxBatchItems, 64)} items a call` : '1 item a call';
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
      setup: `one request per call, at most ${backend.maxConcurrency} calls in flight (the core's maxConcurrency)`,
      prepare() {
        const client = provider();
        const limit = semaphore(backend.maxConcurrency);
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
          ? `dataloader ${loaded.version}, defaults (batch per tick, no maxBatchSize); batch function: one embeddings call with the list`
          : `dataloader ${loaded.version}, defaults (batch per tick); batch function: one chat call per key, all at once`,
      prepare() {
        const client = provider();
        const loader = new loaded.DataLoader<number, unknown>(async (keys) => {
          if (kind === 'embeddings') {
            const results = await client.embed(backend.model, keys.map(textOf)).catch((error: Error) => keys.map(() => error));
            return results.map((result) => (result instanceof Error ? result : result.ok ? result.value : new Error(result.error.message)));
          }
          return Promise.all(
            keys.map((index) =>
              callOnce(client, index).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
            ),
          );
        });
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
    round(median(rounds.map((r) => r[key] ?? Number.NaN)), key === 'fractionOfBest' || key === 'simulatorUtilisation' ? 4 : 2);
  return {
    seconds: pick('seconds'),
    itemsPerSecond: pick('itemsPerSecond'),
    fractionOfBest: pick('fractionOfBest'),
    p50Ms: pick('p50Ms'),
    p99Ms: pick('p99Ms'),
    failed: pick('failed'),
    calls: pick('calls'),
    meanItemsPerPass: pick('meanItemsPerPass'),
    simulatorUtilisation: pick('simulatorUtilisation'),
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
        const figures: RoundFigures = {
          seconds: round(run.seconds, 3),
          itemsPerSecond: round(itemsPerSecond, 1),
          fractionOfBest: round(itemsPerSecond / best, 4),
          p50Ms: round(percentile(run.latencies, 50), 1),
          p99Ms: round(percentile(run.latencies, 99), 1),
          failed: run.failed,
          calls: stats.faces.openai.requests,
          meanItemsPerPass: round(stats.passes.meanItems, 1),
          simulatorUtilisation: stats.utilisation === null ? null : round(stats.utilisation, 4),
          ...(finalLimit === undefined ? {} : { finalLimit }),
        };
        rounds.get(contender.name)!.push(figures);
        log(
          `  item 1 ${kind} round ${r + 1}/${options.rounds} ${contender.name}: ${figures.itemsPerSecond} items/s (${(figures.fractionOfBest * 100).toFixed(1)}% of best), p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, ${figures.failed} failed, ${figures.calls} calls, ${figures.meanItemsPerPass} items/pass${finalLimit === undefined ? '' : `, core limit at the end ${finalLimit}`}`,
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
