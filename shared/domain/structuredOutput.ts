import * as z from 'zod';
import type { ResponseFormat } from './chat';

/** Why an answer does not have the shape the request asked for. */
export type StructuredOutputProblem = { ok: true } | { ok: false; reason: string };

/** Compiled schemas, by their JSON text: a warm container compiles each schema once. */
const compiled = new Map<string, z.ZodType>();
const MAX_COMPILED = 256;

function schemaFor(schema: Record<string, unknown>): z.ZodType {
  const key = JSON.stringify(schema);
  let found = compiled.get(key);
  if (!found) {
    found = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, found);
  }
  return found;
}

/**
 * Checks an answer against the request's `response_format`. `json_object` must parse
 * to an object; `json_schema` with `strict: true` must also follow the schema (checked
 * with zod's JSON Schema support). Without `strict`, as at OpenAI, the schema is a
 * guide the backend is asked to follow, and only the JSON itself is checked. A schema
 * that cannot be compiled is the caller's mistake, refused before any backend is called
 * (see {@link compileResponseSchema}).
 */
export function checkStructuredOutput(format: ResponseFormat | undefined, content: string | null): StructuredOutputProblem {
  if (format === undefined || format.type === 'text') return { ok: true };
  let value: unknown;
  try {
    value = JSON.parse(content ?? '');
  } catch {
    return { ok: false, reason: 'the answer is not JSON' };
  }
  if (format.type === 'json_object') {
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? { ok: true }
      : { ok: false, reason: 'the answer is not a JSON object' };
  }
  if (format.json_schema.strict !== true || format.json_schema.schema === undefined) return { ok: true };
  const parsed = schemaFor(format.json_schema.schema).safeParse(value);
  if (parsed.success) return { ok: true };
  const issue = parsed.error.issues[0]!;
  return { ok: false, reason: `the answer does not follow the schema at '${issue.path.join('.') || '(root)'}': ${issue.message}` };
}

/** Compiles a `json_schema` format's schema, throwing what zod says if it cannot. */
export function compileResponseSchema(schema: Record<string, unknown>): void {
  schemaFor(schema);
}
