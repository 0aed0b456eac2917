import { loadConfig } from '../../shared/config/config';
import { EmbeddingsRequest } from '../../shared/domain/embeddings';
import { httpRoute } from '../../shared/http/httpRoute';
import { jsonResponse } from '../../shared/http/responses';
import { parseRequest } from '../../shared/domain/validation';
import { createInferenceService } from '../../shared/wiring/realtime';
import type { InferenceService } from '../../shared/realtime/InferenceService';
import { admitRealtime } from '../../shared/limits/admitRealtime';
import type { TenantAdmission } from '../../shared/limits/TenantAdmission';
import { createTenantAdmission } from '../../shared/wiring/limits';

/** `POST /v1/embeddings`. */
export const createHandler = (deps: {
  service: InferenceService;
  admission?: Pick<TenantAdmission, 'admit' | 'headers'>;
  maxBodyBytes: number;
}) =>
  httpRoute(
    async ({ body, deadline, tenant, answerHeaders }) => {
      const admit = deps.admission ? await admitRealtime(deps.admission, tenant, answerHeaders) : undefined;
      const request = parseRequest(EmbeddingsRequest, body);
      return jsonResponse(200, await deps.service.embeddings(request, { deadline, tenantId: tenant.tenantId, admit }));
    },
    { jsonBodyMaxBytes: deps.maxBodyBytes },
  );

const config = loadConfig();
export const handler = createHandler({
  service: createInferenceService(config),
  admission: createTenantAdmission(config),
  maxBodyBytes: config.maxBodyBytes,
});
