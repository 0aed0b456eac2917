import { basename } from 'node:path';
import type { InputFormat, Job } from '../job/Job';
import type { BatchOutputLine } from '../../domain/outputLines';
import { failureOfLine, isResultLine, statusOfCode } from '../../domain/outputLines';

/**
 * Bedrock batch inference's output format, and the conversion of the platform's output
 * lines to it. Bedrock writes one `<input file name>.out` per input file, a line per
 * record — `{recordId, modelInput, modelOutput}`, or `{recordId, modelInput, error:
 * {errorCode, errorMessage}}` — and a `manifest.json.out` with the job's counts.
 */

/** How the request of a line was written, which decides how its `modelOutput` reads. */
export type InputShape = 'openai' | 'converse' | 'titan';

/** What a line's Bedrock record echoes of its input: its `modelInput` (an OpenAI line's `body`), and its shape. */
export interface InputEcho {
  modelInput: unknown;
  shape: InputShape;
}

/** One record of a Bedrock output file. */
export type BedrockOutputRecord =
  | { recordId: string; modelInput: unknown; modelOutput: unknown }
  | { recordId: string; modelInput: unknown; error: { errorCode: number; errorMessage: string } };

/** Bedrock's `manifest.json.out`. */
export interface BedrockManifest {
  totalRecordCount: number;
  processedRecordCount: number;
  successRecordCount: number;
  errorRecordCount: number;
  inputTokenCount: number;
  outputTokenCount: number;
}

/**
 * The format a job's results are written in: the one asked for (`output_format` in the
 * batch's metadata, `x-amz-meta-output-format` on a dropped object), else the input's:
 * a Bedrock-format file gets Bedrock results, an OpenAI-format file OpenAI results.
 */
export function outputFormatOf(job: Pick<Job, 'source'>): InputFormat {
  return job.source.outputFormat ?? job.source.format ?? 'openai';
}

/**
 * The recordId of a Bedrock line that has none: as Bedrock does, we add one, an
 * 11-character alphanumeric string. Ours is the line number, zero-padded (line 7 is
 * `00000000007`), so it is the same at ingest and in the worker and says where the
 * record came from; a file that uses such an id itself gets `duplicate_custom_id`.
 */
export function assignedRecordId(lineNumber: number): string {
  return String(lineNumber).padStart(11, '0');
}

/** Converse's stop reasons for OpenAI's finish reasons. */
const STOP_REASONS: Record<string, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  content_filter: 'content_filtered',
};

interface ChatBodyShape {
  choices?: {
    finish_reason?: string;
    message?: {
      content?: string | null;
      reasoning_content?: string;
      tool_calls?: { id: string; function: { name: string; arguments: string } }[];
    };
  }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number };
}

interface EmbeddingsBodyShape {
  data?: { embedding?: number[] | string }[];
  usage?: { prompt_tokens?: number };
}

/**
 * The `modelOutput` of a successful line, as Bedrock writes it for the request's shape:
 * a Converse response for a Converse `modelInput`; Titan's InvokeModel body
 * (`{embedding, inputTextTokenCount}`) for a Titan one; and for an OpenAI-shaped one (the
 * gpt-oss InvokeModel body, or an OpenAI line converted) the body as the OpenAI API
 * answers it, which is also what gpt-oss's InvokeModel answers.
 */
export function modelOutputOf(body: unknown, shape: InputShape): unknown {
  if (shape === 'titan') {
    const embeddings = body as EmbeddingsBodyShape;
    return { embedding: embeddings.data?.[0]?.embedding ?? [], inputTextTokenCount: embeddings.usage?.prompt_tokens ?? 0 };
  }
  if (shape === 'openai') return body;
  const chat = body as ChatBodyShape;
  const choice = chat.choices?.[0];
  const message = choice?.message ?? {};
  const content: unknown[] = [];
  if (message.reasoning_content) content.push({ reasoningContent: { reasoningText: { text: message.reasoning_content } } });
  if (typeof message.content === 'string' && message.content !== '') content.push({ text: message.content });
  for (const call of message.tool_calls ?? []) {
    content.push({ toolUse: { toolUseId: call.id, name: call.function.name, input: parseArguments(call.function.arguments) } });
  }
  const inputTokens = chat.usage?.prompt_tokens ?? 0;
  const outputTokens = chat.usage?.completion_tokens ?? 0;
  return {
    output: { message: { role: 'assistant', content } },
    stopReason: STOP_REASONS[choice?.finish_reason ?? 'stop'] ?? 'end_turn',
    usage: { inputTokens, outputTokens, totalTokens: chat.usage?.total_tokens ?? inputTokens + outputTokens },
    metrics: { latencyMs: 0 },
  };
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * A line as a Bedrock record. A failure's `errorCode` is the HTTP status (the one the
 * backend or the platform's API answered, or for a failure without an answer the status
 * the API gives that code: 503 for a backend, 504 for the deadline, 400 for a line that
 * is no request), and `errorMessage` starts with the platform's error code.
 */
export function bedrockRecord(line: BatchOutputLine, echo: InputEcho | undefined): BedrockOutputRecord {
  const modelInput = echo?.modelInput ?? null;
  if (isResultLine(line))
    return { recordId: line.custom_id, modelInput, modelOutput: modelOutputOf(line.response!.body, echo?.shape ?? 'openai') };
  const failure = failureOfLine(line)!;
  return {
    recordId: line.custom_id,
    modelInput,
    error: { errorCode: failure.status ?? statusOfCode(failure.code), errorMessage: `${failure.code}: ${failure.message}` },
  };
}

/**
 * A line of an ingest error part: the OpenAI line, plus the echo of its input when it
 * had one. The echo is internal: finalize turns each such line into the job's output
 * format ({@link convertPartLine}), dropping it from OpenAI lines.
 */
export type PartLine = BatchOutputLine & { echo?: InputEcho };

/** A part line (JSON text, no newline) in `format`. */
export function convertPartLine(text: string, format: InputFormat): string {
  const { echo, ...line } = JSON.parse(text) as PartLine;
  return JSON.stringify(format === 'bedrock' ? bedrockRecord(line, echo) : line);
}

/** Where a Bedrock-format job's outputs go: `outputs/<jobId>/<input file name>.out` and `manifest.json.out` beside it. */
export const bedrockKeys = {
  records: (jobId: string, sourceKey: string) => `outputs/${jobId}/${basename(sourceKey)}.out`,
  manifest: (jobId: string) => `outputs/${jobId}/manifest.json.out`,
};

/** The manifest of a job, from its counts (every input line is one record, in exactly one place). */
export function bedrockManifest(job: Pick<Job, 'requestCounts' | 'usage'>): BedrockManifest {
  const { total, completed, failed } = job.requestCounts;
  return {
    totalRecordCount: total,
    processedRecordCount: completed + failed,
    successRecordCount: completed,
    errorRecordCount: failed,
    inputTokenCount: job.usage.promptTokens,
    outputTokenCount: job.usage.completionTokens,
  };
}
