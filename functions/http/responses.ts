import { loadConfig } from '../../shared/config/config';
import { EVENT_STREAM_HEADERS, httpRoute, jsonResponse, parseRequest } from '../../shared/http';
import { createInferenceService } from '../../shared/realtime';
import { encodeSseStream, ResponsesRequest, ResponsesService } from '../../shared/realtime/responses';

/**
 * `POST /v1/responses` (the Responses API, stateless), a response-streaming function like
 * chat completions: `stream: true` answers the Responses event stream, anything else one
 * Response object.
 */
export const createHandler = (deps: { service: ResponsesService; maxBodyBytes: number }) =>
  httpRoute(
    async ({ body, deadline, signal, tenant: { tenantId } }) => {
      const answer = await deps.service.respond(parseRequest(ResponsesRequest, body), { deadline, signal, tenantId });
      if (answer.kind === 'response') return jsonResponse(200, answer.response);
      return { statusCode: 200, headers: { ...EVENT_STREAM_HEADERS }, body: encodeSseStream(answer.events) };
    },
    { jsonBodyMaxBytes: deps.maxBodyBytes, streaming: true },
  );

const config = loadConfig();
export const handler = createHandler({ service: new ResponsesService(createInferenceService(config)), maxBodyBytes: config.maxBodyBytes });
