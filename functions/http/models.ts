import { loadConfig } from '../../shared/config/config';
import { httpRoute, jsonResponse } from '../../shared/http';
import { createInferenceService, type InferenceService } from '../../shared/inference';

/** `GET /v1/models` and `GET /v1/models/{model}`. */
export const createHandler = (deps: { service: InferenceService }) =>
  httpRoute(async ({ event }) => {
    const id = event.pathParameters?.model;
    return jsonResponse(200, id === undefined ? deps.service.listModels() : deps.service.getModel(decodeURIComponent(id)));
  });

export const handler = createHandler({ service: createInferenceService(loadConfig()) });
