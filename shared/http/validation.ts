import type { z } from 'zod';
import { InvalidRequestError } from '../errors';

/** `messages[0].role` from a zod path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key), '');
}

/**
 * Parses `value` with `schema`, or throws a 400 naming the first offending field, in
 * the words OpenAI uses so existing clients show a familiar message.
 */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const param = fieldPath([...issue.path, key]);
    throw new InvalidRequestError(`Unrecognized request argument supplied: ${param}`, { param, code: 'unknown_parameter' });
  }
  const param = fieldPath(issue.path);
  if (!param) throw new InvalidRequestError(`The request body must be a JSON object: ${issue.message}`, { code: 'invalid_body' });
  const missing = issue.code === 'invalid_type' && issue.message.includes('received undefined');
  throw new InvalidRequestError(
    missing ? `Missing required parameter: '${param}'.` : `Invalid value for '${param}': ${issue.message}.`,
    { param, code: missing ? 'missing_required_parameter' : 'invalid_value' },
  );
}
