import * as z from 'zod';
import { splitIntoPieces } from './chatPlan';
import { SimulatorError, parseBody } from './errors';
import { countTokens, embeddingFor, generateReply, responseId, toBase64Float32, type Reply, type StopCause } from './outputs';
import { chatCompletions, midStreamError } from './openAiChat';
import type { FaceDefinition, FaceRoute, HttpReply, RouteContext, StreamReply } from './types';

/**
 * The OpenAI-compatible face under `/v1`, shaped like vLLM's server: chat completions,
 * (see openAiChat.ts: tools, structured output, reasoning, streaming), legacy completions
 * (a list of prompts is a list of items; a single prompt may stream), embeddings (a list of texts or
 * of token-id lists is a list of items, float or base64) and the model list.
 */

const Stop = z.union([z.string(), z.array(z.string()).max(4)]).nullish();

const CompletionRequest = z.object({
  model: z.string().min(1),
  prompt: z.union([z.string(), z.array(z.string()).min(1)]),
  max_tokens: z.number().int().min(1).nullish(),
  stop: Stop,
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
});

const TokenIds = z.array(z.number().int().min(0)).min(1, 'inputs must not be empty');
const EmbeddingRequest = z.object({
  model: z.string().min(1),
  // Text, texts, token ids, or lists of token ids, as vLLM takes them.
  input: z.union([z.string().min(1), z.array(z.string().min(1, 'inputs must not be empty')).min(1), TokenIds, z.array(TokenIds).min(1)]),
  dimensions: z.number().int().min(1).max(16_384).nullish(),
  encoding_format: z.enum(['float', 'base64']).nullish(),
});

const FINISH_REASON: Record<StopCause, 'stop' | 'length'> = { natural: 'stop', stop_sequence: 'stop', length: 'length' };

/** One embedding input: its text (token ids are spelled out) and its prompt tokens. */
function embeddingInputs(input: z.infer<typeof EmbeddingRequest>['input']): Array<{ text: string; tokens: number }> {
  if (typeof input === 'string') return [{ text: input, tokens: countTokens(input) }];
  if (input.every((item) => typeof item === 'string')) return input.map((text) => ({ text, tokens: countTokens(text) }));
  if (input.every((item) => typeof item === 'number')) return [{ text: `tokens:${input.join(',')}`, tokens: input.length }];
  return input.map((ids) =>
    Array.isArray(ids) ? { text: `tokens:${ids.join(',')}`, tokens: ids.length } : { text: String(ids), tokens: 1 },
  );
}

/**
 * A legacy completion as `text_completion` chunks, then `[DONE]`: one prompt only (a list
 * of prompts cannot be streamed here), paced like chat.
 */
async function streamCompletion(
  context: RouteContext,
  request: z.infer<typeof CompletionRequest>,
  prompts: string[],
  replies: Reply[],
): Promise<StreamReply> {
  const [prompt, reply] = [prompts[0] ?? '', replies[0]];
  if (prompts.length !== 1 || !reply) {
    throw new SimulatorError('validation', 'stream: true takes a single prompt in the GPU simulator', { param: 'stream' });
  }
  const promptTokens = countTokens(prompt);
  const generation = await context.sim.begin(
    { face: 'openai', route: 'completions', items: 1, promptTokens, completionTokens: reply.completionTokens, texts: prompts },
    { signal: context.signal, stream: true },
  );
  const pieces = splitIntoPieces(reply.text, reply.completionTokens);
  const includeUsage = request.stream_options?.include_usage === true;
  const base = {
    id: responseId('cmpl', request.model, prompt),
    object: 'text_completion',
    created: Math.floor(Date.now() / 1000),
    model: request.model,
  };
  const chunk = (choices: unknown[], usage?: unknown): string =>
    `data: ${JSON.stringify({ ...base, choices, ...(includeUsage ? { usage: usage ?? null } : {}) })}\n\n`;
  return {
    status: 200,
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' },
    async stream(write) {
      const outcome = await generation.run((from, to) => {
        write(
          pieces
            .slice(from, to)
            .map((text) => chunk([{ index: 0, text, logprobs: null, finish_reason: null }]))
            .join(''),
        );
      });
      if (outcome === 'cancelled') return;
      if (outcome === 'broken') {
        write(`data: ${JSON.stringify(midStreamError(context))}\n\n`);
        return;
      }
      write(chunk([{ index: 0, text: '', logprobs: null, finish_reason: FINISH_REASON[reply.stop] }]));
      if (includeUsage) {
        write(
          chunk([], {
            prompt_tokens: promptTokens,
            completion_tokens: reply.completionTokens,
            total_tokens: promptTokens + reply.completionTokens,
          }),
        );
      }
      write('data: [DONE]\n\n');
    },
  };
}

/** 404 for a model the simulator does not serve, when `strictModels` is on. */
function checkModel(context: RouteContext, model: string): void {
  const config = context.sim.config;
  if (config.strictModels && !config.models.includes(model)) {
    throw new SimulatorError('not_found', `The model \`${model}\` does not exist.`, { param: 'model', code: 'model_not_found' });
  }
}

function stopList(stop: string | string[] | null | undefined): string[] {
  if (stop === null || stop === undefined) return [];
  return typeof stop === 'string' ? [stop] : stop;
}

async function completions(context: RouteContext): Promise<HttpReply | StreamReply> {
  const request = parseBody(CompletionRequest, context.body);
  checkModel(context, request.model);
  const prompts = typeof request.prompt === 'string' ? [request.prompt] : request.prompt;
  const maxTokens = request.max_tokens ?? context.sim.config.defaultMaxTokens;
  const replies = prompts.map((prompt) =>
    generateReply({ model: request.model, prompt, maxTokens, stopSequences: stopList(request.stop) }),
  );
  if (request.stream) return streamCompletion(context, request, prompts, replies);
  const promptTokens = prompts.reduce((sum, prompt) => sum + countTokens(prompt), 0);
  const completionTokens = replies.reduce((sum, reply) => sum + reply.completionTokens, 0);
  // Each prompt is a sequence of its own in the generation engine, as on vLLM.
  await context.sim.process(
    { face: 'openai', route: 'completions', items: prompts.length, promptTokens, completionTokens, texts: prompts },
    context.signal,
    prompts.map((prompt, index) => ({ promptTokens: countTokens(prompt), completionTokens: replies[index]?.completionTokens ?? 0 })),
  );
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
  const inputs = embeddingInputs(request.input);
  const promptTokens = inputs.reduce((sum, input) => sum + input.tokens, 0);
  const texts = inputs.map((input) => input.text);
  await context.sim.process(
    { face: 'openai', route: 'embeddings', items: inputs.length, promptTokens, completionTokens: 0, texts },
    context.signal,
  );
  const dimensions = request.dimensions ?? context.sim.config.dimensions;
  return {
    status: 200,
    body: {
      object: 'list',
      data: inputs.map((input, index) => {
        const vector = embeddingFor(request.model, input.text, dimensions);
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

function route(name: string, handle: (context: RouteContext) => Promise<HttpReply | StreamReply>): FaceRoute {
  return { route: name, handle };
}

/** The OpenAI-compatible face. */
export const openAiFace: FaceDefinition = {
  face: 'openai',
  resolve(method, pathname) {
    const path = pathname.replace(/\/+$/, '');
    if (method === 'POST' && path === '/v1/chat/completions') {
      return route('chat.completions', (context) => chatCompletions(context, (model) => checkModel(context, model)));
    }
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
      error.kind === 'throttled'
        ? 'rate_limit_error'
        : error.kind === 'internal' || error.kind === 'unavailable'
          ? 'server_error'
          : error.kind === 'not_found' && error.code !== 'model_not_found'
            ? 'not_found_error'
            : 'invalid_request_error';
    const headers: Record<string, string> = {};
    if (error.retryAfterSeconds !== undefined) {
      headers['retry-after'] = String(error.retryAfterSeconds);
      headers['retry-after-ms'] = String(error.retryAfterSeconds * 1000);
    }
    return { status: error.status, headers, body: { error: { message: error.message, type, param: error.param, code: error.code } } };
  },
};
