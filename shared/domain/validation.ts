import type * as z from 'zod';
import { InvalidRequestError } from '../errors/requestErrors';

/** `messages[0].role` from a zod path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
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
  // Looked up rather than read from the message: a missing union field (`input`,
  // `messages[0].content`) gets only "Invalid input", and was answered as invalid_value.
  const missing = valueAt(value, issue.path) === undefined;
  throw new InvalidRequestError(missing ? `Missing required parameter: '${param}'.` : `Invalid value for '${param}': ${issue.message}.`, {
    param,
    code: missing ? 'missing_required_parameter' : 'invalid_value',
  });
}

/** The value at a zod issue's path in the raw input (undefined where the path leads nowhere). */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    // Own properties only: `constructor` or `toString` must not be found on a plain object.
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
