import { loadConfig } from '../../shared/config/config';
import { ChatCompletionRequest } from '../../shared/domain/chat';
import { chatServerSentEvents, EVENT_STREAM_HEADERS } from '../../shared/http/serverSentEvents';
import { httpRoute } from '../../shared/http/httpRoute';
import { jsonResponse } from '../../shared/http/responses';
import { parseRequest } from '../../shared/domain/validation';
import { createInferenceService } from '../../shared/wiring/realtime';
import type { InferenceService } from '../../shared/realtime/InferenceService';

/**
 * `POST /v1/chat/completions`, a response-streaming function (REST integration with
 * ResponseTransferMode STREAM): `stream: true` answers server-sent events as the tokens
 * come, anything else one JSON completion. Either may take minutes, not 29 s.
 */
export const createHandler = (deps: { service: InferenceService; maxBodyBytes: number }) =>
  httpRoute(
    async ({ body, deadline, signal, event, tenant: { tenantId } }) => {
      const request = parseRequest(ChatCompletionRequest, body);
      if (!request.stream) return jsonResponse(200, await deps.service.chatCompletion(request, { deadline, signal, tenantId }));
      const chunks = await deps.service.chatCompletionStream(request, { deadline, signal, tenantId });
      return { statusCode: 200, headers: { ...EVENT_STREAM_HEADERS }, body: chatServerSentEvents(chunks, event.requestId) };
    },
    { jsonBodyMaxBytes: deps.maxBodyBytes, streaming: true },
  );

const config = loadConfig();
export const handler = createHandler({ service: createInferenceService(config), maxBodyBytes: config.maxBodyBytes });
