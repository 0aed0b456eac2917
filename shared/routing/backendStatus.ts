import type { BackendRef, ModelEntry } from '../domain/catalogue';

/**
 * How a backend looks from a probe: `up` (every server answered), `degraded` (some did),
 * `down` (none did), `unprobed` (Bedrock: a managed service with no free health call; its
 * failures show as fallbacks and in the circuit metrics).
 */
export type BackendHealth = 'up' | 'degraded' | 'down' | 'unprobed';

/** One backend of a model, as `GET /v1/status` shows it: a name, never its id or URLs. */
export interface BackendStatus {
  /** `gpu-pool` or `bedrock` (`gpu-pool-2`, … when a model has several of a kind), in the model's order. */
  name: string;
  provider: BackendRef['provider'];
  health: BackendHealth;
  /** GPU pools: how many of the pool's servers answered. */
  servers?: { up: number; total: number };
}

/** A model and its backends, in order of preference. */
export interface ModelStatus {
  id: string;
  kind: ModelEntry['kind'];
  backends: BackendStatus[];
}

/** The answer of `GET /v1/status`. */
export interface StatusReport {
  object: 'status';
  /** Unix seconds of the probes. */
  checked_at: number;
  models: ModelStatus[];
}

/** Asks one server of a GPU pool whether it answers (see providers/openai/probeServer). */
export type ServerProbe = (baseUrl: string, apiKey: string | undefined, signal: AbortSignal) => Promise<boolean>;

const PROVIDER_NAMES: Record<BackendRef['provider'], string> = { 'openai-compatible': 'gpu-pool', bedrock: 'bedrock' };

/**
 * The public names of a model's backends, in its order: the provider's kind, numbered from
 * the second of a kind on. Backend ids and URLs are configuration an operator chose and may
 * name hosts: they stay out of every answer, as they stay out of error messages.
 */
export function backendNames(model: Pick<ModelEntry, 'backends'>): string[] {
  const seen = new Map<string, number>();
  return model.backends.map((ref) => {
    const base = PROVIDER_NAMES[ref.provider];
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return count === 1 ? base : `${base}-${count}`;
  });
}

/** The health of a pool whose servers answered `up` of `total` times. */
export function poolHealth(up: number, total: number): BackendHealth {
  if (total > 0 && up === total) return 'up';
  return up > 0 ? 'degraded' : 'down';
}

/**
 * Probes every GPU server of the catalogue once (a server shared by several models is
 * asked once), all at the same time and for at most `timeoutMs`, and reports each model's
 * backends by name.
 */
export async function checkBackends(
  models: readonly ModelEntry[],
  probe: ServerProbe,
  options: { timeoutMs: number; now?: () => number },
): Promise<StatusReport> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  const answers = new Map<string, Promise<boolean>>();
  const ask = (baseUrl: string, apiKey: string | undefined): Promise<boolean> => {
    const key = `${baseUrl}\n${apiKey ?? ''}`;
    let answer = answers.get(key);
    if (!answer) {
      answer = probe(baseUrl, apiKey, signal).catch(() => false);
      answers.set(key, answer);
    }
    return answer;
  };
  const statuses = await Promise.all(
    models.map(async (model) => {
      const names = backendNames(model);
      const backends = await Promise.all(
        model.backends.map(async (ref, i): Promise<BackendStatus> => {
          const name = names[i]!;
          if (ref.provider === 'bedrock') return { name, provider: ref.provider, health: 'unprobed' };
          const up = (await Promise.all(ref.baseUrls.map((url) => ask(url, ref.apiKey)))).filter(Boolean).length;
          return { name, provider: ref.provider, health: poolHealth(up, ref.baseUrls.length), servers: { up, total: ref.baseUrls.length } };
        }),
      );
      return { id: model.id, kind: model.kind, backends };
    }),
  );
  return { object: 'status', checked_at: Math.floor((options.now ?? Date.now)() / 1000), models: statuses };
}
