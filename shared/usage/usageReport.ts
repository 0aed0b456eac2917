import * as z from 'zod';
import { TenantId } from '../domain/tenant';
import type { UsageRecord, UsageStore } from './types';
import { usageDay } from './usageDays';

const DAY_MS = 86_400_000;
/** Days a usage report covers when `from` is not given: the last 7, today included. */
export const DEFAULT_USAGE_DAYS = 7;

/** The query of `GET /v1/admin/usage`: `tenant`, `from` and `to` (UTC days, `YYYY-MM-DD`, both included). */
export const UsageQuery = z.strictObject({
  tenant: TenantId.optional(),
  from: z.string().optional(),
  to: z.string().optional(),
});
export type UsageQuery = z.infer<typeof UsageQuery>;

/** One row of a usage report. */
export interface UsageRow {
  day: string;
  tenant: string;
  model: string;
  requests: number;
  input_tokens: number;
  output_tokens: number;
}

/** What `GET /v1/admin/usage` answers: one row per day, tenant and model with any use, and their totals. */
export interface UsageReport {
  object: 'usage.report';
  from: string;
  to: string;
  tenant: string | null;
  data: UsageRow[];
  totals: { requests: number; input_tokens: number; output_tokens: number };
}

/** Reads a usage report: the range defaults to the last {@link DEFAULT_USAGE_DAYS} days up to today (UTC). */
export async function readUsageReport(store: Pick<UsageStore, 'query'>, query: UsageQuery, now = Date.now()): Promise<UsageReport> {
  const to = query.to ?? usageDay(now);
  const from = query.from ?? usageDay(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_USAGE_DAYS - 1) * DAY_MS || now);
  const records = await store.query({ from, to, ...(query.tenant ? { tenantId: query.tenant } : {}) });
  const data = [...records].sort(byDayTenantModel).map(toRow);
  return {
    object: 'usage.report',
    from,
    to,
    tenant: query.tenant ?? null,
    data,
    totals: {
      requests: sum(data, 'requests'),
      input_tokens: sum(data, 'input_tokens'),
      output_tokens: sum(data, 'output_tokens'),
    },
  };
}

function byDayTenantModel(a: UsageRecord, b: UsageRecord): number {
  return a.day.localeCompare(b.day) || a.tenantId.localeCompare(b.tenantId) || a.model.localeCompare(b.model);
}

function toRow(record: UsageRecord): UsageRow {
  return {
    day: record.day,
    tenant: record.tenantId,
    model: record.model,
    requests: record.requests,
    input_tokens: record.inputTokens,
    output_tokens: record.outputTokens,
  };
}

const sum = (rows: UsageRow[], field: 'requests' | 'input_tokens' | 'output_tokens') => rows.reduce((total, row) => total + row[field], 0);
