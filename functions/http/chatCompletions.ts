import { loadConfig } from '../../shared/config/config';
import { ChatCompletionRequest } from '../../shared/domain/chat';
import { httpRoute, jsonResponse, parseRequest } from '../../shared/http';
import { createInferenceService, type InferenceService } from '../../shared/inference';

/** `POST /v1/chat/completions`. */
export const createHandler = (deps: { service: InferenceService; maxBodyBytes: number }) =>
  httpRoute(async ({ body, deadline }) => {
    const request = parseRequest(ChatCompletionRequest, body);
    return jsonResponse(200, await deps.service.chatCompletion(request, { deadline }));
  }, { jsonBodyMaxBytes: deps.maxBodyBytes });

const config = loadConfig();
export const handler = createHandler({ service: createInferenceService(config), maxBodyBytes: config.maxBodyBytes });
