import { join, resolve } from 'node:path';
import type OpenAI from 'openai';
import { prepareBatchInput } from '../batchInput';
import { CliError, UsageError } from '../CliError';
import type { Command } from '../command';
import { EXIT } from '../exitCodes';
import { downloadOutputs, FINAL_STATUSES, followBatch } from '../followBatch';
import { formatTable, formatTime, printJson } from '../output';
import { DEFAULT_PART_BYTES, uploadBatchFile } from '../uploadFile';
import { wholeNumber } from './quick';

const DEFAULT_INTERVAL_MS = 1_000;

const intervalFlag = {
  type: 'string' as const,
  value: 'MS',
  help: `how often to ask for progress (default ${DEFAULT_INTERVAL_MS})`,
};

export const batchSubmit: Command = {
  name: ['batch', 'submit'],
  args: ['FILE'],
  summary: 'Upload a JSONL batch file and start a batch over it; with --wait, follow it and download its output.',
  description: [
    'Each line is an OpenAI batch request: {"custom_id", "method": "POST", "url", "body"}; the batch',
    'takes its endpoint from the first line. Files up to 4.5 MB go in one upload; larger ones through',
    'the Uploads API in 4 MB parts (a server without it answers 404: exit code 4). Prints the batch id.',
    'With --wait, a progress bar on stderr shows lines done of total, lines/s, errors so far and an',
    'ETA; at the end the results and errors are written next to FILE as NAME.results.jsonl and',
    'NAME.errors.jsonl, and the exit code is 0 if the batch completed, 7 if it failed, expired or',
    'was cancelled.',
  ].join('\n'),
  flags: {
    model: { type: 'string', value: 'MODEL', help: "set every line's body.model to MODEL" },
    wait: { type: 'boolean', help: 'follow the batch to its end and download results and errors' },
    interval: intervalFlag,
    quiet: { type: 'boolean', short: 'q', help: 'no progress bar' },
    'part-size': { type: 'string', value: 'BYTES', help: `part size for large files (default ${DEFAULT_PART_BYTES})` },
  },
  examples: ['infer batch submit requests.jsonl --wait', 'infer batch submit big.jsonl --model gpt-oss-120b --json'],
  async run({ client, flags, positionals, io, json }) {
    const [file] = positionals;
    if (!file) throw new UsageError('batch submit needs a FILE.');
    const intervalMs = flags.interval === undefined ? DEFAULT_INTERVAL_MS : wholeNumber(String(flags.interval), '--interval');
    const partBytes = flags['part-size'] === undefined ? DEFAULT_PART_BYTES : wholeNumber(String(flags['part-size']), '--part-size');
    const input = await prepareBatchInput(file, typeof flags.model === 'string' ? { model: flags.model } : {});
    let batch: OpenAI.Batches.Batch;
    try {
      if (input.lines === 0) throw new CliError(`${file} has no request lines.`, EXIT.refused);
      if (!flags.quiet) io.stderr.write(`Uploading ${file}: ${input.lines} lines, ${input.bytes} bytes\n`);
      const fileId = await uploadBatchFile(
        client(),
        { path: input.path, bytes: input.bytes, filename: file.split(/[\\/]/).pop() },
        { partBytes, onPart: (done, total) => !flags.quiet && io.stderr.write(`  part ${done}/${total} uploaded\n`) },
      );
      batch = await client().batches.create({
        input_file_id: fileId,
        endpoint: input.endpoint as OpenAI.Batches.BatchCreateParams['endpoint'],
        completion_window: '24h',
      });
    } finally {
      await input.cleanup();
    }
    if (!flags.wait) {
      if (json) printJson(io, batch);
      else {
        io.stderr.write(`Batch ${batch.id} created (${batch.status}). Follow it with: infer batch get ${batch.id}\n`);
        io.stdout.write(`${batch.id}\n`);
      }
      return EXIT.ok;
    }
    if (!flags.quiet) io.stderr.write(`Batch ${batch.id} created; waiting for it to end (Ctrl-C stops waiting, not the batch)\n`);
    const final = await followBatch(client(), batch.id, io, { intervalMs, quiet: flags.quiet === true });
    const base = resolve(file).replace(/\.jsonl?$/i, '');
    const written = await downloadOutputs(client(), final, base);
    if (json) printJson(io, { batch: final, files: written });
    else {
      const counts = final.request_counts;
      io.stdout.write(
        `Batch ${final.id} ${final.status}: ${counts?.completed ?? 0} completed, ${counts?.failed ?? 0} failed of ${counts?.total ?? 0}\n`,
      );
      if (written.results) io.stdout.write(`Results: ${written.results}\n`);
      if (written.errors) io.stdout.write(`Errors:  ${written.errors}\n`);
    }
    return final.status === 'completed' ? EXIT.ok : EXIT.batchNotCompleted;
  },
};

export const batchList: Command = {
  name: ['batch', 'list'],
  summary: "List the tenant's batches, newest first.",
  flags: { limit: { type: 'string', value: 'N', help: 'how many (default 20, at most 100)' } },
  async run({ client, flags, io, json }) {
    const limit = flags.limit === undefined ? 20 : wholeNumber(String(flags.limit), '--limit');
    const page = await client().batches.list({ limit });
    if (json) {
      printJson(io, { object: 'list', data: page.data, has_more: page.has_more });
      return EXIT.ok;
    }
    const rows = page.data.map((batch) => [
      batch.id,
      batch.status,
      `${(batch.request_counts?.completed ?? 0) + (batch.request_counts?.failed ?? 0)}/${batch.request_counts?.total ?? 0}`,
      String(batch.request_counts?.failed ?? 0),
      formatTime(batch.created_at),
      batch.endpoint,
    ]);
    io.stdout.write(formatTable(['ID', 'STATUS', 'DONE', 'FAILED', 'CREATED', 'ENDPOINT'], rows));
    return EXIT.ok;
  },
};

export const batchGet: Command = {
  name: ['batch', 'get'],
  args: ['ID'],
  summary: 'Show a batch: status, counts, files; with --wait, follow it to its end.',
  flags: { wait: { type: 'boolean', help: 'follow the batch with a progress bar until it ends' }, interval: intervalFlag },
  async run({ client, flags, positionals, io, json }) {
    const id = requireId(positionals, 'batch get');
    const intervalMs = flags.interval === undefined ? DEFAULT_INTERVAL_MS : wholeNumber(String(flags.interval), '--interval');
    const batch = flags.wait ? await followBatch(client(), id, io, { intervalMs }) : await client().batches.retrieve(id);
    if (json) printJson(io, batch);
    else io.stdout.write(describeBatch(batch));
    return EXIT.ok;
  },
};

export const batchCancel: Command = {
  name: ['batch', 'cancel'],
  args: ['ID'],
  summary: 'Cancel a batch: lines not yet run end as batch_cancelled errors; what ran is kept.',
  async run({ client, positionals, io, json }) {
    const batch = await client().batches.cancel(requireId(positionals, 'batch cancel'));
    if (json) printJson(io, batch);
    else io.stdout.write(`Batch ${batch.id} ${batch.status}.\n`);
    return EXIT.ok;
  },
};

export const batchResults: Command = {
  name: ['batch', 'results'],
  args: ['ID'],
  summary: "Download a finished batch's results and errors as ID.results.jsonl and ID.errors.jsonl.",
  flags: { out: { type: 'string', value: 'DIR', help: 'where to write them (default: the current directory)' } },
  async run({ client, flags, positionals, io, json }) {
    const id = requireId(positionals, 'batch results');
    const batch = await client().batches.retrieve(id);
    if (!(FINAL_STATUSES as readonly string[]).includes(batch.status))
      throw new CliError(`Batch ${id} is ${batch.status}; its output exists once it has ended.`, EXIT.refused);
    const written = await downloadOutputs(client(), batch, join(typeof flags.out === 'string' ? flags.out : '.', id));
    if (json) printJson(io, { batch: batch.id, status: batch.status, files: written });
    else {
      if (written.results) io.stdout.write(`Results: ${written.results}\n`);
      if (written.errors) io.stdout.write(`Errors:  ${written.errors}\n`);
      if (!written.results && !written.errors) io.stdout.write(`Batch ${id} ${batch.status} without output files.\n`);
    }
    return EXIT.ok;
  },
};

function requireId(positionals: string[], command: string): string {
  const [id] = positionals;
  if (!id) throw new UsageError(`${command} needs the batch id.`);
  return id;
}

function describeBatch(batch: OpenAI.Batches.Batch & { progress?: { processed: number; total: number } }): string {
  const counts = batch.request_counts;
  const lines = [
    `${batch.id}  ${batch.status}`,
    `  endpoint   ${batch.endpoint}`,
    `  requests   ${counts?.completed ?? 0} completed, ${counts?.failed ?? 0} failed of ${counts?.total ?? 0}${batch.progress && batch.status === 'in_progress' ? ` (${batch.progress.processed} processed)` : ''}`,
    `  created    ${formatTime(batch.created_at)}`,
    `  input      ${batch.input_file_id ?? '-'}`,
    `  output     ${batch.output_file_id ?? '-'}`,
    `  errors     ${batch.error_file_id ?? '-'}`,
    ...(batch.errors?.data?.length ? batch.errors.data.map((error) => `  failure    ${error.code}: ${error.message}`) : []),
  ];
  return `${lines.join('\n')}\n`;
}
