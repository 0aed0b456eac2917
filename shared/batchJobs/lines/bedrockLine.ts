import type { ChatCompletionRequest } from '../../domain/chat';
import type { EmbeddingsRequest } from '../../domain/embeddings';
import type { ModelEntry } from '../../domain/catalogue';
import { ModelNotFoundError } from '../../errors/requestErrors';
import {
  converseField,
  converseToChat,
  ConverseInput,
  isConverseShaped,
  nonTextBlock,
  OpenAiChatInput,
  TitanEmbeddingInput,
  titanToEmbeddings,
  UNSUPPORTED_CONVERSE_FIELDS,
} from './bedrockInput';
import { assignedRecordId, type InputShape } from './bedrockOutput';
import { CHAT_URL, EMBEDDINGS_URL } from './constants';
import { describeJson, isJsonObject, issueError, lineError, readLineId, unknownField } from './lineErrors';
import { checkChat, checkEmbeddings, type RequestCheck } from './requestChecks';
import type { LineContext, LineError, ModelLookup, ParsedLine } from './types';

const FIELDS = ['recordId', 'modelInput'] as const;

/** The OpenAI request a record comes to. */
type LineRequest = { url: typeof CHAT_URL; body: ChatCompletionRequest } | { url: typeof EMBEDDINGS_URL; body: EmbeddingsRequest };

/**
 * Parses a line of the Bedrock batch format, `{"recordId", "modelInput"}`, whose model
 * is the file's (`x-amz-meta-model`). The model's kind says how `modelInput` reads:
 * a chat model takes Converse or its OpenAI-shaped InvokeModel body, an embeddings
 * model Titan's `{inputText}`. The result is the equivalent OpenAI request.
 */
export function parseBedrockLine(record: Record<string, unknown>, lineNumber: number, context: LineContext): ParsedLine | LineError {
  // recordId is optional, as in Bedrock: a line without one gets one (assignedRecordId).
  const id = record.recordId === undefined ? { id: assignedRecordId(lineNumber) } : readLineId(lineNumber, record, 'recordId');
  if ('ok' in id) return id;
  const customId = id.id;

  const unknown = unknownField(lineNumber, record, FIELDS, customId);
  if (unknown) return unknown;

  if (context.bedrockModel === undefined || context.bedrockModel === '') {
    return lineError(
      lineNumber,
      'model_not_found',
      "the file names no model: a Bedrock-format file takes its model from the object's metadata; set x-amz-meta-model (for example to gpt-oss-20b) when uploading it.",
      customId,
    );
  }
  let model: ModelEntry;
  try {
    model = resolveBedrockModel(context.bedrockModel, context);
  } catch (error) {
    if (!(error instanceof ModelNotFoundError)) throw error;
    return lineError(lineNumber, 'model_not_found', `Invalid value for 'x-amz-meta-model': ${error.message}`, customId);
  }

  const input = record.modelInput;
  if (!isJsonObject(input)) {
    const message =
      input === undefined
        ? `Missing required parameter: 'modelInput'.`
        : `Invalid value for 'modelInput': expected a JSON object, got ${describeJson(input)}.`;
    return lineError(lineNumber, 'invalid_body', message, customId);
  }
  const url = model.kind === 'chat' ? CHAT_URL : EMBEDDINGS_URL;
  /** The valid line once its request has passed the request rules, or the rule it breaks. */
  const accept = (request: LineRequest, check: RequestCheck, shape: InputShape): ParsedLine | LineError =>
    check.ok
      ? {
          ok: true,
          lineNumber,
          customId,
          format: 'bedrock',
          model: model.id,
          estimatedTokens: check.estimatedTokens,
          echo: { modelInput: input, shape },
          ...request,
        }
      : lineError(lineNumber, check.code, check.message, customId);
  if (context.endpoint !== undefined && url !== context.endpoint) {
    return lineError(
      lineNumber,
      'invalid_url',
      `the model '${model.id}' serves "${url}", but this batch was created for "${context.endpoint}".`,
      customId,
    );
  }

  if (model.kind === 'embeddings') {
    if ('messages' in input) {
      return lineError(
        lineNumber,
        'invalid_body',
        `Invalid value for 'modelInput': it is a chat request, but '${model.id}' (x-amz-meta-model) is an embeddings model, which takes {"inputText"}.`,
        customId,
      );
    }
    const parsed = TitanEmbeddingInput.safeParse(input);
    if (!parsed.success) return issueError(lineNumber, input, parsed.error, ['modelInput'], customId);
    const body = titanToEmbeddings(parsed.data, model.id);
    return accept(
      { url: EMBEDDINGS_URL, body },
      checkEmbeddings(body, model, (name) => `modelInput.${name === 'input' ? 'inputText' : name}`),
      'titan',
    );
  }

  if ('inputText' in input) {
    return lineError(
      lineNumber,
      'invalid_body',
      `Invalid value for 'modelInput': it is an embeddings request, but '${model.id}' (x-amz-meta-model) is a chat model, which takes "messages".`,
      customId,
    );
  }
  if ('model' in input) {
    return lineError(
      lineNumber,
      'unsupported_parameter',
      `'modelInput.model' is not allowed: a Bedrock-format file names its model once, in x-amz-meta-model.`,
      customId,
    );
  }
  const unsupported = UNSUPPORTED_CONVERSE_FIELDS.find((field) => field in input);
  if (unsupported) {
    return lineError(
      lineNumber,
      'unsupported_parameter',
      `'modelInput.${unsupported}' is not supported: batch lines carry text generation only.`,
      customId,
    );
  }

  let body: ChatCompletionRequest;
  let field: (name: string) => string;
  const converse = isConverseShaped(input);
  if (converse) {
    const block = nonTextBlock(input);
    if (block)
      return lineError(lineNumber, 'unsupported_parameter', `'${block}' is not supported: only text content blocks are.`, customId);
    const parsed = ConverseInput.safeParse(input);
    if (!parsed.success) return issueError(lineNumber, input, parsed.error, ['modelInput'], customId);
    body = converseToChat(parsed.data, model.id);
    field = converseField;
  } else {
    const parsed = OpenAiChatInput.safeParse(input);
    if (!parsed.success) return issueError(lineNumber, input, parsed.error, ['modelInput'], customId);
    body = { model: model.id, ...parsed.data };
    field = (name: string) => `modelInput.${name}`;
  }
  return accept({ url: CHAT_URL, body }, checkChat(body, model, field), converse ? 'converse' : 'openai');
}

/**
 * The catalogue model a file's `x-amz-meta-model` names: a public id (`gpt-oss-20b`),
 * or a Bedrock model id (`openai.gpt-oss-20b-1:0`) served by one of its Bedrock backends.
 */
export function resolveBedrockModel(name: string, lookup: ModelLookup): ModelEntry {
  try {
    return lookup.resolveModel(name);
  } catch (error) {
    if (!(error instanceof ModelNotFoundError)) throw error;
    const byBedrockId = lookup
      .listModels?.()
      .find((model) => model.backends.some((backend) => backend.provider === 'bedrock' && backend.model === name));
    if (byBedrockId) return byBedrockId;
    throw new ModelNotFoundError(name, 'is neither a model of the catalogue nor the Bedrock model id of one');
  }
}
