/**
 * Records what each OpenAI-compatible client library sends on its default paths, for
 * docs/client-requests.md. Not a test: `npx tsx scripts/capture-client-requests.ts [out.json]`.
 *
 * A node:http server on 127.0.0.1 (port 0) records method, path, headers (without
 * authorization) and the JSON body of every request, and answers with minimal valid
 * OpenAI responses (SSE when the body asks to stream). Each client call is then made
 * against it and the captures are printed (or written to the given file) as JSON.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

interface Capture {
  label: string;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

const captures: Capture[] = [];
let currentLabel = '';

/** The object every structured-output answer carries; it satisfies {@link Weather}. */
const WEATHER = { city: 'Paris', temperatureC: 21, conditions: 'sunny' };
const Weather = z.object({ city: z.string(), temperatureC: z.number(), conditions: z.enum(['sunny', 'rainy', 'cloudy']) });
const now = () => Math.floor(Date.now() / 1000);

type Json = Record<string, any>;

function sse(res: ServerResponse, events: Array<{ event?: string; data: unknown }>, done: boolean): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const e of events) {
    if (e.event) res.write(`event: ${e.event}\n`);
    res.write(`data: ${JSON.stringify(e.data)}\n\n`);
  }
  if (done) res.write('data: [DONE]\n\n');
  res.end();
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** The tool the request forces or the first one it offers, with arguments for it. */
function pickTool(body: Json): { name: string; args: string } | undefined {
  const tools: Json[] | undefined = body.tools;
  if (!tools?.length || body.tool_choice === 'none') return undefined;
  // A conversation that ends with a tool result gets a text answer.
  const last: Json | undefined = Array.isArray(body.messages)
    ? body.messages.at(-1)
    : Array.isArray(body.input)
      ? body.input.at(-1)
      : undefined;
  if (last?.role === 'tool' || last?.type === 'function_call_output') return undefined;
  const forced = body.tool_choice?.function?.name ?? body.tool_choice?.name;
  const tool = tools.find((t) => (t.function?.name ?? t.name) === forced) ?? tools[0]!;
  const name: string = tool.function?.name ?? tool.name;
  const params: Json = tool.function?.parameters ?? tool.parameters ?? {};
  const props = Object.keys(params.properties ?? {});
  const args =
    props.includes('city') && props.includes('temperatureC')
      ? WEATHER
      : Object.fromEntries(props.map((p) => [p, p === 'city' ? 'Paris' : 'x']));
  return { name, args: JSON.stringify(args) };
}

function chatCompletions(body: Json, res: ServerResponse): void {
  const id = 'chatcmpl-capture';
  const model = body.model;
  const tool = pickTool(body);
  const wantsJson = body.response_format?.type === 'json_schema' || body.response_format?.type === 'json_object';
  const text = wantsJson ? JSON.stringify(WEATHER) : 'Hello there.';
  const usage = { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 };
  if (!body.stream) {
    const message: Json = tool
      ? {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: tool.name, arguments: tool.args } }],
        }
      : { role: 'assistant', content: text };
    json(res, {
      id,
      object: 'chat.completion',
      created: now(),
      model,
      choices: [{ index: 0, message, finish_reason: tool ? 'tool_calls' : 'stop', logprobs: null }],
      usage,
    });
    return;
  }
  const chunk = (delta: Json, finish: string | null, extra: Json = {}) => ({
    data: {
      id,
      object: 'chat.completion.chunk',
      created: now(),
      model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      ...extra,
    },
  });
  const events = [chunk({ role: 'assistant', content: '' }, null)];
  if (tool) {
    events.push(chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: tool.name, arguments: '' } }] }, null));
    events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: tool.args } }] }, null));
    events.push(chunk({}, 'tool_calls'));
  } else {
    for (const part of text.match(/.{1,6}/g) ?? []) events.push(chunk({ content: part }, null));
    events.push(chunk({}, 'stop'));
  }
  if (body.stream_options?.include_usage)
    events.push({ data: { id, object: 'chat.completion.chunk', created: now(), model, choices: [], usage } as any });
  sse(res, events, true);
}

function embeddings(body: Json, res: ServerResponse): void {
  const inputs: unknown[] =
    Array.isArray(body.input) && !(body.input.length > 0 && typeof body.input[0] === 'number') ? body.input : [body.input];
  const size = body.dimensions ?? 8;
  const data = inputs.map((_, index) => {
    const vector = Array.from({ length: size }, (_v, i) => (i + index + 1) / 100);
    const embedding = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index, embedding };
  });
  json(res, { object: 'list', model: body.model, data, usage: { prompt_tokens: 3 * inputs.length, total_tokens: 3 * inputs.length } });
}

function responses(body: Json, res: ServerResponse): void {
  const id = 'resp_capture';
  const msgId = 'msg_capture';
  const tool = pickTool(body);
  const wantsJson = body.text?.format?.type === 'json_schema';
  const text = wantsJson ? JSON.stringify(WEATHER) : 'Hello there.';
  const usage = {
    input_tokens: 10,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 4,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 14,
  };
  const base = {
    id,
    object: 'response',
    created_at: now(),
    model: body.model,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    metadata: {},
    parallel_tool_calls: true,
    temperature: 1,
    top_p: 1,
    tool_choice: 'auto',
    tools: body.tools ?? [],
  };
  const textPart = { type: 'output_text', text, annotations: [] as unknown[], logprobs: [] as unknown[] };
  const item: Json = tool
    ? { type: 'function_call', id: 'fc_capture', call_id: 'call_1', name: tool.name, arguments: tool.args, status: 'completed' }
    : { type: 'message', id: msgId, status: 'completed', role: 'assistant', content: [textPart] };
  const completed = { ...base, status: 'completed', output: [item], usage, output_text: tool ? undefined : text };
  if (!body.stream) {
    json(res, completed);
    return;
  }
  let seq = 0;
  const ev = (type: string, payload: Json) => ({ event: type, data: { type, sequence_number: seq++, ...payload } });
  const inProgress = { ...base, status: 'in_progress', output: [], usage: null };
  const events = [ev('response.created', { response: inProgress }), ev('response.in_progress', { response: inProgress })];
  if (tool) {
    events.push(ev('response.output_item.added', { output_index: 0, item: { ...item, arguments: '', status: 'in_progress' } }));
    events.push(ev('response.function_call_arguments.delta', { item_id: item.id, output_index: 0, delta: tool.args }));
    events.push(ev('response.function_call_arguments.done', { item_id: item.id, output_index: 0, arguments: tool.args }));
  } else {
    events.push(
      ev('response.output_item.added', {
        output_index: 0,
        item: { type: 'message', id: msgId, status: 'in_progress', role: 'assistant', content: [] },
      }),
    );
    events.push(
      ev('response.content_part.added', {
        item_id: msgId,
        output_index: 0,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [] },
      }),
    );
    for (const part of text.match(/.{1,6}/g) ?? [])
      events.push(ev('response.output_text.delta', { item_id: msgId, output_index: 0, content_index: 0, delta: part, logprobs: [] }));
    events.push(ev('response.output_text.done', { item_id: msgId, output_index: 0, content_index: 0, text, logprobs: [] }));
    events.push(ev('response.content_part.done', { item_id: msgId, output_index: 0, content_index: 0, part: textPart }));
  }
  events.push(ev('response.output_item.done', { output_index: 0, item }));
  events.push(ev('response.completed', { response: completed }));
  sse(res, events, false);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function main(): Promise<void> {
  const server = createServer((req, res) => {
    void readBody(req).then((raw) => {
      const { authorization: _auth, ...headers } = req.headers;
      let body: unknown = raw;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        /* keep it raw */
      }
      captures.push({ label: currentLabel, method: req.method ?? '', path: req.url ?? '', headers, body });
      const path = (req.url ?? '').replace(/\?.*$/, '');
      if (path.endsWith('/chat/completions')) return chatCompletions(body as Json, res);
      if (path.endsWith('/embeddings')) return embeddings(body as Json, res);
      if (path.endsWith('/responses')) return responses(body as Json, res);
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'not captured', type: 'invalid_request_error', param: null, code: null } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  const apiKey = 'sk-capture';
  const results: Record<string, unknown> = {};
  const run = async (label: string, fn: () => Promise<unknown>) => {
    currentLabel = label;
    process.stderr.write(`capturing ${label}\n`);
    try {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise((_r, reject) => (timer = setTimeout(() => reject(new Error('timed out after 10 s')), 10_000)));
      results[label] = await Promise.race([fn(), timeout]).finally(() => clearTimeout(timer));
    } catch (error) {
      results[label] = { error: String(error), stack: (error as Error).stack?.split('\n').slice(0, 4).join(' | ') };
    }
  };
  const weatherTool = {
    name: 'get_weather',
    description: 'Current weather in a city',
    schema: z.object({ city: z.string().describe('City name') }),
  };

  // --- LangChain
  const { ChatOpenAI, OpenAIEmbeddings } = await import('@langchain/openai');
  const { tool } = await import('@langchain/core/tools');
  const lc = new ChatOpenAI({ model: 'gpt-oss-20b', apiKey, configuration: { baseURL }, maxRetries: 0 });
  await run('langchain.invoke', async () => (await lc.invoke('Say hello.')).content);
  await run('langchain.stream', async () => {
    let text = '';
    for await (const chunk of await lc.stream('Say hello.')) text += chunk.content as string;
    return text;
  });
  const lcTool = tool(async ({ city }: { city: string }) => `sunny in ${city}`, weatherTool);
  await run('langchain.bindTools.invoke', async () => (await lc.bindTools([lcTool]).invoke('Weather in Paris?')).tool_calls);
  await run('langchain.toolRoundTrip', async () => {
    const { HumanMessage, ToolMessage } = await import('@langchain/core/messages');
    const human = new HumanMessage('Weather in Paris?');
    const ai1 = await lc.bindTools([lcTool], { tool_choice: 'get_weather' }).invoke([human]);
    const call = ai1.tool_calls![0]!;
    return (await lc.invoke([human, ai1, new ToolMessage({ tool_call_id: call.id!, content: 'sunny' })])).content;
  });
  await run('langchain.withStructuredOutput.invoke', async () => lc.withStructuredOutput(Weather).invoke('Weather in Paris?'));
  await run('langchain.withStructuredOutput.functionCalling', async () =>
    lc.withStructuredOutput(Weather, { method: 'functionCalling' }).invoke('Weather in Paris?'),
  );
  const lcEmb = new OpenAIEmbeddings({ model: 'bge-m3', apiKey, configuration: { baseURL }, maxRetries: 0 });
  await run('langchain.embedQuery', async () => (await lcEmb.embedQuery('hello')).length);
  await run('langchain.embedDocuments', async () => (await lcEmb.embedDocuments(['a', 'b'])).map((v) => v.length));
  const lcEmbDim = new OpenAIEmbeddings({
    model: 'titan-embed-text-v2',
    dimensions: 256,
    apiKey,
    configuration: { baseURL },
    maxRetries: 0,
  });
  await run('langchain.embedQuery.dimensions', async () => (await lcEmbDim.embedQuery('hello')).length);

  // --- AI SDK, openai-compatible provider
  const ai = await import('ai');
  const { createOpenAICompatible } = await import('@ai-sdk/openai-compatible');
  const compat = createOpenAICompatible({ baseURL, apiKey, name: 'platform' });
  await run('aisdk.compat.generateText', async () => {
    const r = await ai.generateText({ model: compat('gpt-oss-20b'), prompt: 'Say hello.', maxRetries: 0 });
    return { text: r.text, usage: r.usage, finishReason: r.finishReason };
  });
  await run('aisdk.compat.streamText', async () => {
    const r = ai.streamText({ model: compat('gpt-oss-20b'), prompt: 'Say hello.', maxRetries: 0 });
    const parts: string[] = [];
    for await (const part of r.fullStream) parts.push(part.type);
    return { text: await r.text, usage: await r.usage, parts };
  });
  const aiTools = { get_weather: ai.tool({ description: weatherTool.description, inputSchema: weatherTool.schema }) };
  await run('aisdk.compat.generateText.tools', async () => {
    const r = await ai.generateText({ model: compat('gpt-oss-20b'), prompt: 'Weather in Paris?', tools: aiTools, maxRetries: 0 });
    return { toolCalls: r.toolCalls, finishReason: r.finishReason };
  });
  await run('aisdk.compat.streamText.tools', async () => {
    const r = ai.streamText({ model: compat('gpt-oss-20b'), prompt: 'Weather in Paris?', tools: aiTools, maxRetries: 0 });
    const parts: string[] = [];
    for await (const part of r.fullStream) parts.push(part.type);
    return { toolCalls: await r.toolCalls, parts };
  });
  await run('aisdk.compat.generateText.toolRoundTrip', async () => {
    const r = await ai.generateText({
      model: compat('gpt-oss-20b'),
      prompt: 'Weather in Paris?',
      tools: {
        get_weather: ai.tool({
          description: weatherTool.description,
          inputSchema: weatherTool.schema,
          execute: async ({ city }) => ({ city, conditions: 'sunny' }),
        }),
      },
      toolChoice: { type: 'tool', toolName: 'get_weather' },
      stopWhen: ai.stepCountIs(2),
      prepareStep: ({ stepNumber }) => (stepNumber === 1 ? { toolChoice: 'none' } : undefined),
      maxRetries: 0,
    });
    return { steps: r.steps.length, text: r.text };
  });
  await run(
    'aisdk.compat.generateObject',
    async () =>
      (await ai.generateObject({ model: compat('gpt-oss-20b'), schema: Weather, prompt: 'Weather in Paris?', maxRetries: 0 })).object,
  );
  const compatStructured = createOpenAICompatible({ baseURL, apiKey, name: 'platform', supportsStructuredOutputs: true });
  await run(
    'aisdk.compat.generateObject.supportsStructuredOutputs',
    async () =>
      (await ai.generateObject({ model: compatStructured('gpt-oss-20b'), schema: Weather, prompt: 'Weather in Paris?', maxRetries: 0 }))
        .object,
  );
  await run('aisdk.compat.streamObject', async () => {
    const r = ai.streamObject({ model: compat('gpt-oss-20b'), schema: Weather, prompt: 'Weather in Paris?', maxRetries: 0 });
    // The result promises settle only once the stream has been read.
    let partials = 0;
    for await (const _partial of r.partialObjectStream) partials += 1;
    return { object: await r.object, partials };
  });
  await run(
    'aisdk.compat.embed',
    async () => (await ai.embed({ model: compat.textEmbeddingModel('bge-m3'), value: 'hello', maxRetries: 0 })).embedding.length,
  );
  await run('aisdk.compat.embedMany', async () =>
    (await ai.embedMany({ model: compat.textEmbeddingModel('bge-m3'), values: ['a', 'b'], maxRetries: 0 })).embeddings.map((e) => e.length),
  );

  // --- AI SDK, OpenAI provider
  const { createOpenAI } = await import('@ai-sdk/openai');
  const oa = createOpenAI({ baseURL, apiKey });
  await run('aisdk.openai.responses.generateText', async () => {
    const r = await ai.generateText({ model: oa('gpt-oss-20b'), prompt: 'Say hello.', maxRetries: 0 });
    return { text: r.text, usage: r.usage };
  });
  await run('aisdk.openai.responses.streamText', async () => {
    const r = ai.streamText({ model: oa('gpt-oss-20b'), prompt: 'Say hello.', maxRetries: 0 });
    const parts: string[] = [];
    for await (const part of r.fullStream) parts.push(part.type);
    return { text: await r.text, usage: await r.usage, parts };
  });
  await run('aisdk.openai.responses.generateText.tools', async () => {
    const r = await ai.generateText({ model: oa('gpt-oss-20b'), prompt: 'Weather in Paris?', tools: aiTools, maxRetries: 0 });
    return { toolCalls: r.toolCalls };
  });
  await run(
    'aisdk.openai.responses.generateObject',
    async () => (await ai.generateObject({ model: oa('gpt-oss-20b'), schema: Weather, prompt: 'Weather in Paris?', maxRetries: 0 })).object,
  );
  await run(
    'aisdk.openai.chat.generateText',
    async () => (await ai.generateText({ model: oa.chat('gpt-oss-20b'), prompt: 'Say hello.', maxRetries: 0 })).text,
  );
  await run('aisdk.openai.chat.streamText', async () => {
    const r = ai.streamText({ model: oa.chat('gpt-oss-20b'), prompt: 'Say hello.', maxRetries: 0 });
    return { text: await r.text, usage: await r.usage };
  });
  await run(
    'aisdk.openai.chat.generateText.tools',
    async () =>
      (await ai.generateText({ model: oa.chat('gpt-oss-20b'), prompt: 'Weather in Paris?', tools: aiTools, maxRetries: 0 })).toolCalls,
  );
  await run(
    'aisdk.openai.chat.generateObject',
    async () =>
      (await ai.generateObject({ model: oa.chat('gpt-oss-20b'), schema: Weather, prompt: 'Weather in Paris?', maxRetries: 0 })).object,
  );
  await run('aisdk.openai.embedding.embedMany', async () =>
    (await ai.embedMany({ model: oa.embedding('titan-embed-text-v2'), values: ['a', 'b'], maxRetries: 0 })).embeddings.map((e) => e.length),
  );
  await run(
    'aisdk.openai.embedding.dimensions',
    async () =>
      (
        await ai.embed({
          model: oa.embedding('titan-embed-text-v2'),
          value: 'a',
          providerOptions: { openai: { dimensions: 256 } },
          maxRetries: 0,
        })
      ).embedding.length,
  );

  // --- openai client, Responses API
  const { default: OpenAI } = await import('openai');
  const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
  await run(
    'openai.responses.create',
    async () => (await client.responses.create({ model: 'gpt-oss-20b', input: 'Say hello.' })).output_text,
  );
  await run('openai.responses.create.stream', async () => {
    const types: string[] = [];
    for await (const event of await client.responses.create({ model: 'gpt-oss-20b', input: 'Say hello.', stream: true }))
      types.push(event.type);
    return types;
  });
  await run(
    'openai.embeddings.create.default',
    async () => (await client.embeddings.create({ model: 'bge-m3', input: 'hello' })).data[0]!.embedding.length,
  );

  server.close();
  const out = JSON.stringify({ captures, results }, null, 2);
  const file = process.argv[2];
  if (file) writeFileSync(file, out);
  else process.stdout.write(out + '\n');
}

void main();
