import { UsageError } from '../CliError';
import type { Command } from '../command';
import { EXIT } from '../exitCodes';
import { formatTable, printJson } from '../output';

/** The answer of `GET /v1/admin/usage`. */
interface UsageReport {
  from: string;
  to: string;
  tenant: string | null;
  data: { day: string; tenant: string; model: string; requests: number; input_tokens: number; output_tokens: number }[];
  totals: { requests: number; input_tokens: number; output_tokens: number };
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const number = new Intl.NumberFormat('en-US');

export const usage: Command = {
  name: ['usage'],
  summary: 'Tokens and requests per tenant, model and day (UTC).',
  description:
    'Counts served requests (refused and failed ones are not counted) of the real-time routes and batch jobs. Real-time counts reach the table within about 10 s (each container writes its count every 10 s or 200 requests); a batch counts each chunk as it is recorded. Needs an admin key (an ordinary key gets 403, exit code 3).',
  flags: {
    tenant: { type: 'string', value: 'TENANT', help: 'only this tenant' },
    from: { type: 'string', value: 'YYYY-MM-DD', help: 'first day (default: 6 days before --to)' },
    to: { type: 'string', value: 'YYYY-MM-DD', help: 'last day, included (default: today, UTC)' },
  },
  examples: ['infer usage', 'infer usage --tenant acme --from 2026-12-01 --to 2026-12-03 --json'],
  async run({ client, flags, io, json }) {
    const query: Record<string, string> = {};
    for (const name of ['tenant', 'from', 'to'] as const) {
      const value = flags[name];
      if (typeof value !== 'string') continue;
      if (name !== 'tenant' && !DAY.test(value)) throw new UsageError(`--${name} must be a day as YYYY-MM-DD, got '${value}'.`);
      query[name] = value;
    }
    const report = await client().get<UsageReport>('/admin/usage', { query });
    if (json) {
      printJson(io, report);
      return EXIT.ok;
    }
    io.stdout.write(`Usage ${report.from} to ${report.to}${report.tenant ? `, tenant ${report.tenant}` : ''} (UTC days)\n`);
    const rows = report.data.map((row) => [
      row.day,
      row.tenant,
      row.model,
      number.format(row.requests),
      number.format(row.input_tokens),
      number.format(row.output_tokens),
    ]);
    const { totals } = report;
    rows.push(['total', '', '', number.format(totals.requests), number.format(totals.input_tokens), number.format(totals.output_tokens)]);
    io.stdout.write(formatTable(['DAY', 'TENANT', 'MODEL', 'REQUESTS', 'INPUT TOKENS', 'OUTPUT TOKENS'], rows));
    return EXIT.ok;
  },
};
