import { Agent, request } from 'node:http';
import { BatchingCore } from '../../../shared/batchingCore/BatchingCore';
import type { BatchItem, ItemResult } from '../../../shared/batchingCore/types';
import { ingestObject } from '../../../shared/batchJobs/ingest/ingestObject';
import type { ModelCatalogue } from '../../../shared/domain/catalogue';
import type {
  ChatCall,
  ChatDelta,
  ChatResult,
  EmbeddingInput,
  EmbeddingResult,
  InferenceInput,
  InferenceOutput,
} from '../../../shared/domain/inference';
import { createInferenceRuntime } from '../../../shared/wiring/realtime';
import { chatItems } from '../../../shared/realtime/chatRequests';
import { embeddingItems } from '../../../shared/realtime/embeddingsRequests';
import type { ChunkMessage, FinalizeMessage } from '../../../shared/batchJobs/job/Job';
import type { MessageSender } from '../../../shared/domain/ports';
import { runChunk } from '../../../shared/batchJobs/run/runChunk';
import type { InferenceProvider } from '../../../shared/providers/types';
import { ModelRouter } from '../../../shared/routing/ModelRouter';
import { MemoryJobStore } from '../../helpers/memoryPorts';
import { benchConfig, simulatorCatalogue } from '../benchCatalogue';
import { MemoryObjectStore } from '../../helpers/memoryPorts';
import type { SimulatorProcess } from '../simulatorProcess';
import { median, round } from '../stats';

/**
 * Item 3, overhead per request: the CPU time (user + system, `process.cpuUsage`) this
 * process spends per request in each stage, with the simulator (in its own process, so
 * its CPU is not counted) answering at once, against a bare `JSON.parse` +
 * `JSON.stringify` of the same input lines. Chat and embeddings lines are measured
 * apart, since an embeddings result (1,024 floats) costs far more to carry than a reply.
 *
 * Stages: ingest (stream, parse, validate, plan chunks, send chunk messages); the core
 * alone (an in-process provider that answers at once: packing, limiter, outcomes); the
 * core with the real OpenAI-compatible provider over HTTP; the chunk worker (range read,
 * parse, validate, batch, call, serialise result lines, write parts, record the chunk).
 * Two references price the transport alone: the same calls the provider makes (one per
 * chat request, one per 64 embeddings inputs), as bare POSTs whose JSON answer is parsed,
 * with the global `fetch` and with `node:http` and a keep-alive agent.
 *
 * The cost of a call (issue 16, item 2): CPU per chat request through the core and the
 * provider, against the bare `node:http` keep-alive POST of the same call to the same
 * server, both measured in the same rounds ({@link CallCost}); the goal is within ×2.
 */

export type Stage =
  | 'bare JSON.parse+stringify'
  | 'ingest'
  | 'core (instant provider)'
  | 'core + provider (HTTP)'
  | 'chunk worker'
  | 'bare HTTP: fetch'
  | 'bare HTTP: node:http';
export const STAGES: readonly Stage[] = [
  'bare JSON.parse+stringify',
  'ingest',
  'core (instant provider)',
  'core + provider (HTTP)',
  'chunk worker',
  'bare HTTP: fetch',
  'bare HTTP: node:http',
];

/** Calls made at once by the bare HTTP references (the work is the same calls the provider makes). */
const BARE_HTTP_CONCURRENCY = 64;

/** How item 3 runs. */
export interface OverheadOptions {
  lines: number;
  rounds: number;
}

/** CPU per chat request through core + provider against the bare `node:http` POST, side by side. */
export interface CallCost {
  coreMicrosPerRequest: number;
  bareNodeHttpMicrosPerRequest: number;
  /** Median over rounds of core ÷ bare, each pair measured in the same round. */
  ratio: number;
  rounds: number[];
}

/** The goal of issue 16: a call through core and provider costs at most twice the bare POST. */
export const CALL_COST_GOAL = 2;

/** Item 3's result: median µs of CPU per request, and its ratio to the bare parse+stringify. */
export interface OverheadResult {
  options: OverheadOptions;
  callCost: CallCost;
  kinds: Record<
    'chat' | 'embeddings',
    { stages: Array<{ stage: Stage; microsPerRequest: number; ratioToBare: number; rounds: number[] }> }
  >;
}

const BUCKET = 'bench';
const VECTOR = Array.from({ length: 1024 }, (_, i) => Math.sin(i) / 32);

/** Answers every call at once, as a provider over a zero-latency network would. */
class InstantProvider implements InferenceProvider {
  readonly kind = 'openai-compatible' as const;
  readonly maxEmbeddingInputs = 64;
  async chat(call: ChatCall): Promise<ChatResult> {
    return {
      content: `reply to ${call.messages.length} messages`,
      finishReason: 'stop',
      usage: { promptTokens: 12, completionTokens: 16 },
    };
  }
  async *chatStream(call: ChatCall): AsyncGenerator<ChatDelta> {
    const result = await this.chat(call);
    yield { content: result.content ?? '' };
    yield { finishReason: result.finishReason, usage: result.usage };
  }
  async embed(_model: string, inputs: EmbeddingInput[]): Promise<ItemResult<EmbeddingResult>[]> {
    return inputs.map(() => ({
      ok: true as const,
      value: { vector: VECTOR, usage: { promptTokens: 4, completionTokens: 0 } },
      usage: { promptTokens: 4, completionTokens: 0 },
    }));
  }
}

/** Sends nothing, but serialises each message as SQS would carry it. */
class SerialisingSender<M> implements MessageSender<M> {
  readonly sent: M[] = [];
  async send(messages: readonly M[]): Promise<void> {
    for (const message of messages) JSON.stringify(message);
    this.sent.push(...messages);
  }
}

function linesOf(kind: 'chat' | 'embeddings', count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify(
      kind === 'chat'
        ? {
            custom_id: `req-${i + 1}`,
            method: 'POST',
            url: '/v1/chat/completions',
            body: {
              model: 'gpt-oss-20b',
              messages: [{ role: 'user', content: `Question number ${i + 1}: why do GPUs like batches?` }],
              max_tokens: 16,
            },
          }
        : {
            custom_id: `req-${i + 1}`,
            method: 'POST',
            url: '/v1/embeddings',
            body: { model: 'bge-m3', input: `Passage number ${i + 1}: GPUs like batches.` },
          },
    ),
  );
}

function itemsOf(kind: 'chat' | 'embeddings', count: number, catalogue: ModelCatalogue): BatchItem<InferenceInput>[] {
  const model = catalogue.models.find((entry) => entry.id === (kind === 'chat' ? 'gpt-oss-20b' : 'bge-m3'))!;
  return Array.from(
    { length: count },
    (_, i) =>
      (kind === 'chat'
        ? chatItems(
            {
              model: model.id,
              messages: [{ role: 'user', content: `Question number ${i + 1}: why do GPUs like batches?` }],
              max_tokens: 16,
            },
            model,
            { idPrefix: `${i + 1}#` },
          )
        : embeddingItems({ model: model.id, input: `Passage number ${i + 1}: GPUs like batches.` }, model, { idPrefix: `${i + 1}#` }))[0]!,
  );
}

/** The bodies of the calls the provider makes for `count` requests: one per chat request, one per 64 embeddings inputs. */
function callBodies(kind: 'chat' | 'embeddings', count: number): { path: string; bodies: string[] } {
  if (kind === 'chat') {
    return {
      path: '/v1/chat/completions',
      bodies: Array.from({ length: count }, (_, i) =>
        JSON.stringify({
          model: 'gpt-oss-20b',
          messages: [{ role: 'user', content: `Question number ${i + 1}: why do GPUs like batches?` }],
          max_tokens: 16,
          stream: false,
        }),
      ),
    };
  }
  const bodies: string[] = [];
  for (let at = 0; at < count; at += 64) {
    const input = Array.from({ length: Math.min(64, count - at) }, (_, i) => `Passage number ${at + i + 1}: GPUs like batches.`);
    bodies.push(JSON.stringify({ model: 'bge-m3', input, encoding_format: 'float' }));
  }
  return { path: '/v1/embeddings', bodies };
}

/** Sends every body, `BARE_HTTP_CONCURRENCY` at a time, and parses each answer. */
async function postAll(bodies: string[], post: (body: string) => Promise<string>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: BARE_HTTP_CONCURRENCY }, async () => {
      for (;;) {
        const body = bodies[next++];
        if (body === undefined) return;
        JSON.parse(await post(body));
      }
    }),
  );
}

function fetchPost(url: string): (body: string) => Promise<string> {
  return async (body) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${text}`);
    return text;
  };
}

function nodeHttpPost(url: string, agent: Agent): (body: string) => Promise<string> {
  return (body) =>
    new Promise((resolve, reject) => {
      const call = request(
        url,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          const parts: Buffer[] = [];
          response.on('data', (part: Buffer) => parts.push(part));
          response.on('end', () =>
            response.statusCode === 200 ? resolve(Buffer.concat(parts).toString('utf8')) : reject(new Error(`HTTP ${response.statusCode}`)),
          );
          response.on('error', reject);
        },
      );
      call.on('error', reject);
      call.end(body);
    });
}

/** CPU microseconds `work` takes in this process. */
async function cpuMicros(work: () => Promise<unknown> | unknown): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const spent = process.cpuUsage(before);
  return spent.user + spent.system;
}

/** Runs item 3 against a running simulator, which is set to answer at once for it. */
export async function runOverhead(
  simulator: SimulatorProcess,
  options: OverheadOptions,
  log: (line: string) => void,
): Promise<OverheadResult> {
  const previous = await simulator.config();
  await simulator.updateConfig({ passMs: 0, itemMs: 0, stepMs: 0, decodeMsPerSeq: 0, prefillMsPerToken: 0, tokensPerSecond: 0 });
  try {
    const catalogue = simulatorCatalogue(simulator.url);
    const config = benchConfig(simulator.url, catalogue, { MAX_LINES_PER_JOB: String(options.lines + 1) });
    const result = { options, kinds: {} } as OverheadResult;
    for (const kind of ['chat', 'embeddings'] as const) {
      const lines = linesOf(kind, options.lines);
      const text = `${lines.join('\n')}\n`;
      const items = itemsOf(kind, options.lines, catalogue);
      const runtime = createInferenceRuntime(config);
      const instant = new ModelRouter(catalogue, { providerFor: () => new InstantProvider(), failureThreshold: 1_000, cooldownMs: 1_000 });
      const instantCore = new BatchingCore<InferenceInput, InferenceOutput>(instant, { maxAttempts: 3, deadlineSafetyMs: 250 });
      const jobs = new MemoryJobStore();
      const objects = new MemoryObjectStore({ pieceBytes: 64 * 1024 });
      let key = 0;
      const samples = new Map<Stage, number[]>(STAGES.map((stage) => [stage, []]));

      const measureIngestAndWorker = async (record: boolean): Promise<void> => {
        key += 1;
        const objectKey = `inbox/bench/${kind}-${key}.jsonl`;
        await objects.write(BUCKET, objectKey, text);
        const head = (await objects.head(BUCKET, objectKey))!;
        const chunks = new SerialisingSender<ChunkMessage>();
        const ingest = await cpuMicros(() =>
          ingestObject(
            { jobs, objects, chunks, limits: config.limits, resolveModel: (id, modelKind) => runtime.router.model(id, modelKind) },
            { tenantId: 'bench', bucket: BUCKET, key: objectKey, etag: head.etag },
          ),
        );
        const finalize = new SerialisingSender<FinalizeMessage>();
        let attempts = 0;
        const deps = {
          jobs,
          objects,
          finalize,
          core: runtime.core,
          router: runtime.router,
          maxLineBytes: config.limits.maxLineBytes,
          newAttemptId: () => `a${++attempts}`,
          now: Date.now,
        };
        const worker = await cpuMicros(async () => {
          for (const message of chunks.sent) {
            const outcome = await runChunk(deps, message, { deadline: Date.now() + 300_000 });
            if (outcome.status !== 'done') throw new Error(`chunk ${message.chunk.index} ended ${outcome.status}`);
          }
        });
        if (record) {
          samples.get('ingest')!.push(ingest / options.lines);
          samples.get('chunk worker')!.push(worker / options.lines);
        }
      };
      const stagesRun: Record<string, (record: boolean) => Promise<void>> = {
        bare: async (record) => {
          const spent = await cpuMicros(() => {
            let size = 0;
            for (const line of lines) size += JSON.stringify(JSON.parse(line)).length;
            return size;
          });
          if (record) samples.get('bare JSON.parse+stringify')!.push(spent / options.lines);
        },
        ingestAndWorker: measureIngestAndWorker,
        instantCore: async (record) => {
          const spent = await cpuMicros(async () => {
            const outcomes = await instantCore.run(items);
            if (outcomes.some((outcome) => outcome.status !== 'succeeded')) throw new Error('instant core: an item did not succeed');
          });
          if (record) samples.get('core (instant provider)')!.push(spent / options.lines);
        },
        httpCore: async (record) => {
          const spent = await cpuMicros(async () => {
            const outcomes = await runtime.core.run(items);
            if (outcomes.some((outcome) => outcome.status !== 'succeeded')) throw new Error('core: an item did not succeed');
          });
          if (record) samples.get('core + provider (HTTP)')!.push(spent / options.lines);
        },
      };
      const calls = callBodies(kind, options.lines);
      stagesRun.bareFetch = async (record) => {
        const spent = await cpuMicros(() => postAll(calls.bodies, fetchPost(`${simulator.url}${calls.path}`)));
        if (record) samples.get('bare HTTP: fetch')!.push(spent / options.lines);
      };
      stagesRun.bareNodeHttp = async (record) => {
        // A fresh pool each time: a socket left idle between rounds may be closed by the
        // server's keep-alive timeout just as it is reused ("socket hang up").
        const agent = new Agent({ keepAlive: true, maxSockets: BARE_HTTP_CONCURRENCY });
        try {
          const spent = await cpuMicros(() => postAll(calls.bodies, nodeHttpPost(`${simulator.url}${calls.path}`, agent)));
          if (record) samples.get('bare HTTP: node:http')!.push(spent / options.lines);
        } finally {
          agent.destroy();
        }
      };
      const names = Object.keys(stagesRun);
      // One unmeasured pass of every stage first: JIT, connection pools, limiter growth.
      for (const name of names) await stagesRun[name]!(false);
      for (let r = 0; r < options.rounds; r++) {
        const order = names.map((_, i) => names[(i + r) % names.length]!);
        for (const name of order) await stagesRun[name]!(true);
      }
      const bare = median(samples.get('bare JSON.parse+stringify')!);
      result.kinds[kind] = {
        stages: STAGES.map((stage) => {
          const values = samples.get(stage)!;
          const micros = median(values);
          return {
            stage,
            microsPerRequest: round(micros, 1),
            ratioToBare: round(micros / bare, 1),
            rounds: values.map((v) => round(v, 1)),
          };
        }),
      };
      log(`  item 3 ${kind}: ${result.kinds[kind].stages.map((s) => `${s.stage} ${s.microsPerRequest} µs`).join(', ')}`);
      if (kind === 'chat') {
        const core = samples.get('core + provider (HTTP)')!;
        const bareHttp = samples.get('bare HTTP: node:http')!;
        const ratios = core.map((micros, i) => micros / bareHttp[i]!);
        result.callCost = {
          coreMicrosPerRequest: round(median(core), 1),
          bareNodeHttpMicrosPerRequest: round(median(bareHttp), 1),
          ratio: round(median(ratios), 2),
          rounds: ratios.map((ratio) => round(ratio, 2)),
        };
        log(
          `  item 3 CPU per chat call: core + provider ${result.callCost.coreMicrosPerRequest} µs, bare node:http ${result.callCost.bareNodeHttpMicrosPerRequest} µs (×${result.callCost.ratio}; goal ≤ ×${CALL_COST_GOAL})`,
        );
      }
    }
    return result;
  } finally {
    const { passMs, itemMs, stepMs, decodeMsPerSeq, prefillMsPerToken, tokensPerSecond } = previous;
    await simulator.updateConfig({ passMs, itemMs, stepMs, decodeMsPerSeq, prefillMsPerToken, tokensPerSecond });
  }
}
