import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './CliError';

/** Where the CLI talks to, and with which key. */
export interface CliSettings {
  /** The OpenAI base URL of the platform, ending in `/v1`. */
  baseUrl: string;
  apiKey: string;
}

/** The base URL when none is configured: `npm start`'s. */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:3000/v1';

/** The config file read when `INFER_CONFIG` names none. */
export const defaultConfigPath = (env: NodeJS.ProcessEnv): string =>
  join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'infer', 'config.json');

/**
 * The base URL and key, each from the first place that has it: the flags
 * (`--base-url`, `--api-key`), the environment (`INFER_BASE_URL`, `INFER_API_KEY`), then
 * the config file (`INFER_CONFIG`, or `~/.config/infer/config.json`:
 * `{"baseUrl": "...", "apiKey": "..."}`). The base URL defaults to the local platform's;
 * a key must be given somewhere.
 */
export function resolveSettings(flags: { 'base-url'?: string; 'api-key'?: string }, env: NodeJS.ProcessEnv): CliSettings {
  const file = readConfigFile(env);
  const baseUrl = flags['base-url'] || env.INFER_BASE_URL || file.baseUrl || DEFAULT_BASE_URL;
  const apiKey = flags['api-key'] || env.INFER_API_KEY || file.apiKey;
  if (!apiKey) throw new UsageError('No API key: pass --api-key, set INFER_API_KEY, or put "apiKey" in the config file.');
  return { baseUrl: normaliseBaseUrl(baseUrl), apiKey };
}

/** `http://host:3000`, `…/`, `…/v1` and `…/v1/` all mean the same OpenAI base URL, `…/v1`. */
export function normaliseBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`The base URL '${url}' is not a URL.`);
  }
  const path = parsed.pathname.replace(/\/+$/, '');
  parsed.pathname = path.endsWith('/v1') ? path : `${path}/v1`;
  return parsed.toString().replace(/\/+$/, '');
}

function readConfigFile(env: NodeJS.ProcessEnv): { baseUrl?: string; apiKey?: string } {
  const path = env.INFER_CONFIG || defaultConfigPath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (!env.INFER_CONFIG && (error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UsageError(`Cannot read the config file ${path}: ${(error as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    return {
      ...(typeof parsed.baseUrl === 'string' ? { baseUrl: parsed.baseUrl } : {}),
      ...(typeof parsed.apiKey === 'string' ? { apiKey: parsed.apiKey } : {}),
    };
  } catch {
    throw new UsageError(`The config file ${path} is not JSON.`);
  }
}
