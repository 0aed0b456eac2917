import { loadConfig } from '../../shared/config/config';
import { ChatCompletionRequest } from '../../shared/domain/chat';
import { httpRoute, jsonResponse, parseRequest } from '../../shared/http';
import { createInferenceService, type InferenceService } from '../../shared/inference';

/**
 * `POST /v1/chat/completions`, a response-streaming function (REST integration with
 * ResponseTransferMode STREAM): a route may answer a StreamingResult (shared/http/httpRoute.ts)
 * for `stream: true`; today the service answers one JSON completion.
 */
export const createHandler = (deps: { service: InferenceService; maxBodyBytes: number }) =>
  httpRoute(async ({ body, deadline, signal }) => {
    const request = parseRequest(ChatCompletionRequest, body);
    return jsonResponse(200, await deps.service.chatCompletion(request, { deadline, signal }));
  }, { jsonBodyMaxBytes: deps.maxBodyBytes, streaming: true });

const config = loadConfig();
export const handler = createHandler({ service: createInferenceService(config), maxBodyBytes: config.maxBodyBytes });
