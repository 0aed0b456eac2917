/**
 * The essence of a `Content-Type` value (RFC 9110 §8.3.1): `type/subtype`, lower-cased,
 * with its parameters (`; charset=utf-8`) and the spaces around it removed. Undefined
 * when the header is missing or empty.
 */
export function mediaTypeEssence(contentType: string | undefined): string | undefined {
  const essence = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  return essence ? essence : undefined;
}

/**
 * Whether a `Content-Type` says JSON: exactly `application/json`, or an `application/`
 * type with the `+json` structured-syntax suffix (RFC 6839, `application/vnd.x+json`),
 * parameters aside. Compared as a whole, never by prefix: `application/json.evil`,
 * `application/jsonp` and `application/json-patch` are not JSON.
 */
export function isJsonMediaType(contentType: string | undefined): boolean {
  const essence = mediaTypeEssence(contentType);
  return essence !== undefined && /^application\/(?:[a-z0-9!#$&^_.+-]+\+)?json$/.test(essence);
}

/** Whether a `Content-Type` is exactly `multipart/form-data`, parameters (the boundary) aside. */
export function isMultipartFormData(contentType: string | undefined): boolean {
  return mediaTypeEssence(contentType) === 'multipart/form-data';
}
