import type { BackendRef, BatchInferenceRoute, ModelEntry } from '../../domain/catalogue';
import type { ParsedLine, ScreenedLine } from '../lines/types';

/** The batch's metadata key that turns the batch-inference route on or off for one job (`on` / `off`). */
export const BATCH_ROUTE_METADATA_KEY = 'bedrock_batch';

/** A model's batch-inference route: the Bedrock backend that serves it, and its quotas. */
export interface BatchTarget {
  /** The public model id. */
  model: string;
  /** The Bedrock backend's id and model id (`openai.gpt-oss-120b-1:0`). */
  backendId: string;
  bedrockModel: string;
  route: BatchInferenceRoute;
}

/** The model's first Bedrock backend with batch inference, if it has one. */
export function batchTargetOf(model: ModelEntry): BatchTarget | undefined {
  const backend = model.backends.find(
    (ref): ref is Extract<BackendRef, { provider: 'bedrock' }> & { batchInference: BatchInferenceRoute } =>
      ref.provider === 'bedrock' && ref.batchInference !== undefined,
  );
  if (!backend) return undefined;
  return { model: model.id, backendId: backend.id, bedrockModel: backend.model, route: backend.batchInference };
}

/** Why a model's share of a job does or does not go to batch inference. */
export type BatchRouteDecision =
  | { use: true }
  | { use: false; reason: 'no_batch_route' | 'opted_out' | 'too_few_records' | 'window_too_short' };

/** What the policy looks at for one model's share of one job. */
export interface BatchRouteQuestion {
  target: BatchTarget | undefined;
  /** Lines of the model that batch inference can serve. */
  records: number;
  /** The batch's metadata (`bedrock_batch: on|off` overrides the catalogue's `enabled`). */
  metadata: Record<string, string>;
  /** Seconds left in the job's completion window. */
  secondsLeft: number;
}

/**
 * The policy: a model's lines go to Bedrock batch inference when the model has a batch
 * route, the owner has not opted out (the batch's `metadata.bedrock_batch`, else the
 * catalogue's `enabled`), there are at least the route's `minRecords` of them, and the
 * completion window has at least `minWindowSeconds` left (room to run them on demand
 * should Bedrock fail or time out). Anything else runs on demand, in the same job.
 */
export function decideBatchRoute(question: BatchRouteQuestion): BatchRouteDecision {
  const { target } = question;
  if (!target) return { use: false, reason: 'no_batch_route' };
  const asked = question.metadata[BATCH_ROUTE_METADATA_KEY]?.toLowerCase();
  const enabled = asked === 'off' || asked === 'false' ? false : asked === 'on' || asked === 'true' ? true : target.route.enabled;
  if (!enabled) return { use: false, reason: 'opted_out' };
  if (question.records < target.route.minRecords) return { use: false, reason: 'too_few_records' };
  if (question.secondsLeft < target.route.minWindowSeconds) return { use: false, reason: 'window_too_short' };
  return { use: true };
}

/**
 * Whether batch inference can serve a line: a chat request without what Bedrock batch
 * inference does not take (tool calling, structured output `response_format`) and not
 * asking for a stream. Such lines of a batch-routed model run on demand. Ingest reads it off
 * the line as written (a Bedrock record's `modelInput` has these fields where its OpenAI body would).
 */
export function isBatchable(line: ParsedLine | ScreenedLine): boolean {
  if (line.url !== '/v1/chat/completions') return false;
  const body: Record<string, unknown> = 'request' in line ? line.request : (line.body as Record<string, unknown>);
  return body.tools === undefined && body.tool_choice === undefined && body.response_format === undefined && body.stream !== true;
}
