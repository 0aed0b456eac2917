import { BatchingCore } from '../batchingCore/BatchingCore';
import { LimitMemory } from '../batchingCore/LimitMemory';
import type { Config } from '../config/config';
import type { InferenceInput, InferenceOutput } from '../domain/inference';
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { createBedrockClient } from '../providers/bedrock/createBedrockClient';
import { createProvider } from '../providers/createProvider';
import { loadCatalogue } from '../routing/defaultCatalogue';
import { ModelRouter } from '../routing/ModelRouter';
import { ModelDirectory } from '../routing/ModelDirectory';
import { InferenceTelemetry } from '../observability/inferenceTelemetry';
import { InferenceService } from '../realtime/InferenceService';
import { containerUsageMeter } from '../usage/platformUsage';
import { UsageMeter } from '../usage/UsageMeter';
import { logger } from '../observability/logger';
import { createUsageStore } from './batchJobs';
import { allObservers, UsageObserver } from '../usage/UsageObserver';
import { createFleetBudget } from './fleetBudget';

/** The router and the batching core over it: what every inference path runs through. */
export interface InferenceRuntime {
  router: ModelRouter;
  core: BatchingCore<InferenceInput, InferenceOutput>;
  /** The metrics and logs adapter the router and the core report to (also the service's observer). */
  telemetry: InferenceTelemetry;
}

/**
 * What a process serves: `batch` work (batch job lines, queue requests) can wait, so its
 * Bedrock calls ask for `BEDROCK_BATCH_SERVICE_TIER` (Flex by default); `realtime` asks
 * for `BEDROCK_REALTIME_SERVICE_TIER` (Standard).
 */
export type Workload = 'batch' | 'realtime';

/**
 * What this container's cores have learned of each backend's concurrency: module scope,
 * so every runtime built in the container (the worker's, another built later) starts
 * where the last left each backend, not from the catalogue's expected concurrency again.
 */
const containerLimits = new LimitMemory();

/** Options of {@link createInferenceRuntime}. */
export interface InferenceRuntimeOptions {
  /** Where the learned limits live; default the container's. A fresh one gives a cold start. */
  limitMemory?: LimitMemory;
}

/**
 * Wires inference from configuration: catalogue → router (providers, circuit breakers)
 * → batching core, both reporting to the metrics and logs adapter. Called once per Lambda container, so adaptive limits, the retry
 * budget and circuit states carry over between warm invocations. The `workload` sets the
 * Bedrock service tier of every call this runtime makes: the one place the tier is chosen.
 * The adaptive limits start from the container's learned ones ({@link containerLimits}).
 */
export function createInferenceRuntime(
  config: Config,
  workload: Workload = 'realtime',
  options: InferenceRuntimeOptions = {},
): InferenceRuntime {
  const serviceTier = config.serviceTiers[workload];
  // One Bedrock client per region and endpoint, shared by every Bedrock backend.
  const bedrockClients = new Map<string, BedrockRuntimeClient>();
  const telemetry = new InferenceTelemetry();
  const router = new ModelRouter(loadCatalogue(config), {
    providerFor: (ref) => {
      if (ref.provider !== 'bedrock') return createProvider(ref);
      const key = `${ref.region ?? ''}|${ref.endpoint ?? ''}`;
      const client = bedrockClients.get(key) ?? createBedrockClient({ region: ref.region, endpoint: ref.endpoint });
      bedrockClients.set(key, client);
      return createProvider(ref, { bedrockClient: client, serviceTier });
    },
    failureThreshold: config.circuitFailureThreshold,
    cooldownMs: config.circuitCooldownMs,
    observer: telemetry,
  });
  const core = new BatchingCore<InferenceInput, InferenceOutput>(router, {
    maxAttempts: 3,
    deadlineSafetyMs: 250,
    observer: telemetry,
    fairShare: config.fairShare,
    // One budget per backend across the fleet: calls hold a slot of this container's lease too.
    fleetBudget: createFleetBudget(config),
    limitMemory: options.limitMemory ?? containerLimits,
  });
  return { router, core, telemetry };
}

/**
 * The catalogue's models without a runtime: for functions that only list or look up
 * models (no provider, no SDK client, no core built at their cold start).
 */
export function createModelDirectory(config: Config): ModelDirectory {
  return new ModelDirectory(loadCatalogue(config));
}

/**
 * The real-time use cases over a fresh runtime, reporting each request to the metrics
 * and to the tenant's usage (the container's meter, settled by the HTTP routes).
 */
export function createInferenceService(config: Config): InferenceService {
  const { router, core, telemetry } = createInferenceRuntime(config);
  const usage = config.tableName ? [new UsageObserver(platformUsageMeter(config))] : [];
  return new InferenceService(router, core, Date.now, usage.length > 0 ? allObservers(telemetry, ...usage) : telemetry);
}

/** The container's usage meter over the platform table, with the configured flush policy. */
function platformUsageMeter(config: Config): UsageMeter {
  return containerUsageMeter(
    () =>
      new UsageMeter(createUsageStore(config), config.usageFlush, {
        onError: (error) => logger.warn('usage not written; kept for the next flush', { error: error as Error }),
      }),
  );
}
