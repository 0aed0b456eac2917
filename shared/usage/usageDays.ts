import { InvalidRequestError } from '../errors/requestErrors';

/** Longest range `GET /v1/admin/usage` reads at once: one query per day. */
export const MAX_USAGE_DAYS = 366;

const DAY_MS = 86_400_000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The UTC day (`YYYY-MM-DD`) of a time in ms since the epoch. */
export function usageDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** Every day from `from` to `to`, both included; 400 when a day is malformed, the range reversed or too long. */
export function daysBetween(from: string, to: string): string[] {
  const start = parseDay(from, 'from');
  const end = parseDay(to, 'to');
  if (end < start) throw new InvalidRequestError(`'to' (${to}) is before 'from' (${from}).`, { param: 'to', code: 'invalid_range' });
  const count = (end - start) / DAY_MS + 1;
  if (count > MAX_USAGE_DAYS)
    throw new InvalidRequestError(`A range covers at most ${MAX_USAGE_DAYS} days; this one covers ${count}.`, {
      param: 'from',
      code: 'invalid_range',
    });
  return Array.from({ length: count }, (_, i) => usageDay(start + i * DAY_MS));
}

function parseDay(day: string, param: string): number {
  const at = DAY.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(at) || usageDay(at) !== day)
    throw new InvalidRequestError(`'${param}' must be a date as YYYY-MM-DD, got '${day}'.`, { param, code: 'invalid_date' });
  return at;
}
