import { loadConfig } from '../../shared/config/config';
import { EVENT_STREAM_HEADERS } from '../../shared/http/serverSentEvents';
import { httpRoute } from '../../shared/http/httpRoute';
import { jsonResponse } from '../../shared/http/responses';
import { parseRequest } from '../../shared/domain/validation';
import { createInferenceService } from '../../shared/wiring/realtime';
import { encodeSseStream } from '../../shared/realtime/responses/streamEvents';
import { ResponsesRequest } from '../../shared/realtime/responses/requestSchema';
import { ResponsesService } from '../../shared/realtime/responses/ResponsesService';
import { admitRealtime } from '../../shared/limits/admitRealtime';
import type { TenantAdmission } from '../../shared/limits/TenantAdmission';
import { createTenantAdmission } from '../../shared/wiring/limits';

/**
 * `POST /v1/responses` (the Responses API, stateless), a response-streaming function like
 * chat completions: `stream: true` answers the Responses event stream, anything else one
 * Response object.
 */
export const createHandler = (deps: {
  service: ResponsesService;
  admission?: Pick<TenantAdmission, 'admit' | 'headers'>;
  maxBodyBytes: number;
}) =>
  httpRoute(
    async ({ body, deadline, signal, tenant, answerHeaders }) => {
      const admit = deps.admission ? await admitRealtime(deps.admission, tenant, answerHeaders) : undefined;
      const answer = await deps.service.respond(parseRequest(ResponsesRequest, body), {
        deadline,
        signal,
        tenantId: tenant.tenantId,
        admit,
      });
      if (answer.kind === 'response') return jsonResponse(200, answer.response);
      return { statusCode: 200, headers: { ...EVENT_STREAM_HEADERS }, body: encodeSseStream(answer.events) };
    },
    { jsonBodyMaxBytes: deps.maxBodyBytes, streaming: true },
  );

const config = loadConfig();
export const handler = createHandler({
  service: new ResponsesService(createInferenceService(config)),
  admission: createTenantAdmission(config),
  maxBodyBytes: config.maxBodyBytes,
});
