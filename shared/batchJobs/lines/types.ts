import type { ChatCompletionRequest } from '../../domain/chat';
import type { ModelEntry } from '../../domain/catalogue';
import type { EmbeddingsRequest } from '../../domain/embeddings';
import type { BatchEndpoint, InputFormat } from '../job/Job';
import type { InputEcho } from './bedrockOutput';
import type { LineErrorCode } from './constants';

/** What a model serves: chat completions or embeddings. */
export type ModelKind = ModelEntry['kind'];

/** A line of the input as {@link JsonlLineReader} yields it: its text, decoded. */
export interface TextLine {
  tooLong: false;
  /** 1-based. */
  lineNumber: number;
  /** Inclusive byte offsets into the object of the line's content, without its terminator (or BOM). */
  startByte: number;
  endByte: number;
  text: string;
  /** Empty or only spaces and tabs: ingest ignores it, but it keeps the line numbers true. */
  blank: boolean;
  /** The bytes were not UTF-8: `text` holds U+FFFD where they could not be decoded. */
  invalidUtf8: boolean;
}

/** A line longer than the limit: its bytes were skipped, never held. */
export interface TooLongLine {
  tooLong: true;
  lineNumber: number;
  startByte: number;
  endByte: number;
  /** Length of the line's content in bytes. */
  bytes: number;
}

/** One line of a JSONL object. */
export type ReadLine = TextLine | TooLongLine;

/** Looks models up in the catalogue (`ModelRouter.model` and `ModelRouter.listModels` fit). */
export interface ModelLookup {
  /** The model with public id `id` (serving `kind` if given); throws ModelNotFoundError otherwise. */
  resolveModel(id: string, kind?: ModelKind): ModelEntry;
  /** Every model: lets a Bedrock model id (`openai.gpt-oss-20b-1:0`) be mapped to its public model. */
  listModels?(): readonly ModelEntry[];
}

/** What a line is parsed against: what is known of its file. */
export interface LineContext extends ModelLookup {
  /** The file's format, once known (ingest: from its first valid line; worker: from the job). */
  format?: InputFormat;
  /** The endpoint named when the batch was created through the API: every line must use it. */
  endpoint?: BatchEndpoint;
  /** A Bedrock-format file's model, from the object's `x-amz-meta-model`. */
  bedrockModel?: string;
}

interface ParsedLineCommon {
  ok: true;
  lineNumber: number;
  /** `custom_id` (OpenAI format) or `recordId` (Bedrock format). */
  customId: string;
  format: InputFormat;
  /** The public catalogue id of the model. */
  model: string;
  /** Tokens the request may take (prompt plus the output allowed), for batching budgets. */
  estimatedTokens: number;
  /** The request as the line wrote it (`modelInput`, or an OpenAI line's `body`): Bedrock records echo it. */
  echo: InputEcho;
}

/** A valid line: the request it carries, normalised to the OpenAI shape, model set to the public id. */
export type ParsedLine = ParsedLineCommon &
  ({ url: '/v1/chat/completions'; body: ChatCompletionRequest } | { url: '/v1/embeddings'; body: EmbeddingsRequest });

/**
 * A line as ingest screens it (`screenBatchLine`): what the file is judged and planned
 * on. Its request is checked in full by the worker that runs it.
 */
export interface ScreenedLine {
  ok: true;
  lineNumber: number;
  /** `custom_id` (OpenAI format) or `recordId` (Bedrock format, assigned when absent). */
  customId: string;
  format: InputFormat;
  url: BatchEndpoint;
  /** The public catalogue id of the model. */
  model: string;
  /** The request as the line wrote it (`body`, or a Bedrock record's `modelInput`), unchecked. */
  request: Record<string, unknown>;
}

/** A refused line: why, in words naming the line number and the field. */
export interface LineError {
  ok: false;
  lineNumber: number;
  /** The line's `custom_id` or `recordId`, when it could be read. */
  customId?: string;
  code: LineErrorCode;
  message: string;
  /** The line's `modelInput` (or `body`), when it has one: a Bedrock error record echoes it. */
  echo?: InputEcho;
}
