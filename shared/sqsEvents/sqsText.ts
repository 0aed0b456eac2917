/**
 * What SQS carries. A message body and a message attribute's string value may hold only
 * `#x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF` (the XML 1.0 Char
 * production); anything else is refused with `InvalidMessageContents`. Lone surrogates
 * are not characters, so they are outside the set as well.
 */

/** The source of a pattern (flag `u`) matching one character SQS refuses. */
export const SQS_REFUSED_CHARACTER_SOURCE = '[^\\t\\n\\r\\u0020-\\uD7FF\\uE000-\\uFFFD\\u{10000}-\\u{10FFFF}]';

const REFUSED = new RegExp(SQS_REFUSED_CHARACTER_SOURCE, 'u');
const REFUSED_ALL = new RegExp(SQS_REFUSED_CHARACTER_SOURCE, 'gu');

/** Whether SQS takes `text` as a message body or attribute value. */
export function isSqsText(text: string): boolean {
  return !REFUSED.test(text);
}

/**
 * `value` as a JSON message body SQS takes, whatever text it holds: JSON.stringify, then
 * every character outside SQS's set written as a JSON escape (`\uFFFE`). JSON.stringify
 * already escapes control characters and lone surrogates; it leaves U+FFFE and U+FFFF
 * raw, and those only ever occur inside JSON strings, where the escape means the same
 * character. So `JSON.parse` of the body gives back exactly `value`, the body stays
 * readable, and no flag says it was encoded.
 */
export function toSqsJson(value: unknown): string {
  return escapeForSqs(JSON.stringify(value));
}

/**
 * A JSON text with every character outside SQS's set escaped (see {@link toSqsJson}).
 * Only for JSON: in other text the escape would change the meaning.
 */
export function escapeForSqs(json: string): string {
  if (isSqsText(json)) return json;
  return json.replace(REFUSED_ALL, (character) => {
    let escaped = '';
    for (let i = 0; i < character.length; i += 1) escaped += `\\u${character.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0')}`;
    return escaped;
  });
}
