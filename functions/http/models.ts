import { loadConfig } from '../../shared/config/config';
import { httpRoute } from '../../shared/http/httpRoute';
import { jsonResponse } from '../../shared/http/responses';
import { createModelDirectory } from '../../shared/wiring/realtime';
import { ModelListing } from '../../shared/realtime/ModelListing';

/** `GET /v1/models` and `GET /v1/models/{model}`. */
export const createHandler = (deps: { service: Pick<ModelListing, 'listModels' | 'getModel'> }) =>
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

// Listing models runs nothing: the catalogue alone, so no provider or SDK client is loaded.
export const handler = createHandler({ service: new ModelListing(createModelDirectory(loadConfig())) });
