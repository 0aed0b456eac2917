import { batchRequestId } from '../lines/lineFormats';
import type { LineError, ParsedLine } from '../lines/types';
import type { BatchItem, Outcome } from '../../batchingCore/types';
import type { ChatCompletionRequest } from '../../domain/chat';
import type { EmbeddingsRequest } from '../../domain/embeddings';
import type { InferenceInput, InferenceOutput } from '../../domain/inference';
import type { ModelEntry } from '../../domain/catalogue';
import { PlatformError } from '../../errors/PlatformError';
import { chatItems } from '../../realtime/chatRequests';
import { chatBody } from '../../realtime/chatResponses';
import { embeddingItems, embeddingsBody } from '../../realtime/embeddingsRequests';
import { publicFailureMessage } from '../../realtime/outcomeErrors';
import type { BatchOutputLine } from '../../domain/outputLines';
import type { InputEcho } from '../lines/bedrockOutput';
import { failureLine, resultLine } from '../../domain/outputLines';
import type { ModelCatalogueLookup } from './types';
import { mergeRouteUsage, servedRouteUsage, type RouteUsage } from '../../domain/cost';

/** A request line ready for the core: its items, and what is needed to shape its answer. */
export interface RunnableLine {
  kind: 'runnable';
  lineNumber: number;
  customId: string;
  model: ModelEntry;
  request: { url: '/v1/chat/completions'; body: ChatCompletionRequest } | { url: '/v1/embeddings'; body: EmbeddingsRequest };
  items: BatchItem<InferenceInput>[];
  /** The request as the line wrote it, for a Bedrock record. */
  echo?: InputEcho;
}

/** A line that cannot run: it becomes an error line without reaching a backend. */
export interface RefusedLine {
  kind: 'refused';
  lineNumber: number;
  customId: string;
  code: string;
  message: string;
  /** The HTTP status the platform answers this refusal with, when it is known. */
  status?: number;
  param?: string | null;
  echo?: InputEcho;
}

/** What the worker does with one request line. */
export type LinePlan = RunnableLine | RefusedLine;

/**
 * Plans a parsed line: looks its model up and turns its body into core items, with the
 * same checks the real-time routes make. A line that fails here passed ingest, so this is
 * a surprise (the catalogue changed, a bug), but it still becomes an error line: a line
 * is never dropped. Item ids are prefixed with the line number, which is unique in a
 * chunk even if a `custom_id` were not.
 */
export function planLine(parsed: ParsedLine | LineError, router: ModelCatalogueLookup): LinePlan {
  if (!parsed.ok) return { ...refused(parsed.lineNumber, parsed.customId, parsed.code, parsed.message), echo: parsed.echo };
  const naming = { idPrefix: `${parsed.lineNumber}#` };
  const { lineNumber, customId, echo } = parsed;
  const runnable = (model: ModelEntry, request: RunnableLine['request'], items: BatchItem<InferenceInput>[]): RunnableLine => ({
    kind: 'runnable',
    lineNumber,
    customId,
    model,
    request,
    items,
    echo,
  });
  try {
    if (parsed.url === '/v1/chat/completions') {
      const model = router.model(parsed.model, 'chat');
      return runnable(model, { url: parsed.url, body: parsed.body }, chatItems(parsed.body, model, naming));
    }
    const model = router.model(parsed.model, 'embeddings');
    return runnable(model, { url: parsed.url, body: parsed.body }, embeddingItems(parsed.body, model, naming));
  } catch (error) {
    if (!(error instanceof PlatformError)) throw error;
    return { ...refused(parsed.lineNumber, parsed.customId, error.code, error.message), status: error.status, param: error.param, echo };
  }
}

/**
 * A refused line, its message naming the line. A line whose id could not be read gets
 * `line-<n>` as its `custom_id`, as ingest's error lines do.
 */
export function refused(lineNumber: number, customId: string | undefined, code: string, message: string): RefusedLine {
  const text = message.startsWith('Line ') ? message : `Line ${lineNumber}: ${message}`;
  return { kind: 'refused', lineNumber, customId: customId ?? `line-${lineNumber}`, code, message: text };
}

/** A line's output line, whether it succeeded, and the tokens its result accounts for. */
export interface LineOutput {
  line: BatchOutputLine;
  /** The request as the line wrote it, when known: a Bedrock record echoes it. */
  echo?: InputEcho;
  ok: boolean;
  promptTokens: number;
  completionTokens: number;
  /** Set when not 0: the backends' reasoning and cached tokens. */
  reasoningTokens?: number;
  cachedTokens?: number;
  /** The model of a result line (whose tokens these are). */
  model?: string;
  /** A result line's tokens by the route that served them (GPU pool, Bedrock tier), for its cost. */
  routeUsage?: RouteUsage[];
}

/** Options of {@link lineOutput}. */
export interface LineOutputOptions {
  jobId: string;
  /** A fresh random id, for `request_id` and the `chatcmpl-…` id. */
  newId: () => string;
  /** Unix seconds, for a chat body's `created`. */
  created: number;
}

/**
 * The output line of a planned line, given the outcomes of its items in item order.
 * One failed item fails the line (an embeddings line of N inputs is one result or one
 * error, as its real-time request would be), with the error of the first failed item.
 * Tokens are counted for result lines only, so the job's usage matches its results file.
 */
export function lineOutput(plan: LinePlan, outcomes: readonly Outcome<InferenceOutput>[], options: LineOutputOptions): LineOutput {
  const id = batchRequestId(options.jobId, plan.lineNumber);
  if (plan.kind === 'refused') return failed(failureLine(id, plan.customId, plan, options.newId()), plan.echo);
  const index = outcomes.findIndex((outcome) => outcome.status !== 'succeeded');
  const failure = outcomes[index];
  if (failure && failure.status === 'failed') {
    const where = plan.request.url === '/v1/embeddings' && Array.isArray(plan.request.body.input) ? `input[${index}]: ` : '';
    const { code, httpStatus, unanswered } = failure.error;
    const message = `${where}${publicFailureMessage(failure.error, plan.model.id)}`;
    return failed(failureLine(id, plan.customId, { code, message, status: httpStatus, unanswered }, options.newId()), plan.echo);
  }
  if (failure) throw new Error(`line ${plan.lineNumber}: item ${failure.id} was not attempted; unfinished lines must not be written`);
  let promptTokens = 0;
  let completionTokens = 0;
  let reasoningTokens = 0;
  let cachedTokens = 0;
  const served: RouteUsage[] = [];
  for (const outcome of outcomes) {
    if (outcome.status !== 'succeeded') continue;
    const ref = plan.model.backends.find((backend) => backend.id === outcome.backendId);
    const tier = outcome.value.kind === 'chat' ? outcome.value.result.serviceTier : undefined;
    if (ref) served.push(servedRouteUsage(ref, outcome.usage, tier));
    promptTokens += outcome.usage.promptTokens;
    completionTokens += outcome.usage.completionTokens;
    reasoningTokens += outcome.usage.reasoningTokens ?? 0;
    cachedTokens += outcome.usage.cachedTokens ?? 0;
  }
  const body =
    plan.request.url === '/v1/chat/completions'
      ? chatBody(outcomes[0]!, plan.model, { created: options.created, id: `chatcmpl-${options.newId()}` })
      : embeddingsBody(outcomes, plan.request.body, plan.model);
  const line = resultLine(id, plan.customId, body, options.newId());
  return {
    line,
    ok: true,
    promptTokens,
    completionTokens,
    ...(reasoningTokens > 0 ? { reasoningTokens } : {}),
    ...(cachedTokens > 0 ? { cachedTokens } : {}),
    ...(plan.echo ? { echo: plan.echo } : {}),
    model: plan.model.id,
    // An embeddings line of N inputs is one request: its items are merged, and counted once.
    ...(served.length > 0 ? { routeUsage: mergeRouteUsage(served).map((usage) => ({ ...usage, requests: 1 })) } : {}),
  };
}

function failed(line: BatchOutputLine, echo?: InputEcho): LineOutput {
  return { line, ok: false, promptTokens: 0, completionTokens: 0, ...(echo ? { echo } : {}) };
}
