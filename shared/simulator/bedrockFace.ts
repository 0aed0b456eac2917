import { z } from 'zod';
import { SimulatorError, parseBody, type SimulatorErrorKind } from './errors';
import { ChatRequestSchema, completeChat } from './openAiFace';
import { countTokens, embeddingFor, generateReply, promptTokensOf, type PlainMessage, type StopCause } from './outputs';
import type { FaceDefinition, FaceRoute, HttpReply, RouteContext } from './types';

/**
 * Bedrock Runtime's restJson1 wire protocol at the root, close enough that the real
 * `@aws-sdk/client-bedrock-runtime` works against it: Converse for chat, InvokeModel for
 * Titan text embeddings v2 (and the OpenAI chat body gpt-oss takes on Bedrock). SigV4
 * signatures are ignored. Errors carry `x-amzn-errortype`, which is what the SDK reads
 * to pick the exception class.
 */

const ContentBlock = z.object({ text: z.string().optional() });
const ConverseRequest = z.object({
  messages: z
    .array(z.object({ role: z.enum(['user', 'assistant']), content: z.array(ContentBlock).min(1) }))
    .min(1)
    .refine((messages) => messages[0]?.role === 'user', 'A conversation must start with a user message.'),
  system: z.array(ContentBlock).optional(),
  inferenceConfig: z
    .object({
      maxTokens: z.number().int().min(1).optional(),
      temperature: z.number().min(0).max(1).optional(),
      topP: z.number().min(0).max(1).optional(),
      stopSequences: z.array(z.string()).max(4).optional(),
    })
    .optional(),
});

const TitanEmbeddingRequest = z.object({
  inputText: z.string().min(1),
  dimensions: z.union([z.literal(256), z.literal(512), z.literal(1024)]).optional(),
  normalize: z.boolean().optional(),
});

const STOP_REASON: Record<StopCause, string> = { natural: 'end_turn', length: 'max_tokens', stop_sequence: 'stop_sequence' };

const ERROR_TYPE: Record<SimulatorErrorKind, string> = {
  validation: 'ValidationException',
  poison: 'ValidationException',
  too_large: 'ValidationException',
  not_found: 'ResourceNotFoundException',
  throttled: 'ThrottlingException',
  internal: 'InternalServerException',
  unavailable: 'ServiceUnavailableException',
};

function textOf(blocks: ReadonlyArray<{ text?: string | undefined }>): string {
  return blocks.map((block) => block.text ?? '').join('');
}

function checkModel(context: RouteContext, modelId: string): void {
  const config = context.sim.config;
  if (config.strictModels && !config.bedrockModels.includes(modelId)) {
    throw new SimulatorError('not_found', `Could not resolve the foundation model from the model identifier: ${modelId}`);
  }
}

async function converse(context: RouteContext, modelId: string): Promise<HttpReply> {
  const request = parseBody(ConverseRequest, context.body);
  checkModel(context, modelId);
  const messages: PlainMessage[] = request.messages.map((message) => ({ role: message.role, text: textOf(message.content) }));
  // The system prompt counts as one more message, framing included.
  const system = request.system ? [{ role: 'system', text: textOf(request.system) }] : [];
  const all = [...system, ...messages];
  const reply = generateReply({
    model: modelId,
    prompt: JSON.stringify(all.map((message) => [message.role, message.text])),
    maxTokens: request.inferenceConfig?.maxTokens ?? context.sim.config.defaultMaxTokens,
    stopSequences: request.inferenceConfig?.stopSequences ?? [],
  });
  const inputTokens = promptTokensOf(all);
  await context.sim.process({
    face: 'bedrock',
    route: 'converse',
    items: 1,
    promptTokens: inputTokens,
    completionTokens: reply.completionTokens,
    texts: all.map((message) => message.text),
  });
  return {
    status: 200,
    body: {
      output: { message: { role: 'assistant', content: [{ text: reply.text }] } },
      stopReason: STOP_REASON[reply.stop],
      usage: { inputTokens, outputTokens: reply.completionTokens, totalTokens: inputTokens + reply.completionTokens },
      metrics: { latencyMs: Date.now() - context.arrivedAt + context.sim.config.addedLatencyMs },
    },
  };
}

async function invoke(context: RouteContext, modelId: string): Promise<HttpReply> {
  checkModel(context, modelId);
  if (modelId.includes('embed')) {
    const request = parseBody(TitanEmbeddingRequest, context.body);
    const tokens = countTokens(request.inputText);
    await context.sim.process({ face: 'bedrock', route: 'invoke', items: 1, promptTokens: tokens, completionTokens: 0, texts: [request.inputText] });
    const embedding = embeddingFor(modelId, request.inputText, request.dimensions ?? 1024, request.normalize ?? true);
    return { status: 200, body: { embedding, inputTextTokenCount: tokens } };
  }
  // gpt-oss on Bedrock takes the OpenAI chat body through InvokeModel.
  const request = parseBody(ChatRequestSchema.omit({ model: true }), context.body);
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
    const handlers: Record<string, (context: RouteContext, modelId: string) => Promise<HttpReply>> = { converse, invoke };
    const handler = operation === undefined ? undefined : handlers[operation];
    if (handler) {
      const route: FaceRoute = { route: operation as string, handle: (context) => handler(context, decodeModelId(encodedId)) };
      return route;
    }
    if (operation === 'converse-stream' || operation === 'invoke-with-response-stream') {
      return new SimulatorError('validation', `${operation} is not supported by the GPU simulator; use the non-streaming operation`);
    }
    return new SimulatorError('not_found', `unknown Bedrock operation ${operation ?? ''}`);
  },
  renderError(error) {
    const headers: Record<string, string> = { 'x-amzn-errortype': ERROR_TYPE[error.kind] };
    if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
    // Bedrock answers validation failures with 400 whatever the cause, payload size included.
    const status = ERROR_TYPE[error.kind] === 'ValidationException' ? 400 : error.status;
    return { status, headers, body: { message: error.message } };
  },
};
