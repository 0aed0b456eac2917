import { createHash } from 'node:crypto';
import { mulberry32 } from './faults';

/**
 * Deterministic outputs: the same model and input always give the same reply, token
 * counts and vector, so tests and benchmarks can compare results across runs, retries
 * and backends without storing fixtures.
 */

/** Framing tokens a chat template adds per message. */
export const TOKENS_PER_MESSAGE = 4;

/** About four characters a token, rounded up (the platform's own estimate uses the same rule). */
export function countTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** One chat message reduced to its role and plain text. */
export interface PlainMessage {
  role: string;
  text: string;
}

/** Prompt tokens of a conversation: each message's text plus its framing. */
export function promptTokensOf(messages: readonly PlainMessage[]): number {
  return messages.reduce((sum, message) => sum + countTokens(message.text) + TOKENS_PER_MESSAGE, 0);
}

/** A sha256 of the parts, separated so `('ab','c')` and `('a','bc')` differ. */
function digest(...parts: string[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\u0000');
  return hash.digest();
}

const WORDS = [
  'batch',
  'slot',
  'pass',
  'token',
  'queue',
  'tensor',
  'kernel',
  'warp',
  'cache',
  'prefill',
  'decode',
  'shard',
  'stream',
  'vector',
  'layer',
  'head',
  'weight',
  'float',
  'graph',
  'block',
  'page',
  'lane',
  'core',
  'clock',
  'fabric',
  'model',
  'prompt',
  'reply',
  'sample',
  'logit',
  'window',
  'epoch',
] as const;

/** Why a generation stopped. */
export type StopCause = 'natural' | 'length' | 'stop_sequence';

/** A generated reply. */
export interface Reply {
  text: string;
  completionTokens: number;
  stop: StopCause;
}

/** What a reply is derived from. */
export interface ReplyRequest {
  model: string;
  /** A canonical rendering of the whole prompt (messages, system, or prompt text). */
  prompt: string;
  /** Cap on completion tokens. */
  maxTokens: number;
  stopSequences?: readonly string[];
}

/**
 * The reply to a prompt: `"sim reply <8 hex>: "` and one word per completion token. Its
 * natural length is 8..32 tokens, chosen by the hash; a lower `maxTokens` cuts it short
 * (`length`), and a stop sequence found in the text cuts it there (`stop_sequence`).
 */
export function generateReply(request: ReplyRequest): Reply {
  const hash = digest('chat', request.model, request.prompt);
  const natural = 8 + (hash.readUInt32BE(4) % 25);
  const completionTokens = Math.min(natural, request.maxTokens);
  const next = mulberry32(hash.readUInt32BE(8));
  const words: string[] = [];
  for (let i = 0; i < completionTokens; i += 1) words.push(WORDS[Math.floor(next() * WORDS.length)] as string);
  const text = `sim reply ${hash.subarray(0, 4).toString('hex')}: ${words.join(' ')}`;

  const cut = earliestStop(text, request.stopSequences ?? []);
  if (cut !== null) {
    const kept = text.slice(0, cut);
    return { text: kept, completionTokens: Math.min(completionTokens, Math.max(1, countTokens(kept))), stop: 'stop_sequence' };
  }
  return { text, completionTokens, stop: completionTokens < natural ? 'length' : 'natural' };
}

function earliestStop(text: string, stops: readonly string[]): number | null {
  let earliest: number | null = null;
  for (const stop of stops) {
    if (stop === '') continue;
    const at = text.indexOf(stop);
    if (at >= 0 && (earliest === null || at < earliest)) earliest = at;
  }
  return earliest;
}

/**
 * The embedding of `text` under `model`: `dimensions` float32-exact numbers drawn from
 * the hash, unit length unless `normalize` is false. Values are rounded to float32 so a
 * base64 copy decodes to exactly the same numbers as the JSON one.
 */
export function embeddingFor(model: string, text: string, dimensions: number, normalize = true): number[] {
  const hash = digest('embed', model, text);
  const next = mulberry32(hash.readUInt32BE(0) ^ hash.readUInt32BE(4));
  const raw = new Array<number>(dimensions);
  let squares = 0;
  for (let i = 0; i < dimensions; i += 1) {
    // The sum of two uniforms is bell-shaped and centred on 0, closer to real embeddings.
    const value = next() + next() - 1;
    raw[i] = value;
    squares += value * value;
  }
  const scale = normalize && squares > 0 ? 1 / Math.sqrt(squares) : 1;
  return raw.map((value) => Math.fround(value * scale));
}

/** A vector as base64 of little-endian float32s, the OpenAI `encoding_format: "base64"` form. */
export function toBase64Float32(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  for (const [i, value] of vector.entries()) bytes.writeFloatLE(value, i * 4);
  return bytes.toString('base64');
}

/** The inverse of {@link toBase64Float32}. */
export function fromBase64Float32(encoded: string): number[] {
  const bytes = Buffer.from(encoded, 'base64');
  const vector: number[] = [];
  for (let offset = 0; offset + 4 <= bytes.length; offset += 4) vector.push(bytes.readFloatLE(offset));
  return vector;
}

let responses = 0;

/**
 * An id for one response: unique (a counter), and carrying the input's hash so
 * answers to the same input are easy to spot in logs.
 */
export function responseId(prefix: string, ...parts: string[]): string {
  responses += 1;
  return `${prefix}-sim${responses.toString(36)}${digest(prefix, ...parts)
    .subarray(0, 8)
    .toString('hex')}`;
}
