/**
 * The CLI's exit codes, one meaning each, so scripts can branch on them (the README
 * lists them too).
 */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** Something unexpected (a bug, a file that cannot be read). */
  error: 1,
  /** The command line is wrong: unknown command or flag, missing argument, no key configured. */
  usage: 2,
  /** The key was refused (401) or may not do this (403: an admin command with an ordinary key). */
  auth: 3,
  /** What was asked for does not exist (404), or the server lacks the route. */
  notFound: 4,
  /** The server refused the request (400, 409, 413, 422 and other 4xx but 429). */
  refused: 5,
  /** The server failed, was busy (429, 5xx) or could not be reached. */
  unavailable: 6,
  /** `batch submit --wait`: the batch ended failed, expired or cancelled. */
  batchNotCompleted: 7,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
