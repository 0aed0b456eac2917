import type { ModelEntry } from '../domain/catalogue';

/** The model as `GET /v1/models` lists it. */
export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

/** Unix time the models are listed as created at: the catalogue has no dates. */
const CATALOGUE_EPOCH = 1_735_689_600;

/** Where the models are looked up: the router, or a ModelDirectory where nothing is run. */
export interface ModelLookup {
  listModels(): ModelEntry[];
  model(id: string): ModelEntry;
}

/** `GET /v1/models` and `GET /v1/models/{model}` over the catalogue's models. */
export class ModelListing {
  constructor(private readonly models: ModelLookup) {}

  /** `GET /v1/models`. */
  listModels(): { object: 'list'; data: ModelObject[] } {
    return { object: 'list', data: this.models.listModels().map(toModelObject) };
  }

  /** `GET /v1/models/{model}`; a 404 for an unknown one. */
  getModel(id: string): ModelObject {
    return toModelObject(this.models.model(id));
  }
}

function toModelObject(model: ModelEntry): ModelObject {
  return { id: model.id, object: 'model', created: CATALOGUE_EPOCH, owned_by: model.ownedBy };
}
