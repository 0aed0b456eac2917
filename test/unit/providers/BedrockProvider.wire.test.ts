import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventStreamCodec } from '@smithy/core/event-streams';
import { BackendThrottledError, BackendUnavailableError } from '../../../shared/errors/backendErrors';
import { BedrockProvider } from '../../../shared/providers/bedrock/BedrockProvider';
import type { ChatCall, ChatDelta } from '../../../shared/domain/inference';

/**
 * ConverseStream through the real SDK client (as createBedrockClient builds it) against a
 * local server speaking the AWS event-stream encoding: checks the event shapes, that
 * stream exceptions are thrown while iterating, and that stopping early drops the
 * connection.
 */

const MODEL = 'openai.gpt-oss-120b-1:0';
const call: ChatCall = { model: MODEL, messages: [{ role: 'user', content: 'Hi' }] };
const codec = new EventStreamCodec(
  (bytes) => Buffer.from(bytes).toString('utf8'),
  (text) => new Uint8Array(Buffer.from(text, 'utf8')),
);

function frame(kind: 'event' | 'exception', type: string, body: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ':message-type': { type: 'string', value: kind },
      [kind === 'event' ? ':event-type' : ':exception-type']: { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: new Uint8Array(Buffer.from(JSON.stringify(body), 'utf8')),
  });
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
let server: Server;
let handler: Handler;
let endpoint: string;

beforeEach(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function openStream(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'r1' });
  res.flushHeaders();
}

async function collect(stream: AsyncIterable<ChatDelta>): Promise<ChatDelta[]> {
  const deltas: ChatDelta[] = [];
  for await (const delta of stream) deltas.push(delta);
  return deltas;
}

const provider = () => new BedrockProvider({ region: 'us-east-1', endpoint, backendId: 'bedrock-wire', timeoutMs: 2_000 });

describe('BedrockProvider.chatStream on the wire', () => {
  it('decodes ConverseStream events into deltas', async () => {
    // Prepare
    let path = '';
    handler = (req, res) => {
      path = req.url ?? '';
      openStream(res);
      res.write(frame('event', 'messageStart', { role: 'assistant' }));
      res.write(frame('event', 'contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'Greeting.' } } }));
      res.write(frame('event', 'contentBlockDelta', { contentBlockIndex: 1, delta: { text: 'Hello' } }));
      res.write(frame('event', 'contentBlockStart', { contentBlockIndex: 2, start: { toolUse: { toolUseId: 'tu1', name: 'get_time' } } }));
      res.write(frame('event', 'contentBlockDelta', { contentBlockIndex: 2, delta: { toolUse: { input: '{}' } } }));
      res.write(frame('event', 'messageStop', { stopReason: 'tool_use' }));
      res.end(frame('event', 'metadata', { usage: { inputTokens: 4, outputTokens: 6, totalTokens: 10 }, metrics: { latencyMs: 3 } }));
    };

    // Act
    const deltas = await collect(provider().chatStream({ ...call, tools: [{ type: 'function', function: { name: 'get_time' } }] }));

    // Assess
    expect(path).toBe(`/model/${encodeURIComponent(MODEL)}/converse-stream`);
    expect(deltas).toEqual([
      { reasoning: 'Greeting.' },
      { content: 'Hello' },
      { toolCalls: [{ index: 0, id: 'tu1', type: 'function', function: { name: 'get_time', arguments: '' } }] },
      { toolCalls: [{ index: 0, function: { arguments: '{}' } }] },
      { finishReason: 'tool_calls' },
      { usage: { promptTokens: 4, completionTokens: 6, reasoningTokens: 3 } },
    ]);
  });

  it.each([
    ['throttlingException', BackendThrottledError],
    ['modelStreamErrorException', BackendUnavailableError],
  ] as const)('maps a %s inside the stream', async (type, expected) => {
    // Prepare
    handler = (_req, res) => {
      openStream(res);
      res.write(frame('event', 'contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } }));
      res.end(frame('exception', type, { message: 'stream failed' }));
    };
    const stream = provider().chatStream(call)[Symbol.asyncIterator]();

    // Act
    const first = await stream.next();
    const second = stream.next();

    // Assess
    expect(first.value).toEqual({ content: 'Hi' });
    await expect(second).rejects.toBeInstanceOf(expected);
    await expect(second).rejects.toThrow(/stream failed/);
  });

  it('drops the connection when the consumer stops early', async () => {
    // Prepare
    let disconnected!: () => void;
    const gone = new Promise<void>((resolve) => {
      disconnected = resolve;
    });
    handler = (_req, res) => {
      openStream(res);
      const timer = setInterval(() => res.write(frame('event', 'contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'x' } })), 5);
      res.on('close', () => {
        clearInterval(timer);
        if (!res.writableEnded) disconnected();
      });
    };

    // Act
    for await (const delta of provider().chatStream(call)) {
      expect(delta).toEqual({ content: 'x' });
      break;
    }

    // Assess
    await expect(gone).resolves.toBeUndefined();
  });
});

describe('BedrockProvider.chat on the wire', () => {
  it('sends tools, structured output, reasoning effort and metadata as Converse JSON, and reads tool calls back', async () => {
    // Prepare
    let sent: unknown;
    handler = (_req, res, body) => {
      sent = JSON.parse(body);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          output: {
            message: {
              role: 'assistant',
              content: [
                { reasoningContent: { reasoningText: { text: 'Need the time.' } } },
                { toolUse: { toolUseId: 'tu1', name: 'get_time', input: { zone: 'CET' } } },
              ],
            },
          },
          stopReason: 'tool_use',
          usage: { inputTokens: 9, outputTokens: 20, totalTokens: 29 },
          metrics: { latencyMs: 5 },
        }),
      );
    };
    const schema = { type: 'object', properties: { time: { type: 'string' } } };

    // Act
    const result = await provider().chat({
      ...call,
      tools: [
        { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } } },
      ],
      toolChoice: 'required',
      responseFormat: { type: 'json_schema', json_schema: { name: 'answer', schema } },
      reasoningEffort: 'medium',
      user: 'u-9',
    });

    // Assess
    expect(sent).toMatchObject({
      toolConfig: {
        tools: [{ toolSpec: { name: 'get_time', inputSchema: { json: { type: 'object', properties: { zone: { type: 'string' } } } } } }],
        toolChoice: { any: {} },
      },
      outputConfig: { textFormat: { type: 'json_schema', structure: { jsonSchema: { name: 'answer', schema: JSON.stringify(schema) } } } },
      additionalModelRequestFields: { reasoning_effort: 'medium' },
      requestMetadata: { user: 'u-9' },
    });
    expect(result).toEqual({
      content: null,
      reasoning: 'Need the time.',
      toolCalls: [{ id: 'tu1', type: 'function', function: { name: 'get_time', arguments: '{"zone":"CET"}' } }],
      finishReason: 'tool_calls',
      usage: { promptTokens: 9, completionTokens: 20, reasoningTokens: 4 },
      serviceTier: 'standard',
    });
  });
});
