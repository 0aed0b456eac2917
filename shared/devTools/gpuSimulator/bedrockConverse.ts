import { EventStreamCodec } from '@smithy/core/event-streams';
import * as z from 'zod';
import { planChat, reasoningTokensFor, type ChatPlan, type PlanFinish, type ToolChoice } from './chatPlan';
import { SimulatorError, parseBody } from './errors';
import type { Generation } from './GpuSimulator';
import { reasons } from './openAiChat';
import { countTokens, promptTokensOf, type PlainMessage } from './outputs';
import type { HttpReply, RouteContext, StreamReply } from './types';

/**
 * Bedrock Converse and ConverseStream: text, tools (`toolConfig`, `toolUse` and
 * `toolResult` blocks), reasoning for gpt-oss (`additionalModelRequestFields.reasoning_effort`),
 * and the stream in AWS event-stream framing (`application/vnd.amazon.eventstream`), the
 * binary messages the AWS SDK decodes.
 */

const JsonObject = z.record(z.string(), z.unknown());
const ContentBlock = z.object({
  text: z.string().optional(),
  toolUse: z.object({ toolUseId: z.string(), name: z.string(), input: z.unknown() }).optional(),
  toolResult: z
    .object({
      toolUseId: z.string(),
      content: z.array(z.object({ text: z.string().optional(), json: z.unknown().optional() })),
      status: z.enum(['success', 'error']).optional(),
    })
    .optional(),
  reasoningContent: z.unknown().optional(),
});
type Block = z.infer<typeof ContentBlock>;

const ToolChoiceSchema = z.union([
  z.object({ auto: z.object({}) }),
  z.object({ any: z.object({}) }),
  z.object({ tool: z.object({ name: z.string().min(1) }) }),
]);

/** A Converse / ConverseStream request body (the model id is in the path). */
export const ConverseRequestSchema = z.object({
  messages: z
    .array(z.object({ role: z.enum(['user', 'assistant']), content: z.array(ContentBlock).min(1) }))
    .min(1)
    .refine((messages) => messages[0]?.role === 'user', 'A conversation must start with a user message.'),
  system: z.array(z.object({ text: z.string().optional() })).optional(),
  inferenceConfig: z
    .object({
      maxTokens: z.number().int().min(1).optional(),
      temperature: z.number().min(0).max(1).optional(),
      topP: z.number().min(0).max(1).optional(),
      stopSequences: z.array(z.string()).max(4).optional(),
    })
    .optional(),
  toolConfig: z
    .object({
      tools: z
        .array(
          z.object({
            toolSpec: z.object({
              name: z.string().min(1).max(64),
              description: z.string().optional(),
              inputSchema: z.object({ json: JsonObject }),
            }),
          }),
        )
        .min(1),
      toolChoice: ToolChoiceSchema.optional(),
    })
    .optional(),
  additionalModelRequestFields: z
    .object({ reasoning_effort: z.enum(['low', 'medium', 'high']).optional() })
    .catchall(z.unknown())
    .optional(),
  /** Bedrock's structured output: the answer follows the JSON schema (given as a JSON string). */
  outputConfig: z
    .object({
      textFormat: z
        .object({
          type: z.literal('json_schema'),
          structure: z.object({
            jsonSchema: z.object({ schema: z.string(), name: z.string().optional(), description: z.string().optional() }),
          }),
        })
        .optional(),
    })
    .optional(),
  /**
   * The on-demand service tier (Bedrock's `ServiceTier`): one of Bedrock's four values, or
   * a ValidationException as Bedrock answers any other. The answer names the tier it was
   * served in, as Bedrock's does.
   */
  serviceTier: z.object({ type: z.enum(['priority', 'default', 'flex', 'reserved']) }).optional(),
});
type ConverseRequest = z.infer<typeof ConverseRequestSchema>;

const STOP_REASON: Record<PlanFinish, string> = {
  natural: 'end_turn',
  length: 'max_tokens',
  stop_sequence: 'stop_sequence',
  tool_calls: 'tool_use',
};

/** The text a block contributes to the output hash: plain text as is, tool blocks as JSON. */
function blockText(block: Block): string {
  if (block.toolUse) return JSON.stringify({ toolUse: block.toolUse });
  if (block.toolResult) return JSON.stringify({ toolResult: block.toolResult });
  return block.text ?? '';
}

function toolChoiceOf(request: ConverseRequest): ToolChoice {
  const choice = request.toolConfig?.toolChoice;
  if (!request.toolConfig) return 'none';
  if (!choice || 'auto' in choice) return 'auto';
  return 'any' in choice ? 'required' : { name: choice.tool.name };
}

/** The schema of `outputConfig.textFormat`, which Bedrock takes as a JSON string; a string that is not a JSON object is refused. */
function responseFormatOf(request: ConverseRequest): { kind: 'text' } | { kind: 'json_schema'; schema: Record<string, unknown> } {
  const format = request.outputConfig?.textFormat;
  if (!format) return { kind: 'text' };
  let schema: unknown;
  try {
    schema = JSON.parse(format.structure.jsonSchema.schema);
  } catch {
    schema = undefined;
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new SimulatorError('validation', 'outputConfig.textFormat.structure.jsonSchema.schema must be a JSON object schema', {
      param: 'outputConfig',
    });
  }
  return { kind: 'json_schema', schema: schema as Record<string, unknown> };
}

function toolUseId(callId: string): string {
  return `tooluse_${callId.slice('call_'.length, 'call_'.length + 22)}`;
}

/** A planned Converse answer and what the GPU is asked for it. */
interface Planned {
  plan: ChatPlan;
  inputTokens: number;
  texts: string[];
}

function planConverse(request: ConverseRequest, modelId: string, defaultMaxTokens: number): Planned {
  const messages: PlainMessage[] = request.messages.map((message) => ({
    role: message.role,
    text: message.content.map(blockText).join(''),
  }));
  // The system prompt counts as one more message, framing included.
  const system = request.system ? [{ role: 'system', text: request.system.map((block) => block.text ?? '').join('') }] : [];
  const all = [...system, ...messages];
  const last = request.messages[request.messages.length - 1];
  const lastUser = [...request.messages]
    .reverse()
    .find((message) => message.role === 'user' && message.content.some((block) => block.text !== undefined));
  const asked = request.additionalModelRequestFields?.reasoning_effort;
  const effort = asked && reasons(modelId) ? asked : null;
  const plan = planChat({
    model: modelId,
    prompt: JSON.stringify(all.map((message) => [message.role, message.text])),
    lastUserText: lastUser ? lastUser.content.map((block) => block.text ?? '').join('') : '',
    afterToolResult: last?.role === 'user' && last.content.some((block) => block.toolResult !== undefined),
    tools: (request.toolConfig?.tools ?? []).map(({ toolSpec }) => ({
      name: toolSpec.name,
      description: toolSpec.description,
      parameters: toolSpec.inputSchema.json,
    })),
    toolChoice: toolChoiceOf(request),
    parallelToolCalls: true,
    responseFormat: responseFormatOf(request),
    reasoningEffort: effort,
    // As on the OpenAI face: the default cap leaves the reasoning out, an explicit one does not.
    maxTokens: request.inferenceConfig?.maxTokens ?? defaultMaxTokens + reasoningTokensFor(effort),
    stopSequences: request.inferenceConfig?.stopSequences ?? [],
  });
  const toolTokens = request.toolConfig ? countTokens(JSON.stringify(request.toolConfig.tools)) : 0;
  return { plan, inputTokens: promptTokensOf(all) + toolTokens, texts: all.map((message) => message.text) };
}

function usageOf(planned: Planned): { inputTokens: number; outputTokens: number; totalTokens: number } {
  const outputTokens = planned.plan.completionTokens;
  return { inputTokens: planned.inputTokens, outputTokens, totalTokens: planned.inputTokens + outputTokens };
}

function checkModel(context: RouteContext, modelId: string): void {
  const config = context.sim.config;
  if (config.strictModels && !config.bedrockModels.includes(modelId)) {
    throw new SimulatorError('not_found', `Could not resolve the foundation model from the model identifier: ${modelId}`);
  }
}

/** Parses, plans and admits a Converse request; resolves once its first token's pass is done. */
async function start(
  context: RouteContext,
  modelId: string,
  stream: boolean,
): Promise<{ planned: Planned; run: Generation; request: ConverseRequest }> {
  const request = parseBody(ConverseRequestSchema, context.body);
  checkModel(context, modelId);
  const planned = planConverse(request, modelId, context.sim.config.defaultMaxTokens);
  const run = await context.sim.begin(
    {
      face: 'bedrock',
      route: stream ? 'converse-stream' : 'converse',
      items: 1,
      promptTokens: planned.inputTokens,
      completionTokens: planned.plan.completionTokens,
      texts: planned.texts,
    },
    { signal: context.signal, stream },
  );
  return { planned, run, request };
}

/** `POST /model/{modelId}/converse`. */
export async function converse(context: RouteContext, modelId: string): Promise<HttpReply> {
  const { planned, run, request } = await start(context, modelId, false);
  if ((await run.run()) === 'cancelled') throw new SimulatorError('cancelled', 'the client went away');
  const { plan } = planned;
  const content: unknown[] = [];
  if (plan.reasoning !== '') content.push({ reasoningContent: { reasoningText: { text: plan.reasoning } } });
  if (plan.content !== null && plan.content !== '') content.push({ text: plan.content });
  for (const call of plan.toolCalls)
    content.push({ toolUse: { toolUseId: toolUseId(call.id), name: call.name, input: JSON.parse(call.arguments) } });
  return {
    status: 200,
    body: {
      output: { message: { role: 'assistant', content } },
      stopReason: STOP_REASON[plan.finish],
      usage: usageOf(planned),
      metrics: { latencyMs: Date.now() - context.arrivedAt + context.sim.config.addedLatencyMs },
      serviceTier: { type: request.serviceTier?.type ?? 'default' },
    },
  };
}

const codec = new EventStreamCodec(
  (bytes) => new TextDecoder().decode(bytes),
  (text) => new TextEncoder().encode(text),
);

/** One event-stream message: an `event` of type `eventType`, or an `exception`. */
export function eventMessage(kind: 'event' | 'exception', type: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: {
      [kind === 'event' ? ':event-type' : ':exception-type']: { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: kind },
    },
    body: new TextEncoder().encode(JSON.stringify(payload)),
  });
}

/** `POST /model/{modelId}/converse-stream`: the answer as Bedrock stream events. */
export async function converseStream(context: RouteContext, modelId: string): Promise<StreamReply> {
  const { planned, run } = await start(context, modelId, true);
  const { plan } = planned;
  return {
    status: 200,
    headers: { 'content-type': 'application/vnd.amazon.eventstream' },
    async stream(write) {
      const event = (type: string, payload: unknown): void => write(eventMessage('event', type, payload));
      event('messageStart', { role: 'assistant' });
      // The open content block: its index and what it holds (a tool block per call).
      let open: { index: number; key: string } | null = null;
      let blocks = 0;
      const openBlock = (key: string): number => {
        if (open?.key === key) return open.index;
        if (open) event('contentBlockStop', { contentBlockIndex: open.index });
        open = { index: blocks, key };
        blocks += 1;
        return open.index;
      };
      const outcome = await run.run((from, to) => {
        for (const piece of plan.pieces.slice(from, to)) {
          if (piece.kind === 'reasoning') {
            event('contentBlockDelta', { contentBlockIndex: openBlock('reasoning'), delta: { reasoningContent: { text: piece.text } } });
          } else if (piece.kind === 'content') {
            event('contentBlockDelta', { contentBlockIndex: openBlock('text'), delta: { text: piece.text } });
          } else {
            const call = plan.toolCalls[piece.index];
            const index = openBlock(`tool${piece.index}`);
            if (piece.start && call)
              event('contentBlockStart', {
                contentBlockIndex: index,
                start: { toolUse: { toolUseId: toolUseId(call.id), name: call.name } },
              });
            if (!piece.start) event('contentBlockDelta', { contentBlockIndex: index, delta: { toolUse: { input: piece.arguments } } });
          }
        }
      });
      if (outcome === 'cancelled') return;
      if (outcome === 'broken') {
        const message = 'injected mid-stream error (midStreamErrorRate)';
        const kind = context.sim.config.bedrock.midStreamErrorKind;
        if (kind === 'model') {
          write(eventMessage('exception', 'modelStreamErrorException', { message, originalStatusCode: 500, originalMessage: message }));
        } else {
          write(eventMessage('exception', kind === 'throttled' ? 'throttlingException' : 'internalServerException', { message }));
        }
        return;
      }
      const last = open as { index: number } | null;
      if (last) event('contentBlockStop', { contentBlockIndex: last.index });
      event('messageStop', { stopReason: STOP_REASON[plan.finish] });
      event('metadata', { usage: usageOf(planned), metrics: { latencyMs: Date.now() - context.arrivedAt } });
    },
  };
}
