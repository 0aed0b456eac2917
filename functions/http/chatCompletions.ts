import { loadConfig } from '../../shared/config/config';
import { ChatCompletionRequest } from '../../shared/domain/chat';
import { chatServerSentEvents, EVENT_STREAM_HEADERS } from '../../shared/http/serverSentEvents';
import { httpRoute } from '../../shared/http/httpRoute';
import { jsonResponse } from '../../shared/http/responses';
import { parseRequest } from '../../shared/domain/validation';
import { createInferenceService } from '../../shared/wiring/realtime';
import type { InferenceService } from '../../shared/realtime/InferenceService';
import { admitRealtime } from '../../shared/limits/admitRealtime';
import type { TenantAdmission } from '../../shared/limits/TenantAdmission';
import { createTenantAdmission } from '../../shared/wiring/limits';

/**
 * `POST /v1/chat/completions`, a response-streaming function (REST integration with
 * ResponseTransferMode STREAM): `stream: true` answers server-sent events as the tokens
 * come, anything else one JSON completion. Either may take minutes, not 29 s.
 */
export const createHandler = (deps: {
  service: InferenceService;
  admission?: Pick<TenantAdmission, 'admit' | 'headers'>;
  maxBodyBytes: number;
}) =>
  httpRoute(
    async ({ body, deadline, signal, event, tenant, answerHeaders }) => {
      const admit = deps.admission ? await admitRealtime(deps.admission, tenant, answerHeaders) : undefined;
      const request = parseRequest(ChatCompletionRequest, body);
      const options = { deadline, signal, tenantId: tenant.tenantId, admit };
      if (!request.stream) return jsonResponse(200, await deps.service.chatCompletion(request, options));
      const chunks = await deps.service.chatCompletionStream(request, options);
      return { statusCode: 200, headers: { ...EVENT_STREAM_HEADERS }, body: chatServerSentEvents(chunks, event.requestId) };
    },
    { jsonBodyMaxBytes: deps.maxBodyBytes, streaming: true },
  );

const config = loadConfig();
export const handler = createHandler({
  service: createInferenceService(config),
  admission: createTenantAdmission(config),
  maxBodyBytes: config.maxBodyBytes,
});
