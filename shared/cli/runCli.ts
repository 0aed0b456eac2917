import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { toCliError, UsageError } from './CliError';
import { commandHelp, GLOBAL_FLAGS, type Command } from './command';
import { batchCancel, batchGet, batchList, batchResults, batchSubmit } from './commands/batch';
import { keysCreate, keysList, keysRevoke } from './commands/keys';
import { chat, embed, models } from './commands/quick';
import { usage } from './commands/usage';
import { EXIT } from './exitCodes';
import type { CliIo } from './output';
import { resolveSettings } from './settings';

/** Every command, in the order `infer --help` lists them. */
export const COMMANDS: readonly Command[] = [
  keysCreate,
  keysList,
  keysRevoke,
  batchSubmit,
  batchList,
  batchGet,
  batchCancel,
  batchResults,
  chat,
  embed,
  models,
  usage,
];

/** `infer --help`. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => fullName(command).length));
  return [
    'infer: operate the inference platform from a terminal.',
    '',
    'Usage: infer <command> [arguments] [flags]     (infer <command> --help for its flags)',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${fullName(command).padEnd(width)}  ${command.summary}`),
    '',
    'Configuration: --base-url/--api-key, else INFER_BASE_URL/INFER_API_KEY, else the config file',
    '(INFER_CONFIG, default ~/.config/infer/config.json: {"baseUrl": "...", "apiKey": "..."}).',
    'The base URL defaults to the local platform (npm start): http://127.0.0.1:3000/v1.',
    '',
    'Exit codes: 0 done, 1 unexpected error, 2 bad command line or no key, 3 key refused (401)',
    'or not allowed (403), 4 not found (404), 5 request refused (other 4xx), 6 server failed,',
    'busy or unreachable (5xx, 429, network), 7 batch ended failed, expired or cancelled (--wait).',
    'Errors go to stderr; --json puts machine-readable results on stdout.',
    '',
  ].join('\n');
}

const fullName = (command: Command) => `${command.name.join(' ')}${command.args?.length ? ` ${command.args.join(' ')}` : ''}`;

/**
 * Runs one CLI invocation: finds the command named by the first words of `argv`, parses
 * its flags (node:util parseArgs, strict), runs it, and turns any error into one line on
 * stderr and its exit code. Resolves with the exit code.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const command = COMMANDS.find((candidate) => candidate.name.every((word, i) => argv[i] === word));
  if (!command) {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      io.stdout.write(mainHelp());
      return argv.length === 0 ? EXIT.usage : EXIT.ok;
    }
    const group = COMMANDS.filter((candidate) => candidate.name[0] === argv[0] && candidate.name.length > 1);
    const hint = group.length
      ? `'${argv[0]}' needs one of: ${group.map((candidate) => candidate.name[1]).join(', ')}.`
      : `Unknown command '${argv[0]}'.`;
    io.stderr.write(`infer: ${hint} See infer --help.\n`);
    return EXIT.usage;
  }
  try {
    const specs = { ...command.flags, ...GLOBAL_FLAGS };
    const options = Object.fromEntries(
      Object.entries(specs).map(([name, spec]) => [name, { type: spec.type, ...(spec.short ? { short: spec.short } : {}) }]),
    );
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({ args: [...argv.slice(command.name.length)], options, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError(`${(error as Error).message.replace(/\. To specify a positional.*$/s, '.')}`);
    }
    const flags = parsed.values as Record<string, string | boolean | undefined>;
    if (flags.help) {
      io.stdout.write(commandHelp(command));
      return EXIT.ok;
    }
    const expected = command.args?.length ?? 0;
    if (parsed.positionals.length > expected && !['chat', 'embed'].includes(command.name[0]!))
      throw new UsageError(`Unexpected argument '${parsed.positionals[expected]}'.`);
    let client: OpenAI | undefined;
    return await command.run({
      io,
      flags,
      positionals: parsed.positionals,
      json: flags.json === true,
      client: () => {
        if (client) return client;
        const settings = resolveSettings(flags as { 'base-url'?: string; 'api-key'?: string }, io.env);
        client = new OpenAI({ baseURL: settings.baseUrl, apiKey: settings.apiKey, maxRetries: 2 });
        return client;
      },
    });
  } catch (error) {
    const failure = toCliError(error);
    const usageHint = failure instanceof UsageError ? ` See infer ${command.name.join(' ')} --help.` : '';
    io.stderr.write(`infer ${command.name.join(' ')}: ${failure.message}${usageHint}\n`);
    return failure.exitCode;
  }
}
