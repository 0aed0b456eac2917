import * as z from 'zod';
import { ServiceTier } from './pricing';

/** A backend's `maxConcurrency` when neither it nor a pool's `maxNumSeqs` says otherwise. */
const DEFAULT_MAX_CONCURRENCY = 16;

const BackendCommon = {
  /** Unique name of this backend: the key for its concurrency limit and circuit breaker. */
  id: z.string().min(1),
  /** The model's name on that backend (vLLM's served name, Bedrock's model id). */
  model: z.string().min(1),
  /**
   * Upper bound for the adaptive concurrency limit of this backend. Default: sized from a
   * pool's `maxNumSeqs` where it states one (see {@link sizeConcurrency}), else 16.
   */
  maxConcurrency: z.number().int().positive().default(DEFAULT_MAX_CONCURRENCY),
  /**
   * Calls the backend is expected to take at once: where its adaptive limit starts in a
   * new container, before probing up to `maxConcurrency`, and the floor of its latency
   * backoff. Default: a pool's sequences in calls, or its ceiling when a call carries
   * several items ({@link sizeConcurrency}), else half of `maxConcurrency`; always set once parsed.
   */
  expectedConcurrency: z.number().int().positive().optional(),
  /**
   * The backend's capacity across the whole fleet: the most calls in flight against it,
   * summed over every worker and API container (a GPU pool: its servers × about twice
   * their `max_num_seqs`; Bedrock: what the account's quota sustains). Containers lease
   * shares of it (README, "One budget per backend"). Absent: a GPU pool's budget is its
   * `maxConcurrency` (the pool's capacity), and a Bedrock backend has none (each container
   * only has its own adaptive limit); see {@link fleetConcurrencyOf}.
   */
  fleetConcurrency: z.number().int().positive().optional(),
  /**
   * Calls that fill the backend's servers' sequences at once; calls past it wait in the
   * servers' own queue, first come, first served, where no priority reaches them. While
   * real-time traffic is about, the batching core keeps batch under it less the real-time
   * reserve, and counts its latency guard against it (README, "Shares and priorities").
   * Default: a pool's `maxNumSeqs × servers` when its calls carry one item each
   * ({@link sizeConcurrency}); absent, the adaptive limit stands for it.
   */
  serverSlots: z.number().int().positive().optional(),
  /** Most items one call may carry (1: one request per call). */
  maxBatchItems: z.number().int().positive().default(1),
  /** Token budget of one call, summed over its items. */
  maxBatchTokens: z.number().int().positive().default(100_000),
  /** What one call is expected to take before any has been measured. */
  expectedLatencyMs: z.number().int().positive().default(2_000),
  /** Longest a single call may take before it is abandoned (for a stream: until its first piece). */
  timeoutMs: z.number().int().positive().default(60_000),
  /**
   * Request features this backend serves beyond the common ones; a request using one
   * is routed only to backends listing it. Defaults by provider (see {@link backendFeatures}).
   */
  features: z.array(z.enum(['seed', 'penalties', 'logprobs', 'logit_bias'])).optional(),
  /** The `dimensions` values an embeddings request may ask of this backend; none when absent. */
  embeddingDimensions: z.array(z.number().int().positive()).optional(),
};

/** An OpenAI-compatible HTTP endpoint pool (vLLM, TGI, Ollama on EC2 GPUs). */
export const OpenAiCompatibleBackend = z.strictObject({
  provider: z.literal('openai-compatible'),
  ...BackendCommon,
  baseUrls: z.array(z.url()).min(1),
  apiKey: z.string().optional(),
  /**
   * Sequences one server of the pool runs at once (vLLM's `--max-num-seqs`; its default
   * is 256 on GPUs under 70 GiB and 1,024 on H100-class ones). Sizes the pool's
   * concurrency from its servers when `maxConcurrency` is not given ({@link sizeConcurrency}).
   */
  maxNumSeqs: z.number().int().positive().optional(),
  /**
   * How long a server's `GET /v1/models` is trusted: a request goes only to the servers
   * that list its `model`, and a server that cannot be listed gets no work. 0 sends every
   * request to every server in turn, unchecked.
   */
  modelListTtlMs: z.number().int().nonnegative().default(30_000),
  /** The EC2 instance type of one server of the pool: what its time is priced at (`PRICE_TABLE.gpuInstanceHour`). */
  instanceType: z.string().min(1).default('g6e.xlarge'),
  /**
   * Seconds the pool takes to have capacity again when it has none (an instance's start-up:
   * launch, weights, engine): how long batch work may wait for it rather than go to its
   * fallback (shared/fleet/batchOverflow.ts). Absent: the rule's default.
   */
  startupSeconds: z.number().int().nonnegative().optional(),
  /**
   * What one server of the pool processes per second with its batch full (input tokens
   * prefilled, output tokens generated): the job's GPU time is estimated from the tokens
   * served divided by these. Measure your own (`npm run bench`) and set them here.
   */
  throughput: z
    .strictObject({ inputTokensPerSecond: z.number().positive(), outputTokensPerSecond: z.number().positive() })
    .default({ inputTokensPerSecond: 20_000, outputTokensPerSecond: 2_000 }),
});

/**
 * Bedrock batch inference for a Bedrock backend (`CreateModelInvocationJob`): when a job's
 * lines of the model may go to it, and the quotas its Bedrock jobs are packed to. The
 * defaults are AWS's published quotas (Bedrock, "batch inference"); raise them where the
 * account's quotas were raised.
 */
export const BatchInferenceRoute = z.strictObject({
  /** Whether a job uses the route unless its `metadata.bedrock_batch` says otherwise (`on`/`off`). */
  enabled: z.boolean().default(true),
  /** Fewest records a Bedrock job takes (AWS: 100); a model's share of a job below it runs on demand. */
  minRecords: z.number().int().positive().default(100),
  /** Most records per Bedrock job, and per input file (AWS: 50,000). */
  maxRecords: z.number().int().positive().default(50_000),
  /** Most bytes per input file (AWS: 1 GB); one file per Bedrock job here. */
  maxFileBytes: z.number().int().positive().default(1_000_000_000),
  /** Most bytes per Bedrock job, all its files (AWS: 5 GB). */
  maxJobBytes: z.number().int().positive().default(5_000_000_000),
  /** Bedrock jobs of the model submitted or running at once (AWS: 20 per model); more wait their turn. */
  maxConcurrentJobs: z.number().int().positive().default(20),
  /** Bedrock's own timeout for a job (`timeoutDurationInHours`, AWS: 24 to 168). */
  timeoutHours: z.number().int().min(24).max(168).default(24),
  /**
   * Least time a job's completion window must have left for its lines to go to batch
   * inference; the rest of the window is room to run them on demand if Bedrock fails.
   */
  minWindowSeconds: z
    .number()
    .int()
    .nonnegative()
    .default(6 * 60 * 60),
});
export type BatchInferenceRoute = z.infer<typeof BatchInferenceRoute>;

/** A model on Amazon Bedrock. */
export const BedrockBackend = z.strictObject({
  provider: z.literal('bedrock'),
  ...BackendCommon,
  region: z.string().optional(),
  /** Batch inference for this model's batch lines; absent: the model has no batch route. */
  batchInference: BatchInferenceRoute.optional(),
  /** Only for local runs and tests: where the Bedrock Runtime API is served. */
  endpoint: z.url().optional(),
  /**
   * The on-demand service tiers Bedrock offers for this model in its region (AWS's
   * "Service tiers" page lists the models with Flex and Priority). A call asks for a tier
   * only when it is listed here; otherwise it goes Standard.
   */
  serviceTiers: z.array(ServiceTier).default(['standard']),
});

export type BedrockBackend = z.infer<typeof BedrockBackend>;

/**
 * The tier a Bedrock backend is called in when `wanted` is asked for: `wanted` where the
 * catalogue says the model offers it, Standard otherwise (every model has Standard).
 */
export function bedrockTierFor(ref: Pick<BedrockBackend, 'serviceTiers'>, wanted: ServiceTier): ServiceTier {
  return ref.serviceTiers.includes(wanted) ? wanted : 'standard';
}

const BackendShape = z.discriminatedUnion('provider', [OpenAiCompatibleBackend, BedrockBackend]);

/** One backend of a model, its concurrency filled in by {@link sizeConcurrency}. */
export const BackendRef = z.preprocess(sizeConcurrency, BackendShape);
export type BackendRef = z.infer<typeof BackendRef>;
/** A backend as a catalogue writes it, before defaults. */
export type BackendRefInput = z.input<typeof BackendShape>;

/**
 * Fills a backend's concurrency from what is known of it, before validation: the one
 * rule of how many calls a backend takes.
 * - A pool that states `maxNumSeqs` runs `maxNumSeqs × servers` sequences at once: those
 *   sequences in calls (÷ `maxBatchItems`, rounded up) fill it. `maxConcurrency` is twice
 *   that, so one server-full is queued behind the running one and a sequence that ends
 *   is taken up at once, not after the next call's round trip (the limiter probes up to
 *   it, and backs off on throttles and rising latency).
 * - Where such a pool starts ({@link poolStart}): at the sequences that fill it when a call
 *   carries one item, at its ceiling when calls carry several. With one item a call,
 *   those sequences are its `serverSlots`; calls of several items need the queue (a
 *   pass frees all its items' sequences at once), and a pass is short, so they have none.
 * - Otherwise `maxConcurrency` defaults to {@link DEFAULT_MAX_CONCURRENCY} and
 *   `expectedConcurrency` to half of it (rounded up): slow start reaches the ceiling in
 *   one round.
 * Values the catalogue gives are kept; `expectedConcurrency` never exceeds `maxConcurrency`.
 */
export function sizeConcurrency(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const ref = raw as Record<string, unknown>;
  const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value > 0;
  const perCall = isCount(ref.maxBatchItems) ? ref.maxBatchItems : 1;
  const servers = ref.provider === 'openai-compatible' && Array.isArray(ref.baseUrls) ? ref.baseUrls.length : 0;
  const pooled = isCount(ref.maxNumSeqs) && servers > 0 ? Math.ceil((ref.maxNumSeqs * servers) / perCall) : undefined;
  const maxConcurrency = ref.maxConcurrency ?? (pooled === undefined ? DEFAULT_MAX_CONCURRENCY : 2 * pooled);
  if (!isCount(maxConcurrency)) return { ...ref, maxConcurrency };
  const expected = ref.expectedConcurrency ?? (pooled === undefined ? Math.ceil(maxConcurrency / 2) : poolStart(pooled, perCall));
  const serverSlots = ref.serverSlots ?? (perCall === 1 ? pooled : undefined);
  return {
    ...ref,
    maxConcurrency,
    expectedConcurrency: isCount(expected) ? Math.min(expected, maxConcurrency) : expected,
    ...(serverSlots === undefined ? {} : { serverSlots }),
  };
}

/**
 * Where the adaptive limit of a pool starts, given the calls that fill its servers
 * (`pooled`) and the items each call carries: also the floor its latency backoff keeps.
 * - One item a call: `pooled`. Calls end one sequence at a time, so while one answer
 *   travels back the others keep the servers full; slow start adds the queue behind
 *   them in one round.
 * - Several items a call: `2 × pooled`, the pool's ceiling. A call frees all its items'
 *   sequences at once (a whole forward pass), and they idle until the next call arrives
 *   unless one is already queued; so a batched pool runs with one server-full queued
 *   behind the running one from its first call. Four calls of 64 on a 256-sequence
 *   server would otherwise leave each pass's slot waiting for the next call's round trip
 *   until slow start had doubled the limit. Rising latency then has nothing to trim (the
 *   ceiling already bounds the queue to one server-full); a throttle still halves it.
 */
function poolStart(pooled: number, itemsPerCall: number): number {
  return itemsPerCall > 1 ? 2 * pooled : pooled;
}

/**
 * The fleet-wide budget of a backend (`fleetConcurrency`): as the catalogue says, else a GPU
 * pool's `maxConcurrency`, which is sized to the pool's servers; undefined (no shared
 * budget) for a Bedrock backend that names none, whose quota is the account's, not a pool's.
 */
export function fleetConcurrencyOf(ref: BackendRef): number | undefined {
  return ref.fleetConcurrency ?? (ref.provider === 'openai-compatible' ? ref.maxConcurrency : undefined);
}

/** A chat feature a backend may or may not serve. */
export type BackendFeature = NonNullable<BackendRef['features']>[number];

/**
 * The features a backend serves: its catalogue list, or its provider's: vLLM-style
 * servers take `seed`, penalties, `logprobs` and `logit_bias`; Bedrock's Converse has
 * none of them.
 */
export function backendFeatures(ref: BackendRef): readonly BackendFeature[] {
  return ref.features ?? (ref.provider === 'openai-compatible' ? ['seed', 'penalties', 'logprobs', 'logit_bias'] : []);
}

/**
 * Something a request needs of the backend that serves it: a chat feature, an
 * embedding size (`dimensions=256`), or token-id input (`token_input`).
 */
export type BackendRequirement = BackendFeature | `dimensions=${number}` | 'token_input';

/** Whether a backend can serve a requirement; the one rule the router and the request checks share. */
export function servesRequirement(ref: BackendRef, requirement: BackendRequirement): boolean {
  if (requirement === 'token_input') return ref.provider === 'openai-compatible';
  if (requirement.startsWith('dimensions='))
    return ref.embeddingDimensions?.includes(Number(requirement.slice('dimensions='.length))) ?? false;
  return backendFeatures(ref).includes(requirement as BackendFeature);
}

/** One public model: what callers name, what it can do, and where it runs, in order of preference. */
export const ModelEntry = z.strictObject({
  id: z.string().min(1),
  kind: z.enum(['chat', 'embeddings']),
  ownedBy: z.string().default('platform'),
  /** Context window in tokens: input (plus max output for chat) must fit. */
  contextTokens: z.number().int().positive(),
  /** Ceiling for generated tokens, reasoning included (chat); also the default when a request names none. */
  maxOutputTokens: z.number().int().positive().default(4_096),
  /** Whether the model reasons before answering, so that `reasoning_effort` means something. */
  reasoning: z.boolean().default(false),
  backends: z.array(BackendRef).min(1),
});
export type ModelEntry = z.infer<typeof ModelEntry>;

/** The model catalogue: public model names mapped to ordered lists of backends. */
export const ModelCatalogue = z.object({ models: z.array(ModelEntry).min(1) }).superRefine((catalogue, ctx) => {
  const seen = new Set<string>();
  catalogue.models.forEach((model, i) => {
    if (seen.has(model.id)) ctx.addIssue({ code: 'custom', message: `duplicate model id '${model.id}'`, path: ['models', i, 'id'] });
    seen.add(model.id);
  });
});
export type ModelCatalogue = z.infer<typeof ModelCatalogue>;
