import * as z from 'zod';
import { SimulatorError, parseBody, type SimulatorErrorKind } from './errors';
import { converse, converseStream } from './bedrockConverse';
import { ChatBodySchema, completeChat } from './openAiChat';
import { countTokens, embeddingFor } from './outputs';
import type { FaceDefinition, FaceRoute, HttpReply, RouteContext, StreamReply } from './types';

/**
 * Bedrock Runtime's restJson1 wire protocol at the root, close enough that the real
 * `@aws-sdk/client-bedrock-runtime` works against it: Converse and ConverseStream for chat
 * (bedrockConverse.ts), InvokeModel for Titan text embeddings v2 (and the OpenAI chat body
 * gpt-oss takes on Bedrock). SigV4
 * signatures are ignored. Errors carry `x-amzn-errortype`, which is what the SDK reads
 * to pick the exception class.
 */

const TitanEmbeddingRequest = z.object({
  inputText: z.string().min(1),
  dimensions: z.union([z.literal(256), z.literal(512), z.literal(1024)]).optional(),
  normalize: z.boolean().optional(),
});

const ERROR_TYPE: Record<SimulatorErrorKind, string> = {
  validation: 'ValidationException',
  poison: 'ValidationException',
  too_large: 'ValidationException',
  not_found: 'ResourceNotFoundException',
  throttled: 'ThrottlingException',
  internal: 'InternalServerException',
  unavailable: 'ServiceUnavailableException',
  // Nobody reads it: the client is gone.
  cancelled: 'ValidationException',
};

function checkModel(context: RouteContext, modelId: string): void {
  const config = context.sim.config;
  if (config.strictModels && !config.bedrockModels.includes(modelId)) {
    throw new SimulatorError('not_found', `Could not resolve the foundation model from the model identifier: ${modelId}`);
  }
}

/**
 * InvokeModel: Titan text embeddings, or the OpenAI chat body gpt-oss takes on Bedrock.
 * Also what a batch inference job answers each record with (ModelInvocationJobs.ts).
 * @throws SimulatorError as the GPU refuses the request.
 */
export async function invokeModel(context: RouteContext, modelId: string): Promise<HttpReply | StreamReply> {
  checkModel(context, modelId);
  if (modelId.includes('embed')) {
    const request = parseBody(TitanEmbeddingRequest, context.body);
    const tokens = countTokens(request.inputText);
    await context.sim.process(
      { face: 'bedrock', route: 'invoke', items: 1, promptTokens: tokens, completionTokens: 0, texts: [request.inputText] },
      context.signal,
    );
    const embedding = embeddingFor(modelId, request.inputText, request.dimensions ?? 1024, request.normalize ?? true);
    return { status: 200, body: { embedding, inputTextTokenCount: tokens } };
  }
  // gpt-oss on Bedrock takes the OpenAI chat body through InvokeModel.
  const request = parseBody(ChatBodySchema, context.body);
  if (request.stream) {
    throw new SimulatorError('validation', 'stream: true is not supported through InvokeModel by the GPU simulator; use ConverseStream');
  }
  return completeChat(context, request, modelId, { face: 'bedrock', route: 'invoke' });
}

function decodeModelId(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch (error) {
    throw new SimulatorError('validation', `model identifier is not valid percent-encoding: ${encoded}`, { cause: error });
  }
}

/** The Bedrock Runtime face. */
export const bedrockFace: FaceDefinition = {
  face: 'bedrock',
  resolve(method, pathname) {
    // Split before decoding: a model ARN carries '/' only as %2F.
    const match = /^\/model\/([^/]+)\/([^/]+)\/?$/.exec(pathname);
    if (method !== 'POST' || !match) {
      return new SimulatorError('not_found', `no Bedrock operation at ${method} ${pathname}`);
    }
    const [, encodedId = '', operation] = match;
    const handlers: Record<string, (context: RouteContext, modelId: string) => Promise<HttpReply | StreamReply>> = {
      converse,
      'converse-stream': converseStream,
      invoke: invokeModel,
    };
    const handler = operation === undefined ? undefined : handlers[operation];
    if (handler) {
      const route: FaceRoute = { route: operation as string, handle: (context) => handler(context, decodeModelId(encodedId)) };
      return route;
    }
    if (operation === 'invoke-with-response-stream') {
      return new SimulatorError('validation', `${operation} is not supported by the GPU simulator; use ConverseStream or InvokeModel`);
    }
    return new SimulatorError('not_found', `unknown Bedrock operation ${operation ?? ''}`);
  },
  renderError(error) {
    const headers: Record<string, string> = { 'x-amzn-errortype': ERROR_TYPE[error.kind] };
    if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
    // Bedrock answers validation failures with 400 whatever the cause, payload size included.
    const status = error.kind !== 'cancelled' && ERROR_TYPE[error.kind] === 'ValidationException' ? 400 : error.status;
    return { status, headers, body: { message: error.message } };
  },
};
