import type { IncomingHttpHeaders } from 'node:http';

/** The current version of an object, as a precondition sees it. */
export interface ConditionTarget {
  /** Quoted or not. */
  etag: string;
  lastModified: Date;
}

/** What a conditional request comes to: go on, or answer now with this status. */
export type ConditionOutcome =
  | { status: 'proceed' }
  | { status: 304 }
  | { status: 404; code: 'NoSuchKey' }
  | { status: 412; code: 'PreconditionFailed'; condition: string };

/** The precondition headers S3 reads on GetObject, HeadObject and PutObject. */
export const CONDITION_HEADERS = ['if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since'] as const;

/** Whether the request carries any precondition. */
export function hasConditions(headers: IncomingHttpHeaders): boolean {
  return CONDITION_HEADERS.some((name) => headers[name] !== undefined);
}

/**
 * Evaluates a request's preconditions as S3 documents them (RFC 7232 §6 order), against
 * the object's current version (undefined: there is none).
 *
 * Reads (GET, HEAD): a missing object is left to the normal 404. `If-Match` false → 412;
 * else `If-Unmodified-Since` false → 412 (ignored when `If-Match` is present and true: S3
 * then answers 200). `If-None-Match` matching (or `*`) → 304; else `If-Modified-Since`
 * not modified → 304 (ignored when `If-None-Match` is present, as the RFC says).
 * Dates compare at the second, the precision of HTTP dates.
 *
 * Writes (PUT): `If-None-Match: *` with an existing object → 412; `If-Match` with no
 * object → 404 NoSuchKey, with another ETag → 412.
 */
export function evaluateConditions(method: string, headers: IncomingHttpHeaders, object: ConditionTarget | undefined): ConditionOutcome {
  const ifMatch = header(headers, 'if-match');
  const ifNoneMatch = header(headers, 'if-none-match');
  if (method === 'PUT') {
    if (ifMatch !== undefined) {
      if (!object) return { status: 404, code: 'NoSuchKey' };
      if (!etagListMatches(ifMatch, object.etag)) return failed('If-Match');
    }
    if (ifNoneMatch !== undefined && object && etagListMatches(ifNoneMatch, object.etag)) return failed('If-None-Match');
    return { status: 'proceed' };
  }
  if (!object) return { status: 'proceed' };
  const modified = Math.floor(object.lastModified.getTime() / 1000);
  if (ifMatch !== undefined) {
    if (!etagListMatches(ifMatch, object.etag)) return failed('If-Match');
  } else {
    const since = dateOf(header(headers, 'if-unmodified-since'));
    if (since !== undefined && modified > since) return failed('If-Unmodified-Since');
  }
  if (ifNoneMatch !== undefined) {
    if (etagListMatches(ifNoneMatch, object.etag)) return { status: 304 };
  } else {
    const since = dateOf(header(headers, 'if-modified-since'));
    if (since !== undefined && modified <= since) return { status: 304 };
  }
  return { status: 'proceed' };
}

function failed(condition: string): ConditionOutcome {
  return { status: 412, code: 'PreconditionFailed', condition };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** `*`, or a comma-separated list of ETags (quoted, weak or bare) holding the object's. */
function etagListMatches(list: string, etag: string): boolean {
  const wanted = bareEtag(etag);
  return list
    .split(',')
    .map((item) => item.trim())
    .some((item) => item === '*' || bareEtag(item) === wanted);
}

function bareEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

/** Unix seconds of an HTTP date; undefined for a date that cannot be read (the header is then ignored). */
function dateOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : Math.floor(time / 1000);
}
