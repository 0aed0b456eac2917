import { z } from 'zod';
import { SimulatorError, parseBody } from './errors';
import type { Face } from './SimulatorConfig';
import {
  countTokens,
  embeddingFor,
  generateReply,
  promptTokensOf,
  responseId,
  toBase64Float32,
  type PlainMessage,
  type StopCause,
} from './outputs';
import type { FaceDefinition, FaceRoute, HttpReply, RouteContext } from './types';

/**
 * The OpenAI-compatible face under `/v1`, shaped like vLLM's server: chat completions,
 * legacy completions (a list of prompts is a list of items), embeddings (a list of inputs
 * is a list of items, float or base64) and the model list. Streaming is refused.
 */

const TextPart = z.object({ type: z.string(), text: z.string().optional() });
const ChatMessage = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(TextPart), z.null()]).optional(),
});
const Stop = z.union([z.string(), z.array(z.string()).max(4)]).nullish();

/** An OpenAI chat completion request (unknown fields are ignored, as vLLM does). */
export const ChatRequestSchema = z.object({
  model: z.string().min(1),
  messages: z.array(ChatMessage).min(1),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  stop: Stop,
  stream: z.boolean().nullish(),
});
/** An OpenAI chat completion request. */
export type ChatRequest = z.infer<typeof ChatRequestSchema>;

const CompletionRequest = z.object({
  model: z.string().min(1),
  prompt: z.union([z.string(), z.array(z.string()).min(1)]),
  max_tokens: z.number().int().min(1).nullish(),
  stop: Stop,
  stream: z.boolean().nullish(),
});

const EmbeddingRequest = z.object({
  model: z.string().min(1),
  input: z.union([z.string().min(1), z.array(z.string().min(1, 'inputs must not be empty')).min(1)]),
  dimensions: z.number().int().min(1).max(16_384).nullish(),
  encoding_format: z.enum(['float', 'base64']).nullish(),
});

const FINISH_REASON: Record<StopCause, 'stop' | 'length'> = { natural: 'stop', stop_sequence: 'stop', length: 'length' };

function refuseStreaming(stream: boolean | null | undefined): void {
  if (stream) throw new SimulatorError('validation', 'stream: true is not supported by the GPU simulator', { param: 'stream' });
}

/** 404 for a model the simulator does not serve, when `strictModels` is on. */
function checkModel(context: RouteContext, model: string): void {
  const config = context.sim.config;
  if (config.strictModels && !config.models.includes(model)) {
    throw new SimulatorError('not_found', `The model \`${model}\` does not exist.`, { param: 'model', code: 'model_not_found' });
  }
}

function textOf(content: ChatRequest['messages'][number]['content']): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => part.text ?? '').join('');
}

function stopList(stop: string | string[] | null | undefined): string[] {
  if (stop === null || stop === undefined) return [];
  return typeof stop === 'string' ? [stop] : stop;
}

/**
 * Answers a chat request with an OpenAI `chat.completion` body. Shared with the Bedrock
 * face, whose InvokeModel takes the same body for gpt-oss models.
 */
export async function completeChat(
  context: RouteContext,
  request: Omit<ChatRequest, 'model'>,
  model: string,
  where: { face: Face; route: string },
): Promise<HttpReply> {
  refuseStreaming(request.stream);
  const messages: PlainMessage[] = request.messages.map((message) => ({ role: message.role, text: textOf(message.content) }));
  const reply = generateReply({
    model,
    prompt: JSON.stringify(messages.map((message) => [message.role, message.text])),
    maxTokens: request.max_completion_tokens ?? request.max_tokens ?? context.sim.config.defaultMaxTokens,
    stopSequences: stopList(request.stop),
  });
  const promptTokens = promptTokensOf(messages);
  await context.sim.process({
    ...where,
    items: 1,
    promptTokens,
    completionTokens: reply.completionTokens,
    texts: messages.map((message) => message.text),
  });
  return {
    status: 200,
    body: {
      id: responseId('chatcmpl', model, reply.text),
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [
        { index: 0, message: { role: 'assistant', content: reply.text }, logprobs: null, finish_reason: FINISH_REASON[reply.stop] },
      ],
      usage: { prompt_tokens: promptTokens, completion_tokens: reply.completionTokens, total_tokens: promptTokens + reply.completionTokens },
    },
  };
}

async function chatCompletions(context: RouteContext): Promise<HttpReply> {
  const request = parseBody(ChatRequestSchema, context.body);
  checkModel(context, request.model);
  return completeChat(context, request, request.model, { face: 'openai', route: 'chat.completions' });
}

async function completions(context: RouteContext): Promise<HttpReply> {
  const request = parseBody(CompletionRequest, context.body);
  refuseStreaming(request.stream);
  checkModel(context, request.model);
  const prompts = typeof request.prompt === 'string' ? [request.prompt] : request.prompt;
  const maxTokens = request.max_tokens ?? context.sim.config.defaultMaxTokens;
  const replies = prompts.map((prompt) =>
    generateReply({ model: request.model, prompt, maxTokens, stopSequences: stopList(request.stop) }),
  );
  const promptTokens = prompts.reduce((sum, prompt) => sum + countTokens(prompt), 0);
  const completionTokens = replies.reduce((sum, reply) => sum + reply.completionTokens, 0);
  await context.sim.process({ face: 'openai', route: 'completions', items: prompts.length, promptTokens, completionTokens, texts: prompts });
  return {
    status: 200,
    body: {
      id: responseId('cmpl', request.model, ...prompts),
      object: 'text_completion',
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      choices: replies.map((reply, index) => ({ index, text: reply.text, logprobs: null, finish_reason: FINISH_REASON[reply.stop] })),
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    },
  };
}

async function embeddings(context: RouteContext): Promise<HttpReply> {
  const request = parseBody(EmbeddingRequest, context.body);
  checkModel(context, request.model);
  const inputs = typeof request.input === 'string' ? [request.input] : request.input;
  const promptTokens = inputs.reduce((sum, input) => sum + countTokens(input), 0);
  await context.sim.process({ face: 'openai', route: 'embeddings', items: inputs.length, promptTokens, completionTokens: 0, texts: inputs });
  const dimensions = request.dimensions ?? context.sim.config.dimensions;
  return {
    status: 200,
    body: {
      object: 'list',
      data: inputs.map((input, index) => {
        const vector = embeddingFor(request.model, input, dimensions);
        return { object: 'embedding', index, embedding: request.encoding_format === 'base64' ? toBase64Float32(vector) : vector };
      }),
      model: request.model,
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    },
  };
}

function modelCard(id: string): { id: string; object: 'model'; created: number; owned_by: string } {
  // A fixed date: the list is configuration, and a stable body is easier to compare.
  return { id, object: 'model', created: 1_735_689_600, owned_by: 'gpu-simulator' };
}

function route(name: string, handle: (context: RouteContext) => Promise<HttpReply>): FaceRoute {
  return { route: name, handle };
}

/** The OpenAI-compatible face. */
export const openAiFace: FaceDefinition = {
  face: 'openai',
  resolve(method, pathname) {
    const path = pathname.replace(/\/+$/, '');
    if (method === 'POST' && path === '/v1/chat/completions') return route('chat.completions', chatCompletions);
    if (method === 'POST' && path === '/v1/completions') return route('completions', completions);
    if (method === 'POST' && path === '/v1/embeddings') return route('embeddings', embeddings);
    if (method === 'GET' && path === '/v1/models') {
      return route('models', async ({ sim }) => ({ status: 200, body: { object: 'list', data: sim.config.models.map(modelCard) } }));
    }
    const model = /^\/v1\/models\/(.+)$/.exec(path)?.[1];
    if (method === 'GET' && model !== undefined) {
      return route('models', async ({ sim }) => {
        const id = decodeURIComponent(model);
        if (!sim.config.models.includes(id)) {
          throw new SimulatorError('not_found', `The model \`${id}\` does not exist.`, { param: 'model', code: 'model_not_found' });
        }
        return { status: 200, body: modelCard(id) };
      });
    }
    return new SimulatorError('not_found', `no route ${method} ${pathname}`, { code: 'unknown_url' });
  },
  renderError(error) {
    const type =
      error.kind === 'throttled' ? 'rate_limit_error'
      : error.kind === 'internal' || error.kind === 'unavailable' ? 'server_error'
      : error.kind === 'not_found' && error.code !== 'model_not_found' ? 'not_found_error'
      : 'invalid_request_error';
    const headers: Record<string, string> = {};
    if (error.retryAfterSeconds !== undefined) {
      headers['retry-after'] = String(error.retryAfterSeconds);
      headers['retry-after-ms'] = String(error.retryAfterSeconds * 1000);
    }
    return { status: error.status, headers, body: { error: { message: error.message, type, param: error.param, code: error.code } } };
  },
};
