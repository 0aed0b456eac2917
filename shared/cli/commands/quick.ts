import { UsageError } from '../CliError';
import type { Command } from '../command';
import { EXIT } from '../exitCodes';
import { formatTable, printJson } from '../output';

const DEFAULT_CHAT_MODEL = 'gpt-oss-20b';
const DEFAULT_EMBED_MODEL = 'titan-embed-text-v2';

export const chat: Command = {
  name: ['chat'],
  args: ['"prompt"'],
  summary: 'Send one chat message and print the answer: a quick check from a terminal.',
  flags: {
    model: { type: 'string', value: 'MODEL', help: `the model (default ${DEFAULT_CHAT_MODEL})` },
    system: { type: 'string', value: 'TEXT', help: 'a system message before the prompt' },
    'max-tokens': { type: 'string', value: 'N', help: 'the most tokens to generate' },
    stream: { type: 'boolean', help: 'print the answer as it is generated' },
  },
  examples: ['infer chat "Say hello"', 'infer chat "Write a haiku" --model gpt-oss-120b --stream'],
  async run({ client, flags, positionals, io, json }) {
    const prompt = positionals.join(' ');
    if (!prompt) throw new UsageError('chat needs a prompt: infer chat "Say hello".');
    const model = typeof flags.model === 'string' ? flags.model : DEFAULT_CHAT_MODEL;
    const messages = [
      ...(typeof flags.system === 'string' ? [{ role: 'system' as const, content: flags.system }] : []),
      { role: 'user' as const, content: prompt },
    ];
    const maxTokens = flags['max-tokens'] === undefined ? undefined : wholeNumber(String(flags['max-tokens']), '--max-tokens');
    const request = { model, messages, ...(maxTokens ? { max_completion_tokens: maxTokens } : {}) };
    if (flags.stream) {
      const stream = await client().chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
      const chunks: unknown[] = [];
      for await (const chunk of stream) {
        if (json) chunks.push(chunk);
        else io.stdout.write(chunk.choices[0]?.delta?.content ?? '');
      }
      if (json) printJson(io, chunks);
      else io.stdout.write('\n');
      return EXIT.ok;
    }
    const completion = await client().chat.completions.create(request);
    if (json) printJson(io, completion);
    else {
      io.stdout.write(`${completion.choices[0]?.message?.content ?? ''}\n`);
      const usage = completion.usage;
      if (usage) io.stderr.write(`(${completion.model}: ${usage.prompt_tokens} input, ${usage.completion_tokens} output tokens)\n`);
    }
    return EXIT.ok;
  },
};

export const embed: Command = {
  name: ['embed'],
  args: ['"text"'],
  summary: 'Embed a text and print the vector’s size and first values.',
  flags: { model: { type: 'string', value: 'MODEL', help: `the embedding model (default ${DEFAULT_EMBED_MODEL})` } },
  examples: ['infer embed "hello world"', 'infer embed "hello" --json | jq ".data[0].embedding | length"'],
  async run({ client, flags, positionals, io, json }) {
    const input = positionals.join(' ');
    if (!input) throw new UsageError('embed needs a text: infer embed "hello world".');
    const model = typeof flags.model === 'string' ? flags.model : DEFAULT_EMBED_MODEL;
    const answer = await client().embeddings.create({ model, input, encoding_format: 'float' });
    if (json) printJson(io, answer);
    else {
      const vector = answer.data[0]?.embedding ?? [];
      const head = vector.slice(0, 4).map((value) => value.toFixed(4));
      io.stdout.write(`${vector.length} dimensions: [${head.join(', ')}${vector.length > 4 ? ', …' : ''}]\n`);
    }
    return EXIT.ok;
  },
};

export const models: Command = {
  name: ['models'],
  summary: 'List the models the platform serves.',
  async run({ client, io, json }) {
    const page = await client().models.list();
    if (json) printJson(io, { object: 'list', data: page.data });
    else
      io.stdout.write(
        formatTable(
          ['ID', 'OWNED BY'],
          page.data.map((model) => [model.id, model.owned_by]),
        ),
      );
    return EXIT.ok;
  },
};

/** A positive whole number from a flag, or a usage error naming the flag. */
export function wholeNumber(raw: string, flag: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1) throw new UsageError(`${flag} must be a whole number of at least 1, got '${raw}'.`);
  return value;
}
