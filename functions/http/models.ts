import { loadConfig } from '../../shared/config/config';
import { httpRoute } from '../../shared/http/httpRoute';
import { jsonResponse } from '../../shared/http/responses';
import { createInferenceService } from '../../shared/wiring/realtime';
import type { InferenceService } from '../../shared/realtime/InferenceService';

/** `GET /v1/models` and `GET /v1/models/{model}`. */
export const createHandler = (deps: { service: InferenceService }) =>
  httpRoute(async ({ event }) => {
    const id = event.pathParameters?.model;
    return jsonResponse(200, id === undefined ? deps.service.listModels() : deps.service.getModel(modelIdOf(id)));
  });

/**
 * The path's model id, percent-decoded. A malformed escape (a bare `%`, `%E0%A4%A`) is
 * kept as it is, so it is answered 404 like any unknown id: decodeURIComponent's
 * URIError made it a 500.
 */
function modelIdOf(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

export const handler = createHandler({ service: createInferenceService(loadConfig()) });
