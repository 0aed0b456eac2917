import { loadConfig } from '../../shared/config/config';
import { EmbeddingsRequest } from '../../shared/domain/embeddings';
import { httpRoute } from '../../shared/http/httpRoute';
import { jsonResponse } from '../../shared/http/responses';
import { parseRequest } from '../../shared/domain/validation';
import { createInferenceService } from '../../shared/wiring/realtime';
import type { InferenceService } from '../../shared/realtime/InferenceService';

/** `POST /v1/embeddings`. */
export const createHandler = (deps: { service: InferenceService; maxBodyBytes: number }) =>
  httpRoute(
    async ({ body, deadline, tenant: { tenantId } }) => {
      const request = parseRequest(EmbeddingsRequest, body);
      return jsonResponse(200, await deps.service.embeddings(request, { deadline, tenantId }));
    },
    { jsonBodyMaxBytes: deps.maxBodyBytes },
  );

const config = loadConfig();
export const handler = createHandler({ service: createInferenceService(config), maxBodyBytes: config.maxBodyBytes });
