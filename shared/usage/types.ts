/** Tokens and requests of one tenant on one model on one UTC day. */
export interface UsageRecord {
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  tenantId: string;
  model: string;
  /** Requests served (answered with a result; refused and failed ones are not counted). */
  requests: number;
  inputTokens: number;
  outputTokens: number;
}

/** What a served request (or a batch of them) adds to a tenant's usage. */
export interface UsageSample {
  tenantId: string;
  model: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  /** When it was served (ms since the epoch): picks the day. */
  at: number;
}

/** Where usage counters live (the platform table). */
export interface UsageStore {
  /** Adds each record's counts to its (day, tenant, model) counter: one atomic add per record. */
  add(records: readonly UsageRecord[]): Promise<void>;
  /** The counters of the days `from`..`to` (inclusive), of one tenant or of all, by day, tenant and model. */
  query(range: { from: string; to: string; tenantId?: string }): Promise<UsageRecord[]>;
}
