import { listServedModels } from './listServedModels';

/** How a pool learns which models its servers serve. */
export interface ServedModelsOptions {
  /** The pool's server roots (no trailing `/v1`). */
  servers: readonly string[];
  /** How long a server's model list is trusted before it is asked again. */
  ttlMs: number;
  /** Longest one `GET /v1/models` may take; a server that does not answer in time counts as down until its next check. */
  listTimeoutMs?: number;
  /** Headers of the listing request (the pool's `Authorization`). */
  headers?: Record<string, string>;
  fetch: typeof fetch;
  now?: () => number;
}

/** A server's last listing: the models it serves, or `undefined` when it was down or answered nonsense. */
interface Listing {
  models: Set<string> | undefined;
  checkedAt: number;
}

const DEFAULT_LIST_TIMEOUT_MS = 2_000;

/**
 * Which server of a pool serves which model, from each server's `GET /v1/models`
 * (vLLM lists its `--served-model-name`s there), cached for `ttlMs` and asked again
 * after. A server that cannot be listed is left out until its next check, so an
 * unhealthy or half-started server gets no work; one that answers "no such model" for
 * a model is taken off that model at once ({@link markNotServing}).
 */
export class ServedModels {
  readonly #options: ServedModelsOptions;
  readonly #now: () => number;
  readonly #listings = new Map<string, Listing>();
  /** One listing request per server at a time, shared by every caller waiting for it. */
  readonly #pending = new Map<string, Promise<void>>();

  constructor(options: ServedModelsOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The servers that serve `model`, in pool order, after asking those whose listing is
   * stale. While every listing is fresh (nearly every call) the answer comes at once,
   * without a promise.
   */
  serversFor(model: string): string[] | Promise<string[]> {
    const stale = this.#options.servers.filter((server) => this.#stale(server));
    if (stale.length === 0) return this.#serving(model);
    return Promise.all(stale.map((server) => this.#refresh(server))).then(() => this.#serving(model));
  }

  #serving(model: string): string[] {
    return this.#options.servers.filter((server) => this.#listings.get(server)?.models?.has(model) === true);
  }

  /** A server answered that it does not serve `model`: no more of that model's work goes there until it lists it again. */
  markNotServing(server: string, model: string): void {
    this.#listings.get(server)?.models?.delete(model);
  }

  #stale(server: string): boolean {
    const listing = this.#listings.get(server);
    return listing === undefined || this.#now() - listing.checkedAt >= this.#options.ttlMs;
  }

  #refresh(server: string): Promise<void> {
    const pending = this.#pending.get(server);
    if (pending) return pending;
    const refresh = this.#list(server)
      .then((models) => {
        this.#listings.set(server, { models, checkedAt: this.#now() });
      })
      .finally(() => this.#pending.delete(server));
    this.#pending.set(server, refresh);
    return refresh;
  }

  /** The ids a server lists, or `undefined` when it is down, slow or answers anything but a model list. */
  #list(server: string): Promise<Set<string> | undefined> {
    // Only its own timeout: callers share this listing, so one caller leaving must not mark the server down.
    return listServedModels(server, {
      headers: this.#options.headers,
      signal: AbortSignal.timeout(this.#options.listTimeoutMs ?? DEFAULT_LIST_TIMEOUT_MS),
      fetch: this.#options.fetch,
    });
  }
}
