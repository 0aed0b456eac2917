import * as z from 'zod';
import type { BatchItem } from '../batchingCore/types';
import { ChatCompletionRequest } from '../domain/chat';
import { EmbeddingsRequest } from '../domain/embeddings';
import type { InferenceInput } from '../domain/inference';
import type { ModelEntry } from '../domain/catalogue';
import { parseRequest } from '../domain/validation';
import { chatItems, type ItemNaming } from '../realtime/chatRequests';
import { embeddingItems } from '../realtime/embeddingsRequests';
import type { ModelRouter } from '../routing/ModelRouter';
import type { QUEUE_REQUEST_URLS } from './constants';

/** An endpoint a queued request may target. */
export type QueueRequestUrl = (typeof QUEUE_REQUEST_URLS)[number];

/** Finds a model of the catalogue (the ModelRouter does); throws ModelNotFoundError. */
export type ModelLookup = Pick<ModelRouter, 'model'>;

/** A validated request, of either endpoint, with its model. */
export type InferenceRequest =
  | { url: '/v1/chat/completions'; body: ChatCompletionRequest }
  | { url: '/v1/embeddings'; body: EmbeddingsRequest };

/** A request ready for the batching core: what it asks, of which model, as core items. */
export interface RunnableRequest {
  request: InferenceRequest;
  model: ModelEntry;
  items: BatchItem<InferenceInput>[];
}

// Wrapped in `{ body }` so that parseRequest names a bad field `body.messages[0].role`,
// as the message (and the POST /v1/requests body) spells it.
const ChatBody = z.strictObject({ body: ChatCompletionRequest });
const EmbeddingsBody = z.strictObject({ body: EmbeddingsRequest });

/**
 * Validates the body of a request to `url` exactly as the real-time route would (schema,
 * model of the right kind, output and context limits) and turns it into batching-core
 * items. Throws the PlatformError a caller gets (400 naming the field, 404 for an unknown
 * model). Shared by the queue consumer and `POST /v1/requests`, so a request the HTTP
 * route accepts is never refused later by the consumer.
 */
export function planRequestBody(url: QueueRequestUrl, body: unknown, router: ModelLookup, naming: ItemNaming = {}): RunnableRequest {
  if (url === '/v1/chat/completions') {
    const request = parseRequest(ChatBody, { body }).body;
    const model = router.model(request.model, 'chat');
    return { request: { url, body: { ...request, model: model.id } }, model, items: chatItems(request, model, naming) };
  }
  const request = parseRequest(EmbeddingsBody, { body }).body;
  const model = router.model(request.model, 'embeddings');
  return { request: { url, body: { ...request, model: model.id } }, model, items: embeddingItems(request, model, naming) };
}
