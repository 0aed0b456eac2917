import { formatTable, formatTime, printJson } from '../output';
import type { Command } from '../command';
import { UsageError } from '../CliError';
import { EXIT } from '../exitCodes';

/** An API key as the admin routes answer it. */
interface ApiKeyObject {
  id: string;
  name: string;
  prefix: string | null;
  tenant: string;
  role: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  key?: string;
}

const ADMIN_NOTE = 'Needs an admin key (an ordinary key gets 403, exit code 3).';

export const keysCreate: Command = {
  name: ['keys', 'create'],
  summary: 'Issue an API key for a tenant; the key is printed once and cannot be shown again.',
  description: `Prints only the key on stdout (details on stderr), so KEY=$(infer keys create --tenant acme) works. ${ADMIN_NOTE}`,
  flags: {
    tenant: { type: 'string', value: 'TENANT', help: 'the tenant the key acts for (required)' },
    name: { type: 'string', value: 'NAME', help: 'a name to recognise the key by in listings' },
    admin: { type: 'boolean', help: 'an admin key: may also manage keys and read usage' },
  },
  examples: ['infer keys create --tenant acme --name "nightly evals"', 'infer keys create --tenant ops --admin --json'],
  async run({ client, flags, io, json }) {
    if (typeof flags.tenant !== 'string') throw new UsageError('keys create needs --tenant TENANT.');
    const body = {
      tenant: flags.tenant,
      role: flags.admin ? 'admin' : 'member',
      ...(typeof flags.name === 'string' ? { name: flags.name } : {}),
    };
    const created = await client().post<ApiKeyObject>('/admin/keys', { body });
    if (json) printJson(io, created);
    else {
      io.stderr.write(`Created ${created.role} key ${created.id} for tenant ${created.tenant}. Store it now: it is not shown again.\n`);
      io.stdout.write(`${created.key}\n`);
    }
    return EXIT.ok;
  },
};

export const keysList: Command = {
  name: ['keys', 'list'],
  summary: 'List API keys: ids, names, prefixes, tenants, roles and last use (never the keys).',
  description: `Revoked keys are listed too. Last use is recorded to within 5 minutes. ${ADMIN_NOTE}`,
  flags: { tenant: { type: 'string', value: 'TENANT', help: "only this tenant's keys" } },
  async run({ client, flags, io, json }) {
    const query = typeof flags.tenant === 'string' ? { tenant: flags.tenant } : undefined;
    const page = await client().get<{ data: ApiKeyObject[] }>('/admin/keys', { query });
    if (json) {
      printJson(io, page);
      return EXIT.ok;
    }
    const rows = page.data.map((key) => [
      key.id,
      key.name || '-',
      key.prefix ? `${key.prefix}…` : '-',
      key.tenant,
      key.role,
      formatTime(key.created_at),
      formatTime(key.last_used_at),
      key.revoked_at ? `revoked ${formatTime(key.revoked_at)}` : 'active',
    ]);
    io.stdout.write(formatTable(['ID', 'NAME', 'PREFIX', 'TENANT', 'ROLE', 'CREATED', 'LAST USED', 'STATE'], rows));
    return EXIT.ok;
  },
};

export const keysRevoke: Command = {
  name: ['keys', 'revoke'],
  args: ['ID'],
  summary: 'Revoke an API key by its id (as `keys list` shows it); it stops working at once.',
  description: `A deployment's authorizer may trust a key it checked for up to AUTH_CACHE_TTL_MS (60 s by default) more. ${ADMIN_NOTE}`,
  examples: ['infer keys revoke key_0123456789abcdef'],
  async run({ client, positionals, io, json }) {
    const [id] = positionals;
    if (!id) throw new UsageError('keys revoke needs the id of the key.');
    const revoked = await client().delete<ApiKeyObject>(`/admin/keys/${encodeURIComponent(id)}`);
    if (json) printJson(io, revoked);
    else io.stdout.write(`Revoked ${revoked.id} (${revoked.name || 'no name'}, tenant ${revoked.tenant}).\n`);
    return EXIT.ok;
  },
};
