import { createHash } from 'node:crypto';
import { SimulatorError } from './errors';
import { mulberry32 } from './faults';
import { countTokens, generateReply, type StopCause } from './outputs';
import { valueForSchema, type JsonSchema } from './schemaValues';

/**
 * The face-neutral plan of one chat answer: reasoning, then text or tool calls, cut into
 * the tokens a stream emits one by one. Both faces build their requests into a
 * {@link ChatPlanRequest}, stream or render the plan's {@link ChatPiece}s, and count
 * `pieces.length` completion tokens (reasoning included, as OpenAI counts).
 */

/** A tool the caller offers. */
export interface ToolSpec {
  name: string;
  description?: string;
  /** JSON schema of the arguments. */
  parameters: JsonSchema;
}

/** How the caller lets the model use tools (OpenAI `tool_choice`, Bedrock `toolChoice`). */
export type ToolChoice = 'none' | 'auto' | 'required' | { name: string };

/** Reasoning effort of a reasoning model. */
export type ReasoningEffort = 'low' | 'medium' | 'high';

/** What an answer is planned from. */
export interface ChatPlanRequest {
  model: string;
  /** A canonical rendering of the whole conversation (the output hash's input). */
  prompt: string;
  /** Text of the last user message (tool triggers, string values). */
  lastUserText: string;
  /** The conversation ends with a tool result: answer with text. */
  afterToolResult: boolean;
  tools: readonly ToolSpec[];
  toolChoice: ToolChoice;
  parallelToolCalls: boolean;
  /** Content must be JSON: any object, or one following a schema. */
  responseFormat: { kind: 'text' } | { kind: 'json_object' } | { kind: 'json_schema'; schema: JsonSchema };
  /** Null for a model that does not reason. */
  reasoningEffort: ReasoningEffort | null;
  /** Cap on reasoning + answer tokens. */
  maxTokens: number;
  stopSequences: readonly string[];
}

/** One planned tool call. */
export interface PlannedToolCall {
  /** `call_<24 hex>`, deterministic. */
  id: string;
  name: string;
  /** JSON text of the arguments. */
  arguments: string;
}

/** One completion token of the answer, in emission order. */
export type ChatPiece =
  | { kind: 'reasoning'; text: string }
  | { kind: 'content'; text: string }
  /** `start` marks the first token of call `index` (carries id and name, arguments ''). */
  | { kind: 'tool'; index: number; start: boolean; arguments: string };

/** Why the answer ended. */
export type PlanFinish = StopCause | 'tool_calls';

/** A planned answer. */
export interface ChatPlan {
  reasoning: string;
  /** Null when the answer is tool calls only, or reasoning used up `maxTokens`. */
  content: string | null;
  toolCalls: PlannedToolCall[];
  finish: PlanFinish;
  pieces: ChatPiece[];
  reasoningTokens: number;
  /** `pieces.length`: reasoning, content and tool-call tokens. */
  completionTokens: number;
}

const REASONING_TOKENS: Record<ReasoningEffort, number> = { low: 8, medium: 24, high: 64 };

/** Reasoning tokens a model spends at `effort` (0 for a model that does not reason). */
export function reasoningTokensFor(effort: ReasoningEffort | null): number {
  return effort ? REASONING_TOKENS[effort] : 0;
}
const THOUGHTS = [
  'consider',
  'the',
  'request',
  'check',
  'context',
  'plan',
  'answer',
  'briefly',
  'verify',
  'detail',
  'step',
  'then',
] as const;

function digestHex(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\u0000');
  return hash.digest('hex');
}

/**
 * Cuts `text` into exactly `count` pieces that join back to it: whole words where the
 * words can be merged down to `count`, even slices of characters otherwise.
 */
export function splitIntoPieces(text: string, count: number): string[] {
  if (count <= 0) return [];
  if (count === 1) return [text];
  const words = text.match(/\s*\S+\s*?/g) ?? [];
  if (words.join('') === text && words.length >= count) {
    const extra = words.length - count;
    return [words.slice(0, extra + 1).join(''), ...words.slice(extra + 1)];
  }
  const pieces: string[] = [];
  for (let i = 0; i < count; i += 1) {
    pieces.push(text.slice(Math.round((i * text.length) / count), Math.round(((i + 1) * text.length) / count)));
  }
  return pieces;
}

function reasoningText(request: ChatPlanRequest, effort: ReasoningEffort): string {
  const hex = digestHex('reason', request.model, request.prompt);
  const next = mulberry32(Number.parseInt(hex.slice(0, 8), 16));
  const words = Array.from({ length: REASONING_TOKENS[effort] - 1 }, () => THOUGHTS[Math.floor(next() * THOUGHTS.length)] as string);
  return `Reasoning ${hex.slice(8, 16)}: ${words.join(' ')}`;
}

function chosenTools(request: ChatPlanRequest): ToolSpec[] {
  const { tools, toolChoice } = request;
  if (tools.length === 0 || toolChoice === 'none' || request.afterToolResult) return [];
  if (typeof toolChoice === 'object') {
    const tool = tools.find((candidate) => candidate.name === toolChoice.name);
    if (!tool)
      throw new SimulatorError('validation', `tool_choice names the tool ${JSON.stringify(toolChoice.name)}, which is not in tools`, {
        param: 'tool_choice',
      });
    return [tool];
  }
  const text = request.lastUserText.toLowerCase();
  const mentioned = tools.filter((tool) => text.includes(tool.name.toLowerCase()));
  const wanted = mentioned.length > 0 ? mentioned : toolChoice === 'required' || /\btools?\b/.test(text) ? [tools[0] as ToolSpec] : [];
  return request.parallelToolCalls ? wanted : wanted.slice(0, 1);
}

/** Plans the answer to a chat request, deterministically. */
export function planChat(request: ChatPlanRequest): ChatPlan {
  const pieces: ChatPiece[] = [];
  let budget = request.maxTokens;
  let reasoning = '';
  if (request.reasoningEffort) {
    const full = reasoningText(request, request.reasoningEffort);
    const tokens = Math.min(REASONING_TOKENS[request.reasoningEffort], budget);
    const parts = splitIntoPieces(full, REASONING_TOKENS[request.reasoningEffort]).slice(0, tokens);
    reasoning = parts.join('');
    pieces.push(...parts.map((text) => ({ kind: 'reasoning' as const, text })));
    budget -= tokens;
  }
  const reasoningTokens = pieces.length;
  const done = (content: string | null, toolCalls: PlannedToolCall[], finish: PlanFinish): ChatPlan => ({
    reasoning,
    content,
    toolCalls,
    finish,
    pieces,
    reasoningTokens,
    completionTokens: pieces.length,
  });
  if (budget <= 0) return done(null, [], 'length');

  const tools = chosenTools(request);
  if (tools.length > 0) {
    // Tool calls are never cut by maxTokens: a half-written call is no use to a test.
    const calls = tools.map((tool, index) => ({
      id: `call_${digestHex('call', request.prompt, tool.name, String(index)).slice(0, 24)}`,
      name: tool.name,
      arguments: JSON.stringify(valueForSchema(tool.parameters, `${request.lastUserText}\u0000${tool.name}`)),
    }));
    calls.forEach((call, index) => {
      pieces.push({ kind: 'tool', index, start: true, arguments: '' });
      for (const part of splitIntoPieces(call.arguments, Math.max(1, countTokens(call.arguments)))) {
        pieces.push({ kind: 'tool', index, start: false, arguments: part });
      }
    });
    return done(null, calls, 'tool_calls');
  }

  if (request.responseFormat.kind !== 'text') {
    const reply = generateReply({ model: request.model, prompt: request.prompt, maxTokens: 64 });
    // Structured output is never cut either: the point of asking for it is valid JSON.
    const value =
      request.responseFormat.kind === 'json_schema'
        ? valueForSchema(request.responseFormat.schema, request.lastUserText)
        : { answer: reply.text };
    const content = JSON.stringify(value);
    pieces.push(...splitIntoPieces(content, Math.max(1, countTokens(content))).map((text) => ({ kind: 'content' as const, text })));
    return done(content, [], 'natural');
  }

  const reply = generateReply({ model: request.model, prompt: request.prompt, maxTokens: budget, stopSequences: request.stopSequences });
  pieces.push(...splitIntoPieces(reply.text, reply.completionTokens).map((text) => ({ kind: 'content' as const, text })));
  return done(reply.text, [], reply.stop);
}
