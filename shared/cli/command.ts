import type OpenAI from 'openai';
import type { CliIo } from './output';

/** A flag as node:util parseArgs takes it, with the line `--help` shows for it. */
export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Shown in `--help`: what the flag does (and its default). */
  help: string;
  /** The placeholder of a string flag's value in `--help`: `--model MODEL`. */
  value?: string;
}

/** What a command's `run` gets. */
export interface CommandContext {
  io: CliIo;
  /** The parsed flags of the command (and the global ones). */
  flags: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** `--json`: machine-readable output on stdout. */
  json: boolean;
  /** The API client, built on first use from the flags, the environment or the config file. */
  client: () => OpenAI;
}

/** One CLI command (`keys create`, `batch submit`, `chat`, …). */
export interface Command {
  /** The words that name it: `['keys', 'create']`. */
  name: string[];
  /** The positional arguments, as `--help` shows them: `FILE`, `"prompt"`. */
  args?: string[];
  /** One line for the command list. */
  summary: string;
  /** More about it, shown by `--help` under the usage line. */
  description?: string;
  flags?: Record<string, FlagSpec>;
  /** Examples shown by `--help`. */
  examples?: string[];
  /** Runs the command; resolves with its exit code. */
  run(context: CommandContext): Promise<number>;
}

/** The flags every command takes. */
export const GLOBAL_FLAGS: Record<string, FlagSpec> = {
  'base-url': {
    type: 'string',
    value: 'URL',
    help: 'the platform, e.g. https://api.example.com/v1 (env INFER_BASE_URL; default http://127.0.0.1:3000/v1)',
  },
  'api-key': { type: 'string', value: 'KEY', help: 'the API key (env INFER_API_KEY, or "apiKey" in the config file)' },
  json: { type: 'boolean', help: 'print the result as JSON on stdout, for scripts' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

/** The `--help` text of a command. */
export function commandHelp(command: Command): string {
  const flags = { ...command.flags, ...GLOBAL_FLAGS };
  const names = Object.entries(flags).map(
    ([name, spec]) => `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.value ? ` ${spec.value}` : ''}`,
  );
  const width = Math.max(...names.map((name) => name.length));
  const lines = [
    `Usage: infer ${command.name.join(' ')}${command.args?.length ? ` ${command.args.join(' ')}` : ''} [flags]`,
    '',
    command.summary,
    ...(command.description ? ['', command.description] : []),
    '',
    'Flags:',
    ...Object.values(flags).map((spec, i) => `  ${names[i]!.padEnd(width)}  ${spec.help}`),
    ...(command.examples?.length ? ['', 'Examples:', ...command.examples.map((example) => `  ${example}`)] : []),
  ];
  return `${lines.join('\n')}\n`;
}
