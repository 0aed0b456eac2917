/** What a redacted secret is replaced with. */
export const REDACTED = '[REDACTED]';

/**
 * Names (header, query parameter, log attribute) whose value is a secret, lower-cased:
 * `Authorization` carries the API key, `api_key` is where clients put it in a URL.
 */
const SECRET_NAMES = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api_key',
  'api-key',
  'apikey',
  'access_token',
  'token',
  'cookie',
  'set-cookie',
]);

/** Whether a header, query parameter or attribute named `name` holds a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_NAMES.has(name.toLowerCase());
}

/** `Bearer <token>` / `Basic <credentials>` anywhere in a text. */
const CREDENTIALS = /\b(Bearer|Basic)\s+[^\s"',;]+/gi;
/** `name=value` of a secret query parameter, in a URL or any text. */
const SECRET_PARAMETER = /([?&;](?:api[_-]?key|apikey|access_token|token)=)[^&#\s"']*/gi;

/**
 * A text with its secrets replaced by {@link REDACTED}: credentials after `Bearer` or
 * `Basic`, and the values of secret query parameters (`?api_key=…`). The rest is kept,
 * so a request line still says which route was called.
 */
export function redactText(text: string): string {
  return text.replace(CREDENTIALS, `$1 ${REDACTED}`).replace(SECRET_PARAMETER, `$1${REDACTED}`);
}

/**
 * A JSON replacer for the one logger (Powertools' `jsonReplacerFn`): the value of a
 * secret-named attribute (`authorization`, `api_key`, …) is replaced whole, and every
 * string is passed through {@link redactText}, so no log line carries an API key
 * whichever attribute or message it ended up in.
 */
export function redactSecrets(key: string, value: unknown): unknown {
  if (key !== '' && isSecretName(key) && value !== undefined && value !== null) return REDACTED;
  return typeof value === 'string' ? redactText(value) : value;
}
