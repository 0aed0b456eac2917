import type { BatchingCore } from '../batching/BatchingCore';
import type {
  ChatCompletionRequest, ChatCompletionResponse, EmbeddingsRequest, EmbeddingsResponse, InferenceInput, InferenceOutput, ModelEntry,
} from '../domain';
import type { ModelRouter } from '../routing/ModelRouter';
import { chatBody, chatItems } from './chatRequests';
import { embeddingItems, embeddingsBody } from './embeddingsRequests';

/** When the caller must have its answer: an absolute time in ms since the epoch. */
export interface ServeOptions {
  deadline?: number;
  signal?: AbortSignal;
}

/** The model as `GET /v1/models` lists it. */
export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

/** Unix time the models are listed as created at: the catalogue has no dates. */
const CATALOGUE_EPOCH = 1_735_689_600;

/**
 * The real-time inference use cases: validate a request against its model, run it
 * through the batching core (routing, fallback, retries, deadline) and shape the
 * OpenAI-compatible response.
 */
export class InferenceService {
  constructor(
    private readonly router: ModelRouter,
    private readonly core: BatchingCore<InferenceInput, InferenceOutput>,
    private readonly now: () => number = Date.now,
  ) {}

  /** `POST /v1/chat/completions`. */
  async chatCompletion(request: ChatCompletionRequest, options: ServeOptions = {}): Promise<ChatCompletionResponse> {
    const model = this.router.model(request.model, 'chat');
    const items = chatItems(request, model);
    const [outcome] = await this.core.run(items, options);
    return chatBody(outcome!, model, { created: Math.floor(this.now() / 1000) });
  }

  /** `POST /v1/embeddings`: the inputs go through the core together, so a backend that takes lists gets one call. */
  async embeddings(request: EmbeddingsRequest, options: ServeOptions = {}): Promise<EmbeddingsResponse> {
    const model = this.router.model(request.model, 'embeddings');
    const outcomes = await this.core.run(embeddingItems(request, model), options);
    return embeddingsBody(outcomes, request, model);
  }

  /** `GET /v1/models`. */
  listModels(): { object: 'list'; data: ModelObject[] } {
    return { object: 'list', data: this.router.listModels().map(toModelObject) };
  }

  /** `GET /v1/models/{model}`. */
  getModel(id: string): ModelObject {
    return toModelObject(this.router.model(id));
  }
}

function toModelObject(model: ModelEntry): ModelObject {
  return { id: model.id, object: 'model', created: CATALOGUE_EPOCH, owned_by: model.ownedBy };
}
