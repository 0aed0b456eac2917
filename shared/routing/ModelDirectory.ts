import type { ModelCatalogue, ModelEntry } from '../domain/catalogue';
import { ModelNotFoundError } from '../errors/requestErrors';

/** The two kinds of work a route can carry: what a model serves. */
export type RouteKind = ModelEntry['kind'];

/**
 * The catalogue's models by name, without their backends' providers: what looking a model
 * up needs (the router, and functions that only list or check models: `GET /v1/models`,
 * ingest), so those functions load no provider and no SDK client at cold start.
 */
export class ModelDirectory {
  readonly #models = new Map<string, ModelEntry>();

  constructor(catalogue: ModelCatalogue) {
    for (const model of catalogue.models) this.#models.set(model.id, model);
  }

  /** The model named `id`, if the catalogue has it. */
  get(id: string): ModelEntry | undefined {
    return this.#models.get(id);
  }

  /** Every model of the catalogue, in catalogue order. */
  listModels(): ModelEntry[] {
    return [...this.#models.values()];
  }

  /** The model named `id` serving `kind`, or a 404 naming what was wrong. */
  model(id: string, kind?: RouteKind): ModelEntry {
    const model = this.#models.get(id);
    if (!model) throw new ModelNotFoundError(id);
    if (kind && model.kind !== kind) {
      throw new ModelNotFoundError(
        id,
        `is ${model.kind === 'chat' ? 'a chat' : 'an embeddings'} model and cannot serve ${kind === 'chat' ? 'chat completions' : 'embeddings'}`,
      );
    }
    return model;
  }
}
