import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RouteResponse } from '../http/responses';

/** The files of the status page, by the name the page asks for them under `/console/`. */
export const CONSOLE_FILES = {
  'console.html': 'text/html; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
} as const;

export type ConsoleFile = keyof typeof CONSOLE_FILES;

/**
 * The page's Content-Security-Policy: its own script, style and API only. No inline
 * script or style, no eval, no other origin, no framing, no form posts, no plugins, so
 * text the API returns cannot become markup or code even if a bug wrote it as HTML.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every answer of the page's routes. */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  // Small files read once per open: the page is never stale after a deploy.
  'cache-control': 'no-cache',
};

/** Whether `name` is one of the page's files. */
export const isConsoleFile = (name: string): name is ConsoleFile => Object.hasOwn(CONSOLE_FILES, name);

/**
 * Reads the page's files from `dir` once (they are packaged beside the bundle:
 * `package.patterns` of the console function in serverless.yml) and answers each as a
 * {@link RouteResponse} with the page's security headers.
 */
export function loadConsoleAssets(dir: string): (name: ConsoleFile) => RouteResponse {
  const bodies = new Map<ConsoleFile, string>();
  for (const name of Object.keys(CONSOLE_FILES) as ConsoleFile[]) bodies.set(name, readFileSync(join(dir, name), 'utf8'));
  return (name) => ({ statusCode: 200, headers: { 'content-type': CONSOLE_FILES[name], ...CONSOLE_HEADERS }, body: bodies.get(name)! });
}
