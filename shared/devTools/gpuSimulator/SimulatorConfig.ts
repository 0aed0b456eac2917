import * as z from 'zod';
import { BedrockBatchKnobsSchema, DEFAULT_BEDROCK_BATCH_KNOBS } from './bedrockBatchKnobs';

/**
 * The simulator's knobs: one zod schema for the whole configuration, one for a partial
 * update (flags, `startSimulator` options, `POST /_sim/config` all go through it), the
 * defaults, and the throughput ceiling the latency model implies.
 */

/** Port the CLI listens on when neither `--port` nor `SIM_PORT` says otherwise. */
export const DEFAULT_SIMULATOR_PORT = 8100;

const rate = z.number().min(0).max(1);
const nonNegative = z.number().finite().min(0);

/** Fault knobs of one face; every rate is a fraction of arriving requests. */
export const FaceFaultsSchema = z.strictObject({
  /** Answered 500 (OpenAI) / InternalServerException (Bedrock). */
  errorRate: rate,
  /** Answered 429 with `Retry-After` / ThrottlingException. */
  throttleRate: rate,
  /** Answered `slowMs` later than the GPU would allow. */
  slowRate: rate,
  /**
   * Accepted and never answered (a hung server): no status, no byte, until the client
   * gives up. Drawn before the other faults, from a stream of its own.
   */
  hangRate: rate,
  slowMs: nonNegative.max(600_000),
  /** Sliding 60 s budget of prompt + completion tokens; 0 means unlimited. */
  tokensPerMinute: z.number().int().min(0),
  /** `Retry-After` seconds sent with a `throttleRate` throttle. */
  retryAfterSeconds: z.number().int().min(0).max(3600),
  /** Streams broken right after their first token (OpenAI `data: {"error":...}`, Bedrock exception message). */
  midStreamErrorRate: rate,
  /**
   * What a mid-stream error says: `model` (Bedrock modelStreamErrorException, OpenAI
   * server_error), `internal` (internalServerException, server_error) or `throttled`
   * (throttlingException, rate_limit_error).
   */
  midStreamErrorKind: z.enum(['model', 'internal', 'throttled']),
});
/** Fault knobs of one face. */
export type FaceFaults = z.infer<typeof FaceFaultsSchema>;

/** The two wire protocols the simulator speaks. */
export type Face = 'openai' | 'bedrock';
/** Both faces, in a stable order (stats, PRNG streams). */
export const FACES: readonly Face[] = ['openai', 'bedrock'];

/** The whole configuration of a running simulator. */
export const SimulatorConfigSchema = z.strictObject({
  // Embeddings: forward passes over batches of items (GpuScheduler.ts).
  /** Fixed cost of one forward pass, in milliseconds. */
  passMs: nonNegative.max(600_000),
  /** Added cost of each item in a pass, in milliseconds. */
  itemMs: nonNegative.max(60_000),
  /** Forward passes that may run at the same time. */
  slots: z.number().int().min(1).max(1024),
  /** Most items one pass takes from the queue. */
  maxItemsPerPass: z.number().int().min(1).max(100_000),
  // Text generation (chat, Converse, legacy completions): continuous batching (ContinuousBatcher.ts).
  /** Sequences generating at once (vLLM's `max_num_seqs`); the rest wait. */
  maxNumSeqs: z.number().int().min(1).max(65_536),
  /** Tokens one step may process, decode tokens first, then a prefill chunk (vLLM's `max_num_batched_tokens`). */
  maxNumBatchedTokens: z.number().int().min(1).max(10_000_000),
  /** Fixed cost of one engine step, in milliseconds. */
  stepMs: nonNegative.max(60_000),
  /** Added cost of a step per sequence decoding in it, in milliseconds: steps slow down as the batch grows. */
  decodeMsPerSeq: nonNegative.max(60_000),
  /** Added cost of a step per prompt token in its prefill chunk, in milliseconds. */
  prefillMsPerToken: nonNegative.max(60_000),
  /** Embedding size when a request does not ask for one. */
  dimensions: z.number().int().min(1).max(16_384),
  /** Added to every face response, error or not. */
  addedLatencyMs: nonNegative.max(600_000),
  /**
   * Cap on each sequence's decode speed, in tokens per second: no engine step is shorter
   * than `1000 / tokensPerSecond` ms. 0: steps take what the knobs above say.
   */
  tokensPerSecond: nonNegative.max(1_000_000),
  /** Cap on completion tokens when a request gives none (OpenAI legacy default). */
  defaultMaxTokens: z.number().int().min(1).max(1_000_000),
  /** Queued items above which requests get 503; 0 means unbounded. */
  maxQueueItems: z.number().int().min(0),
  /** Seed of the fault-injection PRNG; reseeded on change and on reset. */
  seed: z.number().int(),
  /** Text that marks an input as poison (400); the empty string turns it off. */
  poisonMarker: z.string(),
  /** Models listed by `GET /v1/models` (and the only ones accepted when strict). */
  models: z.array(z.string().min(1)).min(1),
  /** Bedrock model ids accepted when strict. */
  bedrockModels: z.array(z.string().min(1)).min(1),
  /** Reject unknown models with 404 / ResourceNotFoundException instead of serving them. */
  strictModels: z.boolean(),
  openai: FaceFaultsSchema,
  bedrock: FaceFaultsSchema,
  /** Bedrock batch inference (CreateModelInvocationJob): quotas, pace and faults (bedrockBatchKnobs.ts). */
  bedrockBatch: BedrockBatchKnobsSchema,
});
/** The whole configuration of a running simulator. */
export type SimulatorConfig = z.infer<typeof SimulatorConfigSchema>;

/** A partial update; face fault knobs merge key by key. Unknown keys are rejected so typos surface. */
export const SimulatorConfigPatchSchema = SimulatorConfigSchema.omit({ openai: true, bedrock: true, bedrockBatch: true }).partial().extend({
  openai: FaceFaultsSchema.partial().optional(),
  bedrock: FaceFaultsSchema.partial().optional(),
  bedrockBatch: BedrockBatchKnobsSchema.partial().optional(),
});
/** A partial update of {@link SimulatorConfig}. */
export type SimulatorConfigPatch = z.infer<typeof SimulatorConfigPatchSchema>;

const NO_FAULTS: FaceFaults = {
  errorRate: 0,
  throttleRate: 0,
  slowRate: 0,
  hangRate: 0,
  slowMs: 0,
  tokensPerMinute: 0,
  retryAfterSeconds: 1,
  midStreamErrorRate: 0,
  midStreamErrorKind: 'model',
};

/** The configuration a simulator starts with. */
export const DEFAULT_SIMULATOR_CONFIG: Readonly<SimulatorConfig> = Object.freeze({
  passMs: 40,
  itemMs: 1.5,
  slots: 4,
  maxItemsPerPass: 64,
  // Small steps, so tests and `npm start` answer a 40-token chat in about 45 ms; the
  // benchmark states GPU-like values of its own (test/bench/run.ts).
  maxNumSeqs: 256,
  maxNumBatchedTokens: 8192,
  stepMs: 1,
  decodeMsPerSeq: 0.01,
  prefillMsPerToken: 0.001,
  dimensions: 1024,
  addedLatencyMs: 0,
  tokensPerSecond: 0,
  defaultMaxTokens: 16,
  maxQueueItems: 0,
  seed: 42,
  poisonMarker: '__POISON__',
  models: ['gpt-oss-20b', 'gpt-oss-120b', 'bge-m3'],
  bedrockModels: ['openai.gpt-oss-20b-1:0', 'openai.gpt-oss-120b-1:0', 'amazon.titan-embed-text-v2:0'],
  strictModels: false,
  openai: { ...NO_FAULTS },
  bedrock: { ...NO_FAULTS },
  bedrockBatch: { ...DEFAULT_BEDROCK_BATCH_KNOBS, dropEvents: [] },
});

/** Thrown when a configuration patch does not validate; `message` names each bad field. */
export class SimulatorConfigError extends Error {
  /** Dotted path of the first bad field, if any. */
  readonly param: string | null;

  constructor(message: string, param: string | null) {
    super(message);
    this.name = 'SimulatorConfigError';
    this.param = param;
  }
}

/** Renders zod issues as `path: message; …` so a 400 says exactly what was wrong. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ');
}

/** Dotted path of the first bad field (an unknown key names the key itself), or null. */
export function firstIssueParam(error: z.ZodError): string | null {
  const issue = error.issues[0];
  if (!issue) return null;
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
  return (
    path
      .map(String)
      .filter((part) => part !== '')
      .join('.') || null
  );
}

/**
 * Validates `patch` and returns `base` with it applied (a new object; `base` is untouched).
 * @throws SimulatorConfigError when the patch is not a valid partial configuration.
 */
export function applyConfigPatch(base: SimulatorConfig, patch: unknown): SimulatorConfig {
  const parsed = SimulatorConfigPatchSchema.safeParse(patch);
  if (!parsed.success) {
    throw new SimulatorConfigError(describeIssues(parsed.error), firstIssueParam(parsed.error));
  }
  const { openai, bedrock, bedrockBatch, ...top } = parsed.data;
  const defined = Object.fromEntries(Object.entries(top).filter(([, value]) => value !== undefined));
  return {
    ...base,
    ...defined,
    models: [...(top.models ?? base.models)],
    bedrockModels: [...(top.bedrockModels ?? base.bedrockModels)],
    openai: { ...base.openai, ...stripUndefined(openai) },
    bedrock: { ...base.bedrock, ...stripUndefined(bedrock) },
    bedrockBatch: { ...base.bedrockBatch, ...stripUndefined(bedrockBatch) },
  };
}

function stripUndefined<T extends object>(value: T | undefined): Partial<T> {
  if (!value) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The best throughput of the embedding passes, in items per second: every slot always
 * busy with full passes, `slots * maxItemsPerPass / (passMs + maxItemsPerPass * itemMs)`.
 * Batching is judged against this ceiling, not against earlier runs of our own.
 */
export function maxItemsPerSecond(config: Pick<SimulatorConfig, 'slots' | 'maxItemsPerPass' | 'passMs' | 'itemMs'>): number {
  const passMs = config.passMs + config.maxItemsPerPass * config.itemMs;
  // A zero-cost pass still takes one timer tick (setTimeout clamps to 1 ms).
  return (config.slots * config.maxItemsPerPass * 1000) / Math.max(passMs, 1);
}

/** The shape of the generations a ceiling is computed for. */
export interface GenerationShape {
  /** Prompt tokens of one request (at least 1 is read). */
  promptTokens: number;
  /** Completion tokens of one request. */
  completionTokens: number;
}

type GenerationKnobs = Pick<
  SimulatorConfig,
  'maxNumSeqs' | 'maxNumBatchedTokens' | 'stepMs' | 'decodeMsPerSeq' | 'prefillMsPerToken' | 'tokensPerSecond'
>;

/**
 * The best throughput of the generation engine, in requests per second, for requests of
 * P prompt and C completion tokens (S = maxNumSeqs, B = maxNumBatchedTokens):
 *
 *   1000 / ( stepMs × max(C / S, (P + C − 1) / B) + (C − 1) × decodeMsPerSeq + P × prefillMsPerToken )
 *
 * A request holds a place in the batch for C steps (the step that reads the end of its
 * prompt yields its first token, each later step one more) and spends P + C − 1 tokens of
 * step budget, so it needs at least max(C / S, (P + C − 1) / B) of a step's fixed cost;
 * its C − 1 decode tokens and P prompt tokens add their own cost wherever they run. With
 * `tokensPerSecond` set, a step lasts at least 1000 / tokensPerSecond ms, which also caps
 * the result at S × tokensPerSecond / C. Tokens per second are the result times C.
 * The engine reaches the bound when S sequences always run and the budget is never short.
 */
export function maxSequencesPerSecond(config: GenerationKnobs, shape: GenerationShape): number {
  const prompt = Math.max(1, shape.promptTokens);
  const completion = Math.max(1, shape.completionTokens);
  const stepShare = Math.max(completion / config.maxNumSeqs, (prompt + completion - 1) / config.maxNumBatchedTokens);
  const msPerRequest = config.stepMs * stepShare + (completion - 1) * config.decodeMsPerSeq + prompt * config.prefillMsPerToken;
  const byKnobs = msPerRequest > 0 ? 1000 / msPerRequest : Number.POSITIVE_INFINITY;
  const byFloor = config.tokensPerSecond > 0 ? (config.maxNumSeqs * config.tokensPerSecond) / completion : Number.POSITIVE_INFINITY;
  return Math.min(byKnobs, byFloor);
}
